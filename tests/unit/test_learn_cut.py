"""The operating threshold: the best cut for F1 or for the cost of errors, the precision-recall curve, and the
per-signal importance of the report."""

from __future__ import annotations

from decimal import Decimal

import pytest

from domain.ensemble import BASELINE, Contribution
from jobs.learn_cut import Objective, best_cut, importance, pr_curve

D = Decimal
SCORES = [D("0.9"), D("0.8"), D("0.7"), D("0.6"), D("0.1")]
FRAUDS = [True, True, False, True, False]


def test_the_f1_cut_lies_halfway_below_the_lowest_score_it_flags():
    cut = best_cut(SCORES, FRAUDS, Objective("f1"))

    assert cut.threshold == D("0.35")  # flags 0.9, 0.8, 0.7, 0.6: F1 6/7
    assert (cut.counts.tp, cut.counts.fp, cut.counts.fn, cut.counts.tn) == (3, 1, 0, 1)


def test_a_costly_false_alarm_moves_the_cut_up():
    cut = best_cut(SCORES, FRAUDS, Objective("cost", fn_cost=D(1), fp_cost=D(10)))

    assert cut.threshold == D("0.75")  # flags 0.9, 0.8 only: one missed fraud (1) beats one false alarm (10)
    assert Objective("cost", D(1), D(10)).cost(cut.counts) == D(1)


def test_when_every_cut_costs_more_than_flagging_nothing_nothing_is_flagged():
    cut = best_cut([D("0.5"), D("0.4")], [False, True], Objective("cost", fn_cost=D(1), fp_cost=D(5)))

    assert cut.counts.tp == cut.counts.fp == 0
    assert cut.threshold == D("0.5")  # score > threshold flags nothing


def test_a_score_at_or_below_zero_is_never_flagged_and_the_threshold_is_never_negative():
    cut = best_cut([D("-0.2"), D(0), D("0.3")], [True, True, False], Objective("f1"))

    assert cut.threshold >= 0
    assert cut.counts.tp == 0


def test_the_precision_recall_curve_walks_down_the_thresholds_to_full_recall():
    curve = pr_curve(SCORES, FRAUDS, points=3)

    assert [p["recall"] for p in curve] == ["0.3333", "0.6667", "1.0000"]
    assert [p["threshold"] for p in curve] == ["0.85", "0.75", "0.35"]
    assert [p["flagged"] for p in curve] == [1, 2, 4]
    assert curve[-1]["precision"] == "0.7500"


def test_importance_sums_absolute_points_per_signal_without_the_baseline():
    def decision(amount: str, hour: str) -> tuple[Contribution, ...]:
        return (
            Contribution(BASELINE, "", D("0.02")),
            Contribution("amount", "", D(amount)),
            Contribution("hour", "", D(hour)),
        )

    decisions = [decision("0.3", "-0.1"), decision("-0.2", "0.4")]

    ranked = importance(decisions)

    assert ranked == [
        {"signal": "amount", "points": "0.5", "share": "0.5000"},
        {"signal": "hour", "points": "0.5", "share": "0.5000"},
    ]


def test_an_unknown_objective_or_a_negative_cost_is_refused():
    with pytest.raises(ValueError, match="objective"):
        Objective("auc")
    with pytest.raises(ValueError, match="costs"):
        Objective("cost", fn_cost=D(-1))
