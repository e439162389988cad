"""`python -m securebank labels import --file chargebacks.csv|jsonl --lake DIR_OR_S3_URI [--dry-run]`: load a label
file (a card network's chargebacks) into the lake's `labels/`, all or nothing (securebank/ops/labels_import.py)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from securebank.ops.labels_file import SOURCES


def configure(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    imp = sub.add_parser("import", help="validate a CSV or JSON Lines label file and write it to labels/")
    imp.add_argument("--file", required=True, type=Path, help="labels: .csv with a header row, or .jsonl")
    imp.add_argument("--lake", required=True, help="lake root: a directory or s3://bucket[/prefix]")
    imp.add_argument("--format", choices=("csv", "jsonl"), help="the file's format (default: by its extension)")
    imp.add_argument("--source", choices=SOURCES, default="chargeback", help="of rows that name none")
    imp.add_argument("--dry-run", action="store_true", help="validate only; write nothing")
    imp.add_argument("--endpoint-url", help="S3 endpoint (a local moto server); default boto3's own")


def run(args: argparse.Namespace) -> int:
    from securebank.ops.labels_import import DirectoryLake, LabelLake, S3Lake, import_labels

    lake: LabelLake
    if args.lake.startswith("s3://"):
        import boto3

        lake = S3Lake(boto3.client("s3", endpoint_url=args.endpoint_url), args.lake)
    else:
        lake = DirectoryLake(Path(args.lake))
    csv_format = (args.format or args.file.suffix.lstrip(".").lower()) == "csv"
    report = import_labels(
        lake, args.file.read_bytes(), csv_format=csv_format, source=args.source, dry_run=args.dry_run
    )
    for rejection in report.rejected:
        print(f"{args.file}: {rejection}", file=sys.stderr)
    summary = {
        "rows": report.rows,
        "rejected": len(report.rejected),
        "key": report.key,
        "written": report.written,
        "already_imported": report.already_imported,
    }
    print(json.dumps(summary, indent=2))
    return 0 if report.ok else 1
