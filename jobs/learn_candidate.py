"""The weekly job's choice of a candidate: the rules search's result against tree ensembles, as `tune` chooses
(jobs/learn_select.py), on the sampled feature rows the replay brought to the driver (jobs/learn_sample.py).

The candidate must beat the ACTIVE policy on the holdout. The rules search starts from it and keeps it ("current")
when nothing does better, so a rules result or an ensemble that beats the rules result beats it, as long as the
active policy has no model: its tally counts are then its decisions. An active policy WITH a model is scored here
on the holdout rows (its rules' weights by their signature plus its model's domain score, weighted as sampled) and
the candidate must do better than that.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from domain.ensemble import TreeModel
from domain.policy import FraudPolicy
from domain.tuning import Candidate, Counts, Outcome, offsets_of
from jobs.learn import Params
from jobs.learn_cut import Objective
from jobs.learn_report import learning_report
from jobs.learn_score import learner_row, row_score
from jobs.learn_select import RULES, SETTINGS, Example, learn_examples
from jobs.tuning_report import counts_dict

OBJECTIVE = Objective("f1")
"""The weekly job maximises F1 on the holdout, as `tune` does by default."""


def learn_candidate(
    examples: Sequence[Example],
    step: int,
    grid: Mapping[str, Sequence[Candidate]],
    outcome: Outcome,
    current: FraudPolicy,
    settings: Sequence[Params] = SETTINGS,
    active_examples: Sequence[Example] | None = None,
) -> tuple[FraudPolicy | None, dict[str, Any]]:
    """(the candidate, or None when nothing beats the active policy; the `learning` report section).
    `active_examples`: the same rows as the active policy's model reads them (the merchant fields over its own
    merchant rule window; `examples` by default)."""
    learned = learn_examples(examples, grid, outcome, OBJECTIVE, settings, refit=True)
    frauds = sum(1 for e in examples if e.fraud)
    learning = learning_report(learned) | {
        "sample": {"rows": len(examples), "frauds": frauds, "legitimate": len(examples) - frauds, "legit_weight": step}
    }
    if current.model is not None:
        active = active_counts(current, outcome, active_examples or examples, grid)
        learning["active_holdout"] = counts_dict(active)
        if OBJECTIVE.value(learned.chosen.cut.counts) <= OBJECTIVE.value(active):
            return None, learning
        return learned.policy, learning
    if learned.chosen.learner == RULES and outcome.after.name == "current":
        return None, learning
    return learned.policy, learning


def active_counts(
    current: FraudPolicy, outcome: Outcome, examples: Sequence[Example], grid: Mapping[str, Sequence[Candidate]]
) -> Counts:
    """The active policy's decisions on the holdout rows (`risk_score > threshold`), each row counted its weight."""
    model = current.model
    if not isinstance(model, TreeModel):
        raise TypeError(f"the weekly job scores tree models only, not {type(model).__name__}")
    setting, offsets = outcome.before.setting, offsets_of(grid)
    tp = fp = fn = tn = 0
    for e in examples:
        if not e.holdout:
            continue
        pattern = setting.pattern_of(offsets, e.bits)
        rules = sum((w for i, w in enumerate(setting.weights) if pattern >> i & 1), Decimal(0))
        flagged = rules + row_score(model, learner_row(model, e.row, e.category)) > current.threshold
        if e.fraud:
            tp, fn = (tp + e.weight, fn) if flagged else (tp, fn + e.weight)
        else:
            fp, tn = (fp + e.weight, tn) if flagged else (fp, tn + e.weight)
    return Counts(tp, fp, fn, tn)
