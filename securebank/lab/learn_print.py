"""Printing the `learning` section of `tune`'s report (jobs/learn_report.py builds it as plain data)."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table

IMPORTANCE_SHOWN = 12
"""Signals the printed report lists (the JSON has all)."""


def print_learning(section: dict[str, Any], console: Console) -> None:
    console.print(
        f"learner: {section['learner']} ({section['chosen']}); objective: {section['objective']}; "
        f"operating threshold {section['operating_threshold']} -> {section['objective_value']['value']}"
    )
    table = Table("learner", "candidate", "threshold", "precision", "recall", "F1", section["objective_value"]
                  ["objective"], title="candidates on the holdout")  # fmt: skip
    for c in section["candidates"]:
        table.add_row(c["learner"], c["name"], c["threshold"], c["precision"], c["recall"], c["f1"], c["value"])
    console.print(table)
    if section["pr_curve"]:
        curve = Table("threshold", "precision", "recall", "F1", "flagged", title="precision-recall on the holdout")
        for p in section["pr_curve"]:
            curve.add_row(p["threshold"], p["precision"], p["recall"], p["f1"], str(p["flagged"]))
        console.print(curve)
    if section["importance"]:
        signals = Table("signal", "sum of |points|", "share", title="per-signal importance on the holdout")
        for s in section["importance"][:IMPORTANCE_SHOWN]:
            signals.add_row(s["signal"], s["points"], s["share"])
        console.print(signals)
