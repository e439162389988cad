"""`python -m securebank bench backtest|processor|cold-start`: measured speed and AWS calls, never asserted in tests."""

from __future__ import annotations

import argparse
import importlib

BENCHMARKS = {
    "backtest": "securebank.measure.bench_backtest",
    "processor": "securebank.measure.bench_processor",
    "cold-start": "securebank.measure.bench_cold_start",
}


def configure(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="benchmark", required=True)
    for name, module in BENCHMARKS.items():
        bench = importlib.import_module(module)
        bench.configure(sub.add_parser(name, help=(bench.__doc__ or "").splitlines()[0]))


def run(args: argparse.Namespace) -> int:
    return int(importlib.import_module(BENCHMARKS[args.benchmark]).run(args))
