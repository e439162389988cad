"""Backtest speed: replay a generated 200k-transaction file through the fraud engine on one core.

The replay is timed from the first line read to the last decision (parsing and validation included), in wall time
and in this process's CPU time; the file is generated first and not timed.

An absolute rate holds only on the machine it came from, so the report's figure is a ratio: the replay's rate over
the rate of plain `json.loads` of the same lines, measured in the same run (each repeat times both, and the best of
each is kept). `ratio_to_json_parse` 0.30 means the engine decides a transaction in the time json.loads parses
about three. No goal is asserted here (the fraud-quality issue sets one).
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from domain.policy import FraudPolicy
from securebank.jsonl import numbered_lines
from securebank.lab.backtest import Backtest
from securebank.lab.generate import generate_workload, write_workload


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--transactions", type=int, default=200_000)
    parser.add_argument("--customers", type=int, default=5_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=3, help="replays; the best is reported")
    parser.add_argument("--report-json", type=Path)


def json_parse_seconds(lines: list[tuple[int, str]]) -> float:
    """Wall seconds to `json.loads` every line: the baseline the replay's rate is a ratio of."""
    loads = json.loads
    started = time.perf_counter()
    for _number, line in lines:
        loads(line)
    return time.perf_counter() - started


def run(args: argparse.Namespace) -> int:
    console = Console()
    with tempfile.TemporaryDirectory() as tmp:
        with console.status(f"generating {args.transactions:,} transactions"):
            workload = generate_workload(
                customers=args.customers, transactions=args.transactions, seed=args.seed, days=30
            )
            path = write_workload(workload, Path(tmp))["transactions"]
        lines = list(numbered_lines(path))  # read once: the benchmark times the engine, not the disk
        runs, parses = [], []
        for _ in range(args.repeat):
            parses.append(json_parse_seconds(lines))
            wall, cpu = time.perf_counter(), time.process_time()
            backtest = Backtest(FraudPolicy.default()).run(lines)
            runs.append((time.perf_counter() - wall, time.process_time() - cpu, backtest))
    wall, cpu, backtest = min(runs, key=lambda r: r[0])
    decided = len(backtest.decisions)
    json_rate = len(lines) / min(parses)
    report = {
        "transactions": decided,
        "rejected": len(backtest.rejections),
        "flagged": backtest.flagged,
        "seconds": round(wall, 3),
        "cpu_seconds": round(cpu, 3),
        "transactions_per_second": round(decided / wall),
        "transactions_per_cpu_second": round(decided / cpu),
        "json_parse_per_second": round(json_rate),
        "ratio_to_json_parse": round(decided / wall / json_rate, 3),
    }
    table = Table(title=f"bench backtest (best of {args.repeat}, one process)")
    table.add_column("measure")
    table.add_column("value", justify="right")
    for key, value in report.items():
        table.add_row(key, f"{value:,}" if isinstance(value, int) and not isinstance(value, bool) else str(value))
    console.print(table)
    if args.report_json:
        args.report_json.write_text(json.dumps(report, indent=2) + "\n")
    return 0
