"""`python -m securebank generate`: write a seeded, labelled workload as JSONL."""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path

from securebank.lab.generate import generate_workload, write_workload


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--customers", type=int, default=1000)
    parser.add_argument("--transactions", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--start", type=date.fromisoformat, default=date(2026, 1, 1), help="YYYY-MM-DD")
    parser.add_argument("--days", type=int, default=7)
    parser.add_argument("--fraud-rate", type=float, default=0.02)
    parser.add_argument("--output-dir", type=Path, default=Path("workload"))
    parser.add_argument("--gzip", action="store_true", help="write .jsonl.gz files")


def run(args: argparse.Namespace) -> int:
    workload = generate_workload(
        customers=args.customers,
        transactions=args.transactions,
        seed=args.seed,
        start=args.start,
        days=args.days,
        fraud_rate=args.fraud_rate,
    )
    paths = write_workload(workload, args.output_dir, compress=args.gzip)
    fraud = sum(1 for label in workload.labels() if label["is_fraud"])
    print(f"{len(workload.customers)} customers, {args.transactions} transactions ({fraud} fraud)")
    for path in paths.values():
        print(f"  {path}")
    return 0
