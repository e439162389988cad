"""Backtest speed: replay a generated 200k-transaction file through the fraud engine on one core.

The replay is timed from the first line read to the last decision (parsing and validation included), in wall time
and in this process's CPU time; the file is generated first and not timed.

An absolute rate holds only on the machine it came from, so the report's figure is a ratio: the replay's rate over
the rate of plain `json.loads` of the same lines, measured in the same run (each repeat times json.loads and each
engine, and the best of each is kept). `ratio_to_json_parse` 0.30 means the engine decides a transaction in the
time json.loads parses about three. No goal is asserted here (the specification sets one).

`--engine domain|columnar|both` (both by default): the domain engine (`securebank.lab.backtest`, the processor's
use case) and the columnar one (`securebank.lab.columnar`, the same decisions in Polars). Each engine's figures are
under `engines`; the top-level ones are the columnar engine's when it ran (the replay the goal is measured on).
`same_outcome` says whether both engines counted the same decisions, flags, duplicates and rejections.

On a shared machine the wall ratio moves with the load; `ratio_to_json_parse_cpu` is the same ratio in this
process's CPU time (json.loads timed in CPU time too; the columnar engine's CPU time counts all of Polars' threads).
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from adapters.serialization import policy_from_json
from domain.policy import FraudPolicy
from securebank.jsonl import numbered_lines
from securebank.lab.backtest import Backtest
from securebank.lab.generate import generate_workload, write_workload
from securebank.measure.tune_ratio import tune_seconds


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--transactions", type=int, default=200_000)
    parser.add_argument("--customers", type=int, default=5_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=3, help="replays; the best is reported")
    parser.add_argument("--report-json", type=Path)
    parser.add_argument("--engine", choices=("domain", "columnar", "both"), default="both")
    parser.add_argument("--policy", type=Path, help="FraudPolicy JSON (default: the specification's policy)")
    parser.add_argument("--tune", action="store_true",
                        help="also time `tune` on the same file and labels: tune_seconds_ratio, over the best "
                             "replay of the reported engine (securebank/measure/tune_ratio.py)")  # fmt: skip


def json_parse_seconds(lines: list[tuple[int, str]]) -> float:
    """Wall seconds to `json.loads` every line: the baseline the replay's rate is a ratio of."""
    loads = json.loads
    started = time.perf_counter()
    for _number, line in lines:
        loads(line)
    return time.perf_counter() - started


def _engines(name: str) -> dict[str, Any]:
    engines: dict[str, Any] = {}
    if name in ("domain", "both"):
        engines["domain"] = Backtest
    if name in ("columnar", "both"):
        from securebank.lab.columnar import ColumnarBacktest  # Polars only when asked for

        engines["columnar"] = ColumnarBacktest
    return engines


def json_parse_cpu_seconds(lines: list[tuple[int, str]]) -> float:
    """`json_parse_seconds` in this process's CPU time."""
    started = time.process_time()
    json_parse_seconds(lines)
    return time.process_time() - started


def _figures(best: tuple[float, float, Any], json_rate: float, json_cpu_rate: float) -> dict[str, Any]:
    wall, cpu, replay = best
    decided = len(replay.decisions) if isinstance(replay, Backtest) else replay.transactions
    return {
        "transactions": decided,
        "duplicates": replay.duplicates,
        "rejected": len(replay.rejections),
        "flagged": replay.flagged,
        "seconds": round(wall, 3),
        "cpu_seconds": round(cpu, 3),
        "transactions_per_second": round(decided / wall),
        "transactions_per_cpu_second": round(decided / cpu),
        "json_parse_per_second": round(json_rate),
        "ratio_to_json_parse": round(decided / wall / json_rate, 3),
        "json_parse_per_cpu_second": round(json_cpu_rate),
        "ratio_to_json_parse_cpu": round(decided / cpu / json_cpu_rate, 3),
    }


def run(args: argparse.Namespace) -> int:
    console = Console()
    policy = policy_from_json(args.policy.read_text()) if args.policy else FraudPolicy.default()
    engines = _engines(args.engine)
    with tempfile.TemporaryDirectory() as tmp:
        with console.status(f"generating {args.transactions:,} transactions"):
            workload = generate_workload(
                customers=args.customers, transactions=args.transactions, seed=args.seed, days=30
            )
            paths = write_workload(workload, Path(tmp))
        lines = list(numbered_lines(paths["transactions"]))  # read once: the benchmark times the engine, not the disk
        runs: dict[str, list[tuple[float, float, Any]]] = {name: [] for name in engines}
        parses, parse_cpus = [], []
        for _ in range(args.repeat):
            parses.append(json_parse_seconds(lines))
            parse_cpus.append(json_parse_cpu_seconds(lines))
            for name, engine in engines.items():
                wall, cpu = time.perf_counter(), time.process_time()
                replay = engine(policy).run(lines)
                runs[name].append((time.perf_counter() - wall, time.process_time() - cpu, replay))
        tuned = tune_seconds(paths["transactions"], paths["labels"], Path(tmp) / "tuned.json") if args.tune else None
    json_rate, json_cpu_rate = len(lines) / min(parses), len(lines) / min(parse_cpus)
    by_engine = {name: _figures(min(r, key=lambda r: r[0]), json_rate, json_cpu_rate) for name, r in runs.items()}
    main = "columnar" if "columnar" in by_engine else "domain"
    report: dict[str, Any] = {"engine": main, "policy_version": policy.version, **by_engine[main]}
    outcomes = {name: tuple(f[k] for k in ("transactions", "duplicates", "rejected", "flagged"))
                for name, f in by_engine.items()}  # fmt: skip
    if len(outcomes) > 1:
        report["same_outcome"] = len(set(outcomes.values())) == 1
    if tuned is not None:
        report |= {"tune_seconds": round(tuned, 3), "tune_seconds_ratio": round(tuned / report["seconds"], 3)}
    table = Table(title=f"bench backtest (best of {args.repeat}, one process)")
    table.add_column("measure")
    for name in by_engine:
        table.add_column(name, justify="right")
    for key in by_engine[main]:
        table.add_row(key, *(_cell(f[key]) for f in by_engine.values()))
    console.print(table)
    if args.report_json:
        args.report_json.write_text(json.dumps(report | {"engines": by_engine}, indent=2) + "\n")
    return 0


def _cell(value: object) -> str:
    return f"{value:,}" if isinstance(value, int) and not isinstance(value, bool) else str(value)
