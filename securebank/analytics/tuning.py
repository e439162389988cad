"""Local glue for `python -m securebank tune`: files -> tally -> domain.tuning -> policy JSON and a report."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from attrs import frozen

from domain.model import Transaction, TransactionId
from domain.policy import FraudPolicy
from domain.tuning import (
    Candidate,
    Counts,
    Outcome,
    Replay,
    Setting,
    Tally,
    add_to_tally,
    candidate_grid,
    holdout_start,
    iso_week,
    missed_patterns,
    rows_of,
    rule_rates,
    signature,
    weekly_fraud_rate,
)

AMOUNT_QUANTILES = (0.9, 0.95, 0.98, 0.99, 0.995, 0.999)


@frozen
class History:
    tally: Tally
    grid: Mapping[str, tuple[Candidate, ...]]
    transactions: int
    labelled: int
    holdout_from: str | None


def amount_limits(transactions: Iterable[Transaction]) -> list[Decimal]:
    """Round candidate limits for `large_amount` at high quantiles of the amounts seen."""
    amounts = sorted(t.amount for t in transactions)
    if not amounts:
        return []
    return sorted(
        {amounts[min(len(amounts) - 1, int(q * len(amounts)))].quantize(Decimal(1)) for q in AMOUNT_QUANTILES}
    )


def build_history(
    transactions: list[Transaction], labels: Mapping[TransactionId, bool], current: FraudPolicy, holdout: float
) -> History:
    """Replay every transaction in file order (unlabelled ones too: they shape the profiles); tally the labelled."""
    grid = candidate_grid(current, amount_limits(transactions))
    stamps = [t.timestamp for t in transactions if t.transaction_id in labels]
    cutoff = holdout_start(min(stamps), max(stamps), holdout) if stamps else None
    replay, tally, labelled = Replay(), {}, 0
    for txn in transactions:
        example = replay.observe(txn)
        if example is None or txn.transaction_id not in labels:
            continue
        labelled += 1
        in_holdout = cutoff is not None and txn.timestamp >= cutoff
        add_to_tally(tally, in_holdout, iso_week(txn.timestamp), signature(grid, example), labels[txn.transaction_id])
    return History(tally, grid, len(transactions), labelled, None if cutoff is None else cutoff.isoformat())


def counts_dict(counts: Counts) -> dict[str, Any]:
    return {
        "tp": counts.tp,
        "fp": counts.fp,
        "fn": counts.fn,
        "tn": counts.tn,
        **{k: str(getattr(counts, k)) for k in ("precision", "recall", "f1", "fp_rate", "fn_rate")},
    }


def _rules(setting: Setting, history: History) -> list[dict[str, Any]]:
    return [
        {
            "rule": r.rule,
            "weight": str(r.weight),
            "params": {k: str(v) for k, v in r.params},
            "fp_rate": str(r.fp_rate),
            "fn_rate": str(r.fn_rate),
        }
        for r in rule_rates(setting, history.grid, rows_of(history.tally))
    ]


def report(outcome: Outcome, history: History) -> dict[str, Any]:
    everything = rows_of(history.tally)
    return {
        "transactions": history.transactions,
        "labelled": history.labelled,
        "holdout_from": history.holdout_from,
        "objective": "F1 on the training part; the held-out last part chooses among the search results",
        "chosen": outcome.after.name,
        "policy_version": outcome.policy.version,
        "threshold": str(outcome.policy.threshold),
        "confusion": {
            "before": {"train": counts_dict(outcome.before.train), "holdout": counts_dict(outcome.before.holdout)},
            "after": {"train": counts_dict(outcome.after.train), "holdout": counts_dict(outcome.after.holdout)},
        },
        "trials": [
            {"name": t.name, "train_f1": str(t.train.f1), "holdout_f1": str(t.holdout.f1)} for t in outcome.trials
        ],
        "rules_before": _rules(outcome.before.setting, history),
        "rules_after": _rules(outcome.after.setting, history),
        "missed_patterns_after": [
            {"rules": list(names) or ["(none)"], "frauds": n}
            for names, n in missed_patterns(outcome.after.setting, history.grid, everything)
        ],
        "weekly": [
            {"week": week, "labelled": n, "frauds": f, "fraud_rate": str(rate)}
            for week, n, f, rate in weekly_fraud_rate(history.tally)
        ],
    }
