"""`python -m securebank serve`: the local stack (moto, API, event source mapping emulator) until interrupted."""

from __future__ import annotations

import argparse
import json
import signal
import threading

from securebank.emulator.stack import LocalStack, StackOptions

EXAMPLE = {
    "transaction_id": "tx_try_1",
    "customer_id": "cust_1",
    "amount": "42.50",
    "currency": "EUR",
    "merchant_id": "m_1",
    "merchant_category": "grocery",
    "timestamp": "2026-01-05T14:23:11+01:00",
    "location": {"latitude": 48.8566, "longitude": 2.3522},
}


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--port", type=int, default=0, help="API port on 127.0.0.1 (default: a free one)")
    parser.add_argument("--api-key", default=None, help="API key (default: a generated one)")
    parser.add_argument("--chaos", action="store_true", help="inject faults into the processor's AWS calls")


def run(args: argparse.Namespace) -> int:
    from securebank.demo.chaos import ChaosSettings
    from securebank.demo.instrumentation import spec

    stop = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    instrumentation = spec(ChaosSettings.demo() if args.chaos else None)
    options = StackOptions(api_port=args.port, api_key=args.api_key, instrumentation=instrumentation)
    with LocalStack(options) as stack:
        assert stack.resources is not None and stack.moto is not None
        print(f"API      {stack.api_url}", flush=True)
        print(f"API key  {stack.api_key}")
        for service, url in stack.moto.service_endpoints.items():
            print(f"AWS      {service:<8} {url} (moto; any credentials, region {stack.resources.region})")
        print(
            f"Stream   {stack.resources.stream_name}; tables {stack.resources.transactions_table}, "
            f"{stack.resources.customers_table}; bucket {stack.resources.bucket}"
        )
        print(f"Logs     {stack.workdir}")
        print(f"Try      curl -s -H 'x-api-key: {stack.api_key}' {stack.api_url}/v1/health")
        print(
            f"         curl -s -H 'x-api-key: {stack.api_key}' -H 'content-type: application/json' "
            f"{stack.api_url}/v1/transactions -d '{json.dumps(EXAMPLE, separators=(',', ':'))}'"
        )
        print("Ctrl-C to stop.", flush=True)
        while not stop.wait(1):
            if not stack.alive():
                print("a stack process exited; stopping")
                return 1
    return 0
