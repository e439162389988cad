"""The fraud-pattern report, shared by the weekly Glue job and `python -m securebank tune` (plain Python)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from domain.tuning import (
    Candidate,
    Counts,
    Outcome,
    Setting,
    Tally,
    missed_patterns,
    rows_of,
    rule_rates,
    weekly_fraud_rate,
)

OBJECTIVE = "F1 on the training part; the held-out last part of the history chooses among the search results"
IMPORTANCE_SHOWN = 12
"""Signals a model candidate's backtest report names (the weekly report has all)."""


def counts_dict(counts: Counts) -> dict[str, Any]:
    rates = ("precision", "recall", "f1", "fp_rate", "fn_rate")
    return {"tp": counts.tp, "fp": counts.fp, "fn": counts.fn, "tn": counts.tn} | {
        name: str(getattr(counts, name)) for name in rates
    }


def _rules(setting: Setting, grid: Mapping[str, Sequence[Candidate]], tally: Tally) -> list[dict[str, Any]]:
    return [
        {
            "rule": r.rule,
            "weight": str(r.weight),
            "params": {k: str(v) for k, v in r.params},
            "fp_rate": str(r.fp_rate),
            "fn_rate": str(r.fn_rate),
        }
        for r in rule_rates(setting, grid, rows_of(tally))
    ]


def report(outcome: Outcome, tally: Tally, grid: Mapping[str, Sequence[Candidate]]) -> dict[str, Any]:
    """Confusion before/after on both parts, per-rule FP/FN rates, the commonest missed patterns, weekly trend."""
    before, after = outcome.before, outcome.after
    return {
        "objective": OBJECTIVE,
        "distinct_signatures": len(rows_of(tally)),
        "chosen": after.name,
        "policy_version": outcome.policy.version,
        "threshold": str(outcome.policy.threshold),
        "confusion": {
            "before": {"train": counts_dict(before.train), "holdout": counts_dict(before.holdout)},
            "after": {"train": counts_dict(after.train), "holdout": counts_dict(after.holdout)},
        },
        "overall": {
            "before": counts_dict(before.train + before.holdout),
            "after": counts_dict(after.train + after.holdout),
        },
        "trials": [
            {"name": t.name, "train_f1": str(t.train.f1), "holdout_f1": str(t.holdout.f1)} for t in outcome.trials
        ],
        "rules_before": _rules(before.setting, grid, tally),
        "rules_after": _rules(after.setting, grid, tally),
        "missed_patterns_after": [
            {"rules": list(names) or ["(none)"], "frauds": n}
            for names, n in missed_patterns(after.setting, grid, rows_of(tally))
        ],
        "weekly": [
            {"week": week, "labelled": n, "frauds": f, "fraud_rate": str(rate)}
            for week, n, f, rate in weekly_fraud_rate(tally)
        ],
    }


def backtest_report(
    outcome: Outcome,
    tally: Tally,
    grid: Mapping[str, Sequence[Candidate]],
    meta: Mapping[str, Any],
    learning: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The backtest report published beside a candidate (contracts/aws.py `policy_report_key`): how the candidate
    and the policy it was tuned from did on the time-ordered holdout (the last part of the labelled history, which
    chose the candidate but did not train it), on the training part and overall; its rules and threshold; the
    history's date range (`meta`: from, to, holdout_from) and its labelled counts. With `learning` (the learner's
    report, jobs/learn_report.py) the learner is named, and a model candidate is described by `_model`."""
    before, after = outcome.before, outcome.after
    holdout = [v for (in_holdout, _, _), v in tally.items() if in_holdout]
    shown = {
        "objective": OBJECTIVE,
        "chosen": after.name,
        "threshold": str(outcome.policy.threshold),
        "rules": _rules(after.setting, grid, tally),
        "dates": {k: meta.get(k) for k in ("history_from", "history_to", "holdout_from")},
        "labelled": {
            "transactions": sum(f + legit for f, legit in tally.values()),
            "frauds": sum(f for f, _ in tally.values()),
            "holdout_transactions": sum(f + legit for f, legit in holdout),
            "holdout_frauds": sum(f for f, _ in holdout),
        },
        "holdout": {"before": counts_dict(before.holdout), "after": counts_dict(after.holdout)},
        "train": {"before": counts_dict(before.train), "after": counts_dict(after.train)},
        "overall": {
            "before": counts_dict(before.train + before.holdout),
            "after": counts_dict(after.train + after.holdout),
        },
    }
    if learning is None:
        return shown
    if learning["learner"] == "rules":
        return shown | {"learner": "rules", "learning": _learning(learning)}
    return shown | _model(learning, shown)


def _learning(learning: Mapping[str, Any]) -> dict[str, Any]:
    """What the learner tried and how it chose (the candidates on the holdout, the objective, the sample)."""
    keys = ("objective", "candidates", "sample", "active_holdout")
    return {k: learning[k] for k in keys if k in learning}


def _model(learning: Mapping[str, Any], shown: Mapping[str, Any]) -> dict[str, Any]:
    """A model candidate: the learner and its setting, its trees and operating threshold (and why), its holdout
    figures on the sampled rows (legitimate ones weighted), the signals that carry it, and the rules it keeps
    (their weights 0 when the ensemble stands alone). Training-part and overall figures are the rules search's
    alone (the tally): they are kept as `rules_search`, not as the candidate's."""
    return {
        "learner": learning["learner"],
        "chosen": learning["chosen"],
        "trees": learning["trees"],
        "threshold": learning["operating_threshold"],
        "why": learning["why"],
        "holdout": {"before": shown["holdout"]["before"], "after": learning["holdout"]},
        "holdout_figures": learning["holdout_figures"],
        "importance": learning["importance"][:IMPORTANCE_SHOWN],
        "rules_search": {k: shown[k] for k in ("chosen", "threshold", "train", "overall")},
        "train": {"before": shown["train"]["before"]},
        "overall": {"before": shown["overall"]["before"]},
        "learning": _learning(learning),
    }
