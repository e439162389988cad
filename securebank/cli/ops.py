"""`python -m securebank ops <action>`: operator tools for a deployed stack (boto3, its region and credentials) or
the local stack (`--endpoint-url`, the moto server): redrive-quarantine, replay-failures, stack-status and
erase-customer (securebank/ops/, one module each)."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from contracts.aws import ENV_AWS_ENDPOINT_URL

ACTIONS = {
    "redrive-quarantine": "Put quarantined records back on the stream (deleted from the queue once accepted)",
    "replay-failures": "Fetch the on-failure queue's batches from Kinesis and process them (duplicates recognised)",
    "stack-status": "Alarms in ALARM, queue depths, the stream's iterator age, the fraud policy in force",
    "erase-customer": "Remove a customer's transactions, profile and lake rows (erasure request)",
}
NAME_OPTIONS = ("transactions-table", "customers-table", "stream", "bucket")
QUEUE_OPTIONS = ("quarantine-queue", "quarantine-dlq", "on-failure-queue")


def configure(parser: argparse.ArgumentParser) -> None:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--endpoint-url", help="an AWS endpoint for every service (the local moto server)")
    common.add_argument("--endpoint", action="append", default=[], metavar="SERVICE=URL",
                        help="an endpoint for one service (repeatable; `serve` prints them)")  # fmt: skip
    common.add_argument("--region", help="the stack's region (default: the AWS configuration's)")
    common.add_argument("--stack", help="a deployed stack's name: resources are <contract name>-<stack>")
    common.add_argument("--outputs", type=Path, help="`pulumi stack output --json` of the stack, for its names")
    for option in NAME_OPTIONS:
        common.add_argument(f"--{option}", help=f"the {option.replace('-', ' ')}'s name")
    for option in QUEUE_OPTIONS:
        common.add_argument(f"--{option}", help=f"the {option.replace('-', ' ')}'s name or URL")
    common.add_argument("--json", action="store_true", help="print JSON instead of a table")
    common.add_argument("--wait-seconds", type=int, default=1, help="SQS long polling while reading a queue (1)")
    sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    for action, summary in ACTIONS.items():
        sub.add_parser(action, help=summary, description=summary, parents=[common])
    redrive = sub.choices["redrive-quarantine"]
    redrive.add_argument("--reason", help="only messages whose reason starts with this (e.g. timestamp)")
    redrive.add_argument("--dry-run", action="store_true", help="count the messages by reason; change nothing")
    sub.choices["stack-status"].add_argument("--alarm-prefix", help="only alarms named so (default with --stack: "
                                                                    "securebank-<stack>-)")  # fmt: skip
    erase = sub.choices["erase-customer"]
    erase.add_argument("--customer-id", required=True)
    erase.add_argument("--dry-run", action="store_true", help="count what would be removed; change nothing")


def run(args: argparse.Namespace) -> int:
    from securebank.ops.target import StackNames, Target, read_outputs

    if args.endpoint_url:
        os.environ[ENV_AWS_ENDPOINT_URL] = args.endpoint_url  # boto3 reads it for every client
    for endpoint in args.endpoint:
        service, _, url = endpoint.partition("=")
        if not url:
            raise SystemExit(f"--endpoint takes SERVICE=URL, not {endpoint!r}")
        os.environ[f"{ENV_AWS_ENDPOINT_URL}_{service.upper()}"] = url  # botocore's service-specific variable
    attributes = [option.replace("-", "_") for option in (*NAME_OPTIONS, *QUEUE_OPTIONS)]
    overrides = {attribute: getattr(args, attribute) for attribute in attributes}
    names = StackNames.of(args.stack, read_outputs(args.outputs), **overrides)
    target = Target.connect(names, args.region)
    report = _act(args, target)
    if args.json:
        print(json.dumps(report.as_json(), indent=2, default=str))
    else:
        _print(args.action, report.as_json())
    return _exit_code(args.action, report.as_json())


def _act(args: argparse.Namespace, target: Any) -> Any:
    if args.action == "redrive-quarantine":
        from securebank.ops.redrive import redrive_quarantine

        return redrive_quarantine(target, args.reason, dry_run=args.dry_run, wait_seconds=args.wait_seconds)
    if args.action == "replay-failures":
        from securebank.ops.replay import replay_failures

        return replay_failures(target, wait_seconds=args.wait_seconds)
    if args.action == "stack-status":
        from securebank.ops.status import stack_status

        prefix = args.alarm_prefix or (f"securebank-{args.stack}-" if args.stack else None)
        return stack_status(target, prefix)
    from securebank.ops.erase import erase_customer

    return erase_customer(target, args.customer_id, dry_run=args.dry_run)


def _exit_code(action: str, report: dict[str, Any]) -> int:
    """1 when something was left for another run: a refused put, a kept on-failure message."""
    if action == "redrive-quarantine":
        return int(report["put_failed"] > 0)
    if action == "replay-failures":
        return int(report["kept"] > 0)
    return 0


def _print(action: str, report: dict[str, Any]) -> None:
    table = Table(title=f"securebank ops {action}", show_header=False)
    table.add_column("", overflow="fold")
    table.add_column("", overflow="fold")
    for name, value in _rows(report):
        table.add_row(name, value)
    Console(file=sys.stdout).print(table)


def _rows(value: Any, prefix: str = "") -> list[tuple[str, str]]:
    """A report flattened to (dotted name, value) rows; lists of records as one row each."""
    if isinstance(value, dict) and value:
        return [row for key, item in value.items() for row in _rows(item, f"{prefix}{key}." if prefix or key else "")]
    if isinstance(value, list) and value and all(isinstance(item, dict) for item in value):
        return [(f"{prefix}{i}", json.dumps(item, default=str)) for i, item in enumerate(value)]
    return [(prefix.rstrip("."), json.dumps(value, default=str) if isinstance(value, list | dict) else str(value))]
