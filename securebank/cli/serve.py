"""`python -m securebank serve`: the local stack (moto, API, event source mapping emulator) until interrupted."""

from __future__ import annotations

import argparse
import json
import signal
import threading
from datetime import UTC, datetime, timedelta, timezone

from contracts.aws import LABEL_PATH_SUFFIX, REVIEWS_PATH, TRANSACTIONS_PATH
from securebank.emulator.stack import LocalStack, StackOptions

PARIS = timezone(timedelta(hours=1))  # the example's location; a local time with its offset, as a client sends
EXAMPLE = {
    "transaction_id": "tx_try_1",
    "customer_id": "cust_1",
    "amount": "42.50",
    "currency": "EUR",
    "merchant_id": "m_1",
    "merchant_category": "grocery",
    "location": {"latitude": 48.8566, "longitude": 2.3522},
}
"""The transaction of the printed example; its timestamp is the time serve starts (the API refuses one over 30 days
old, so a fixed date went stale)."""

LABEL = {"customer_id": EXAMPLE["customer_id"], "is_fraud": False, "source": "analyst", "note": "tried from serve"}


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
    example = EXAMPLE | {"timestamp": datetime.now(UTC).astimezone(PARIS).isoformat(timespec="seconds")}
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
            f"{stack.api_url}/v1/transactions -d '{json.dumps(example, separators=(',', ':'))}'"
        )
        key, url = stack.api_key, stack.api_url
        print(f"Cases    curl -s -H 'x-api-key: {key}' '{url}{REVIEWS_PATH}?status=open&limit=20'")
        print(
            f"         curl -s -H 'x-api-key: {key}' -H 'content-type: application/json' "
            f"{url}{TRANSACTIONS_PATH}/{EXAMPLE['transaction_id']}{LABEL_PATH_SUFFIX} -d '{json.dumps(LABEL)}'"
        )
        print("         (the review queue and labels: an API key here; deployed, IAM: SigV4 of the analyst role)")
        print("Ctrl-C to stop.", flush=True)
        while not stop.wait(1):
            if not stack.alive():
                print("a stack process exited; stopping")
                return 1
    return 0
