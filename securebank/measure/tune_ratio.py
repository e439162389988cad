"""How long `tune` takes against a replay of the same file: `tune_seconds_ratio` (the specification: under 5).

    python -m securebank.measure.tune_ratio [--transactions 100000 --customers 2000 --days 90 --seed 11]
        [--report-json R]

Generates a labelled workload (securebank/lab/generate.py), then in the same process times the replay of the file
through the domain engine (`securebank.lab.backtest.Backtest`, the specification's policy; the file is read and
parsed inside the timing, as `backtest` does) and through the columnar one (`securebank.lab.columnar`, Polars), and
`python -m securebank tune` on the same file and its labels, in its own process (rules search and tree ensembles,
the defaults; then `--rules-only`). Wall seconds; the ratios are what is reported, never a rate: `..._ratio` over
the domain replay, `..._ratio_columnar` over the columnar one.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from domain.policy import FraudPolicy
from securebank.jsonl import numbered_lines
from securebank.lab.backtest import Backtest
from securebank.lab.generate import generate_workload, write_workload


def replay_seconds(transactions: Path, engine: str = "domain") -> float:
    """Wall seconds of a replay of the file by `engine` ("domain" or "columnar"), the specification's policy."""
    if engine == "columnar":
        from securebank.lab.columnar import ColumnarBacktest  # Polars only when asked for

        started = time.perf_counter()
        ColumnarBacktest(FraudPolicy.default()).run(numbered_lines(transactions))
        return time.perf_counter() - started
    started = time.perf_counter()
    Backtest(FraudPolicy.default()).run(numbered_lines(transactions))
    return time.perf_counter() - started


def tune_seconds(transactions: Path, labels: Path, output: Path, *more: str) -> float:
    """Wall seconds of `python -m securebank tune` as a user runs it (its own process: interpreter start and imports
    included; its printed report discarded)."""
    files = ["--transactions", str(transactions), "--labels", str(labels), "--output", str(output)]
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "securebank", "tune", *files, *more], check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m securebank.measure.tune_ratio", description=__doc__)
    parser.add_argument("--transactions", type=int, default=100_000)
    parser.add_argument("--customers", type=int, default=2_000)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--report-json", type=Path)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        workload = generate_workload(
            customers=args.customers, transactions=args.transactions, seed=args.seed, days=args.days
        )
        paths = write_workload(workload, Path(tmp))
        replay = replay_seconds(paths["transactions"])
        columnar = replay_seconds(paths["transactions"], "columnar")
        tuned = tune_seconds(paths["transactions"], paths["labels"], Path(tmp) / "policy.json")
        rules_only = tune_seconds(paths["transactions"], paths["labels"], Path(tmp) / "rules.json", "--rules-only")
    report = {
        "transactions": args.transactions,
        "replay_seconds": round(replay, 3),
        "columnar_replay_seconds": round(columnar, 3),
        "tune_seconds": round(tuned, 3),
        "tune_rules_only_seconds": round(rules_only, 3),
        "tune_seconds_ratio": round(tuned / replay, 3),
        "tune_rules_only_seconds_ratio": round(rules_only / replay, 3),
        "tune_seconds_ratio_columnar": round(tuned / columnar, 3),
        "tune_rules_only_seconds_ratio_columnar": round(rules_only / columnar, 3),
    }
    print(json.dumps(report, indent=2))
    if args.report_json:
        args.report_json.write_text(json.dumps(report, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
