"""`python -m securebank customers import --file kyc.csv|kyc.jsonl (--stack NAME | --table NAME | --endpoint-url URL)
[--dry-run]`: load a KYC file (risk profile, account creation, home, time zone) into the Customers table, every row
validated before anything is written (securebank/ops/customers_import.py)."""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import UTC, datetime
from pathlib import Path

from contracts.aws import ENV_AWS_ENDPOINT_URL


def configure(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    imp = sub.add_parser("import", help="validate a CSV or JSON Lines KYC file and update the customers' profiles")
    imp.add_argument("--file", required=True, type=Path, help="customers: .csv with a header row, or .jsonl")
    imp.add_argument("--format", choices=("csv", "jsonl"), help="the file's format (default: by its extension)")
    where = imp.add_mutually_exclusive_group()
    where.add_argument("--stack", help="a deployed stack's name: its table is <contract name>-<stack>")
    where.add_argument("--table", help="the Customers table's name (default: the contract's, the local stack's)")
    imp.add_argument("--outputs", type=Path, help="`pulumi stack output --json` of the stack, for its table name")
    imp.add_argument("--endpoint-url", help="a DynamoDB endpoint: the local stack's moto server (`serve` prints it)")
    imp.add_argument("--region", help="the stack's region (default: the AWS configuration's)")
    imp.add_argument("--dry-run", action="store_true", help="validate and count what would change; write nothing")


def run(args: argparse.Namespace) -> int:
    from adapters.dynamodb_profiles import DynamoDbProfileRepository
    from securebank.ops.customers_import import import_customers
    from securebank.ops.target import StackNames, Target, read_outputs

    if args.endpoint_url:
        os.environ[ENV_AWS_ENDPOINT_URL] = args.endpoint_url  # boto3 reads it for every client
    names = StackNames.of(args.stack, read_outputs(args.outputs), customers_table=args.table)
    target = Target.connect(names, args.region)
    store = DynamoDbProfileRepository(target.client("dynamodb"), names.customers_table)
    csv_format = (args.format or args.file.suffix.lstrip(".").lower()) == "csv"
    report = import_customers(store, args.file.read_bytes(), csv_format=csv_format, now=datetime.now(UTC),
                              dry_run=args.dry_run)  # fmt: skip
    for rejection in report.rejected:
        print(f"{args.file}: {rejection}", file=sys.stderr)
    print(json.dumps({"table": names.customers_table, **report.as_json()}, indent=2))
    return 0 if report.ok else 1
