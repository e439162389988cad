"""`python -m securebank verify`: soak the differential harness (securebank/verify/): adversarial workloads through
the processor on moto with injected faults and through the in-memory replay, compared; exits 1 on a disagreement,
printing the minimal failing workload."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--examples", type=int, default=100, help="Hypothesis examples to run (100)")
    parser.add_argument("--seed", type=int, help="Hypothesis seed (default: random, printed)")
    parser.add_argument("--max-lines", type=int, default=25, help="records per wave besides bursts, at most (25)")
    parser.add_argument("--report-json", type=Path, help="write the report as JSON")


def run(args: argparse.Namespace) -> int:
    from securebank.verify.coverage import sections
    from securebank.verify.soak import soak

    if args.examples < 1:
        raise SystemExit("--examples must be at least 1")
    report = soak(args.examples, args.seed, args.max_lines)
    rows = sections(report.occurrences, report.examples_with)
    _print(report, rows)
    if args.report_json:
        args.report_json.write_text(json.dumps(_as_json(report, rows), indent=2) + "\n")
    if report.minimal_failure is not None:
        err = Console(stderr=True)
        err.print("[red]The paths disagree.[/] Minimal failing workload:", highlight=False)
        err.print(report.minimal_failure, highlight=False, markup=False)
        return 1
    return 0


def _print(report: Any, rows: dict[str, list[tuple[str, int, int]]]) -> None:
    table = Table(title="Differential harness: processor on moto with faults vs in-memory replay")
    table.add_column("")
    table.add_column("count", justify="right")
    table.add_column("examples", justify="right")
    table.add_row("[bold]examples run[/]", str(report.examples), "")
    table.add_row("[bold]disagreements found[/]", str(report.disagreeing), "")
    table.add_row("seconds", f"{report.seconds:.0f}", "")
    table.add_row("seed", str(report.seed), "")
    for section, entries in rows.items():
        table.add_section()
        table.add_row(f"[bold]{section}[/]", "", "")
        for name, count, examples in entries:
            table.add_row(f"  {name}", str(count), str(examples))
    Console(file=sys.stdout).print(table)


def _as_json(report: Any, rows: dict[str, list[tuple[str, int, int]]]) -> dict[str, Any]:
    return {
        "examples": report.examples,
        "disagreements": report.disagreeing,
        "seconds": round(report.seconds, 1),
        "seed": report.seed,
        "coverage": {
            section: {name: {"count": count, "examples": examples} for name, count, examples in entries}
            for section, entries in rows.items()
        },
        "minimal_failure": report.minimal_failure,
    }
