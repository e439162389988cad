"""`python -m securebank load`: a bounded load test of a local API on 127.0.0.1, or of a deployed stack.

Sends generated transactions at `--rate` for `--seconds` (both capped) to `--url`, or to a local stack it starts
itself, and reports the achieved rate, status codes and latency percentiles. With an API key, `--url` must be on the
loopback interface. With `--sigv4`, each request is signed with the session's credentials (service execute-api) and
`--url` may be a deployed stack's https URL: naming it explicitly is the consent to send it load (the
specification's load test: `--sigv4 --url https://<api>/<stage> --rate 1000 --seconds 300`).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
from collections import Counter
from datetime import UTC, datetime, timedelta
from http import HTTPStatus
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from securebank.demo.loadgen import LoadResult, ensure_loopback, percentile, send_paced
from securebank.demo.signing import Signer, host_header, session_signer
from securebank.lab.generate import generate_workload

MAX_RATE = 5000
MAX_SECONDS = 300
EXECUTE_API_HOST = re.compile(r"\.execute-api\.([a-z0-9-]+)\.amazonaws\.com$")


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--rate", type=float, default=300, help=f"requests per second (at most {MAX_RATE})")
    parser.add_argument("--seconds", type=float, default=10, help=f"duration (at most {MAX_SECONDS})")
    parser.add_argument(
        "--url", default=None, help="a running API: 127.0.0.1, or with --sigv4 a deployed stack; default: start one"
    )
    parser.add_argument("--api-key", default=None, help="its API key (required with --url unless --sigv4)")
    parser.add_argument("--sigv4", action="store_true", help="sign each request with SigV4 (service execute-api)")
    parser.add_argument("--region", default=None, help="SigV4 region; default: the URL's, else the session's")
    parser.add_argument(
        "--connections", type=int, default=64, help="keep-alive connections: rate x round trip must fit (64)"
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--report-json", type=Path, default=None)


def summary(load: LoadResult, rate: float) -> dict[str, Any]:
    latencies = [r.latency_ms for r in load.results]
    accepted = sum(1 for r in load.results if r.status == HTTPStatus.CREATED)
    return {
        "requests": len(load.results),
        "offered_rate": rate,
        "achieved_rate": round(len(load.results) / load.elapsed, 1),
        "accepted_per_second": round(accepted / load.elapsed, 1),
        "statuses": dict(sorted(Counter(str(r.status) for r in load.results).items())),
        "latency_p50_ms": round(percentile(latencies, 50), 1),
        "latency_p90_ms": round(percentile(latencies, 90), 1),
        "latency_p99_ms": round(percentile(latencies, 99), 1),
        "latency_max_ms": round(max(latencies, default=0.0), 1),
        "seconds": round(load.elapsed, 2),
    }


def run(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.table import Table

    if not 0 < args.rate <= MAX_RATE or not 0 < args.seconds <= MAX_SECONDS:
        raise SystemExit(f"--rate must be in (0, {MAX_RATE}] and --seconds in (0, {MAX_SECONDS}]")
    if args.connections < 1:
        raise SystemExit("--connections must be at least 1")
    count = int(args.rate * args.seconds)
    yesterday = datetime.now(UTC).date() - timedelta(days=1)  # within the API's receipt bounds
    workload = generate_workload(
        customers=max(50, count // 20), transactions=count, seed=args.seed, start=yesterday, days=1
    )
    bodies = list(workload.transactions())
    if args.url:
        signer, remote = url_signer(args)
        load = asyncio.run(
            send_paced(
                args.url, args.api_key, bodies, args.rate, sign=signer, remote=remote, connections=args.connections
            )
        )
    else:
        if args.sigv4:
            raise SystemExit("--sigv4 needs --url (the local stack checks API keys)")
        from securebank.emulator.stack import LocalStack

        with LocalStack() as stack:
            load = asyncio.run(send_paced(stack.api_url, stack.api_key, bodies, args.rate))
    result = summary(load, args.rate)
    where = urlsplit(args.url).hostname if args.url else "127.0.0.1"
    table = Table(title=f"load: {args.rate:g}/s for {args.seconds:g} s on {where}")
    table.add_column("measure")
    table.add_column("value", justify="right")
    for key, value in result.items():
        table.add_row(key, str(value))
    Console().print(table)
    if args.report_json is not None:
        args.report_json.write_text(json.dumps(result, indent=2) + "\n")
    return 0 if result["statuses"].keys() <= {"201"} else 1


def url_signer(args: argparse.Namespace) -> tuple[Signer | None, bool]:
    """The signer for `--url` (None without --sigv4) and whether the URL may leave the loopback interface."""
    if not args.sigv4:
        ensure_loopback(args.url)
        if not args.api_key:
            raise SystemExit("--api-key is required with --url (or sign with --sigv4)")
        return None, False
    parts = urlsplit(args.url)
    host = parts.hostname or ""
    try:
        ensure_loopback(args.url)
        remote = False
    except ValueError:
        if parts.scheme != "https":
            raise SystemExit(f"--sigv4 sends signed requests to {host} only over https") from None
        remote = True
    region = args.region or signing_region(host)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    signer, _ = session_signer(region, parts.scheme, host_header(host, port, parts.scheme))
    return signer, remote


def signing_region(host: str) -> str | None:
    """The region of an execute-api host (`<id>.execute-api.<region>.amazonaws.com`); None for a custom domain."""
    match = EXECUTE_API_HOST.search(host)
    return match.group(1) if match else None
