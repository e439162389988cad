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
