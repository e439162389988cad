"""How long `tune`'s history takes in columns against the domain engine, on the same files, in the same process.

    python -m securebank.measure.tune_history --transactions T --labels L [--repeat 2] [--report-json R]

Reads the lines and labels once, builds the merchant feed as `tune` does, then times (CPU seconds of this process,
every thread; wall too) `securebank.lab.tuning.build_history` on the parsed transactions (the domain engine:
parsing not included) and `securebank.lab.columnar_tally.columnar_history` on the lines (its columnar parse
included), and checks that both built the same `History`. Reports the best of `--repeat` runs of each and the
ratio domain / columnar.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

from domain.policy import FraudPolicy
from securebank.jsonl import numbered_lines
from securebank.lab.backtest import merchant_feed, read_labels
from securebank.lab.columnar_tally import columnar_history
from securebank.lab.tuning import build_history, read_transactions


def best_times(build: Callable[[], Any], repeat: int) -> tuple[float, float, Any]:
    """(wall, CPU) seconds of the fastest of `repeat` runs (by CPU), and what the last run built."""
    runs, built = [], None
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        built = build()
        runs.append((time.perf_counter() - wall, time.process_time() - cpu))
    wall, cpu = min(runs, key=lambda run: run[1])
    return wall, cpu, built


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m securebank.measure.tune_history", description=__doc__)
    parser.add_argument("--transactions", type=Path, required=True)
    parser.add_argument("--labels", type=Path, required=True)
    parser.add_argument("--holdout", type=float, default=0.25)
    parser.add_argument("--label-delay-days", type=float, default=7.0)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--report-json", type=Path)
    args = parser.parse_args(argv)
    lines = list(numbered_lines(args.transactions))
    transactions = [txn for _, txn in read_transactions(lines)]
    labels, _ = read_labels(numbered_lines(args.labels))
    merchants = merchant_feed(transactions, labels, timedelta(days=args.label_delay_days))
    current, holdout, repeat = FraudPolicy.default(), args.holdout, max(1, args.repeat)
    domain = best_times(lambda: build_history(transactions, labels, current, holdout, merchants=merchants), repeat)
    columnar = best_times(lambda: columnar_history(lines, labels, current, holdout, merchants=merchants), repeat)
    report = {
        "transactions": len(lines), "labelled": domain[2].labelled, "same_history": domain[2] == columnar[2],
        "domain_seconds": round(domain[0], 3), "domain_cpu_seconds": round(domain[1], 3),
        "columnar_seconds": round(columnar[0], 3), "columnar_cpu_seconds": round(columnar[1], 3),
        "domain_over_columnar_cpu": round(domain[1] / columnar[1], 2),
        "domain_over_columnar": round(domain[0] / columnar[0], 2),
    }  # fmt: skip
    print(json.dumps(report, indent=2))
    if args.report_json:
        args.report_json.write_text(json.dumps(report, indent=2) + "\n")
    return 0 if report["same_history"] else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
