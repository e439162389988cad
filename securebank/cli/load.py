"""`python -m securebank load`: a bounded load test of a local API on 127.0.0.1.

Sends generated transactions at `--rate` for `--seconds` (both capped) to `--url` (loopback only), or to a local
stack it starts itself, and reports the achieved rate, status codes and latency percentiles.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from collections import Counter
from datetime import UTC, datetime, timedelta
from http import HTTPStatus
from pathlib import Path
from typing import Any

from securebank.demo.loadgen import LoadResult, ensure_loopback, percentile, send_paced
from securebank.lab.generate import generate_workload

MAX_RATE = 5000
MAX_SECONDS = 300


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--rate", type=float, default=300, help=f"requests per second (at most {MAX_RATE})")
    parser.add_argument("--seconds", type=float, default=10, help=f"duration (at most {MAX_SECONDS})")
    parser.add_argument("--url", default=None, help="a running local API (127.0.0.1 only); default: start one")
    parser.add_argument("--api-key", default=None, help="its API key (required with --url)")
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
    count = int(args.rate * args.seconds)
    yesterday = datetime.now(UTC).date() - timedelta(days=1)  # within the API's receipt bounds
    workload = generate_workload(customers=max(50, count // 20), transactions=count, seed=args.seed, start=yesterday)
    bodies = list(workload.transactions())
    if args.url:
        ensure_loopback(args.url)
        if not args.api_key:
            raise SystemExit("--api-key is required with --url")
        load = asyncio.run(send_paced(args.url, args.api_key, bodies, args.rate))
    else:
        from securebank.emulator.stack import LocalStack

        with LocalStack() as stack:
            load = asyncio.run(send_paced(stack.api_url, stack.api_key, bodies, args.rate))
    result = summary(load, args.rate)
    table = Table(title=f"load: {args.rate:g}/s for {args.seconds:g} s on 127.0.0.1")
    table.add_column("measure")
    table.add_column("value", justify="right")
    for key, value in result.items():
        table.add_row(key, str(value))
    Console().print(table)
    if args.report_json is not None:
        args.report_json.write_text(json.dumps(result, indent=2) + "\n")
    return 0 if result["statuses"].keys() <= {"201"} else 1
