"""The `learning` section of `tune`'s report: the candidates' holdout scores, the learner chosen, the operating
threshold and why, the precision-recall curve on the holdout and the per-signal importance (plain data)."""

from __future__ import annotations

from typing import Any

from jobs.learn_cut import pr_curve
from jobs.learn_select import Learned
from jobs.tuning_report import counts_dict


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
        "operating_threshold": str(learned.policy.threshold),
        "why": _why(learned),
        "objective_value": objective.shown(chosen.cut.counts),
        "holdout": counts_dict(chosen.cut.counts),
        "pr_curve": pr_curve(learned.scores, learned.frauds, weights=learned.weights or None)
        if learned.model is not None
        else [],
        "importance": list(learned.importance),
        "importance_decisions": learned.importance_rows,
        "trees": len(learned.model.trees) if learned.model is not None else 0,
        "refit_on_all_training_months": learned.refit,
        "holdout_figures": "the ensemble fitted on the training part, at the holdout's best cut; the written one is "
        "refit on every labelled month with the same setting, at the operating threshold"
        if learned.refit
        else "the written policy's own",
    }


def _why(learned: Learned) -> str:
    objective = learned.objective.describe()
    if learned.model is None:
        return "the rules-only search's threshold (chosen on the training part); no ensemble did better on the holdout"
    if learned.refit:
        return (f"the best {objective} and on the window before it (as many rows), each scored by the setting "
                "fitted before it: the refit has seen both")  # fmt: skip
    return f"the threshold with the best {objective}, on the written policy's own scores"
