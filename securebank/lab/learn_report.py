"""The `learning` section of `tune`'s report: the candidates' holdout scores, the learner chosen, the operating
threshold and why, the precision-recall curve on the holdout and the per-signal importance (plain data)."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table

from jobs.tuning_report import counts_dict
from securebank.lab.learn_cut import pr_curve
from securebank.lab.learn_select import Learned

IMPORTANCE_SHOWN = 12
"""Signals the printed report lists (the JSON has all)."""


def learning_report(learned: Learned) -> dict[str, Any]:
    objective, chosen = learned.objective, learned.chosen
    return {
        "objective": objective.describe(),
        "learner": chosen.learner,
        "chosen": chosen.name,
        "candidates": [
            {"learner": t.learner, "name": t.name, "threshold": str(t.cut.threshold)}
            | objective.shown(t.cut.counts)
            | counts_dict(t.cut.counts)
            for t in learned.trials
        ],
        "operating_threshold": str(chosen.cut.threshold),
        "why": f"the threshold with the best {objective.describe()}, on the written policy's own scores"
        if learned.model is not None
        else "the rules-only search's threshold (chosen on the training part); no ensemble did better on the holdout",
        "objective_value": objective.shown(chosen.cut.counts),
        "holdout": counts_dict(chosen.cut.counts),
        "pr_curve": pr_curve(learned.scores, learned.frauds) if learned.model is not None else [],
        "importance": list(learned.importance),
        "importance_decisions": learned.importance_rows,
        "trees": len(learned.model.trees) if learned.model is not None else 0,
        "refit_on_all_training_months": learned.refit,
        "holdout_figures": "the ensemble fitted on the training part; the written one is refit on every labelled "
        "month with the same setting and threshold"
        if learned.refit
        else "the written policy's own",
    }


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
