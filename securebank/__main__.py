"""`python -m securebank <command>`: one module per command under securebank/cli/, imported lazily.

`demo` lives with the demo harness, in securebank/demo/command.py.

Each command module defines `configure(parser: argparse.ArgumentParser) -> None` and `run(args) -> int`, so that
`--help` stays fast and a command's heavy imports (moto, pyspark, pulumi) load only when it runs.
"""

from __future__ import annotations

import argparse
import importlib
import sys

COMMANDS: dict[str, str] = {
    "demo": "Run the whole pipeline locally on emulated AWS and print a report",
    "serve": "Run the local stack: moto, the API and the event source mapping emulator",
    "generate": "Write a seeded, labelled workload of customers and transactions as JSONL",
    "backtest": "Replay transactions through the fraud engine and report decisions and F1",
    "tune": "Learn a fraud policy from labelled history",
    "policy": "Fraud policy versions: list, show, shadow, promote, rollback (the governed lifecycle)",
    "aggregate": "Run the daily aggregation Spark job on a local or S3 lake",
    "merchant-risk": "Run the daily merchant-risk Spark job: publish confirmed fraud per merchant",
    "plan": "Show what Pulumi would create for a stack, offline under mocks",
    "bench": "Benchmarks: backtest speed, processor AWS calls per batch",
    "load": "Bounded load test of a local API on 127.0.0.1, or of a deployed stack with --sigv4 --url",
    "verify": "Soak the differential harness: the processor on moto with faults against the in-memory replay",
    "dr-drill": "Lose the local stack's primary region mid-traffic, fail over to a second, report the loss",
    "capacity": "Capacity model of the deployed stack at N requests a second: limits, latency, cost per month",
    "ops": "Operator tools for a deployed or local stack: redrive, replay, status, erasure",
    "labels": "Fraud labels: import a chargeback file into the lake's labels/, all or nothing",
    "customers": "Customers: import a KYC file (risk profile, account age, home, zone) into their profiles",
}

MODULES: dict[str, str] = {"demo": "securebank.demo.command"}  # commands that live beside the job they run


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="securebank", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, summary in COMMANDS.items():
        sub.add_parser(name, help=summary, add_help=False)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] not in COMMANDS:
        _parser().parse_args(argv)  # prints usage or the error and exits
        return 2
    name = argv[0]
    module = importlib.import_module(MODULES.get(name, f"securebank.cli.{name.replace('-', '_')}"))
    parser = argparse.ArgumentParser(prog=f"securebank {name}", description=COMMANDS[name])
    module.configure(parser)
    args = parser.parse_args(argv[1:])
    return int(module.run(args))


if __name__ == "__main__":
    sys.exit(main())
