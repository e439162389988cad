"""The features a learned model reads: values by their documented meaning, missing as None, explained in words."""

from __future__ import annotations

from datetime import time
from decimal import Decimal
from typing import Any

import pytest

from domain.features import FEATURES, NAMES, SPEED_CAP_MPH, by_name, vector
from domain.observation import Observation


def _obs(**changes: Any) -> Observation:
    base = Observation(Decimal("61.00"), "EUR", 1, 4, Decimal("40.00"), 10, 3.0, 2.0, time(23, 30), True,
                       merchant_category="grocery", category_count=2, category_total=Decimal("20.00"),
                       count_24h=4, sum_24h=Decimal("90.00"), recent_night=3, night_count=2)  # fmt: skip
    return base._replace(**changes)


def test_vector_lists_every_feature_in_order() -> None:
    values = vector(_obs())
    assert len(values) == len(FEATURES) == len(set(NAMES))
    assert dict(zip(NAMES, values, strict=True))["amount"] == pytest.approx(61.0)


def test_amount_is_compared_with_the_holders_category_average() -> None:
    obs = _obs()
    assert by_name("amount_vs_category").value(obs) == pytest.approx(6.1)
    assert (
        by_name("amount_vs_category").explain(obs) == "amount 6.1\N{MULTIPLICATION SIGN} this holder's grocery average"
    )
    assert by_name("amount_vs_mean").value(obs) == pytest.approx(6.1)
    assert by_name("sum_24h_vs_mean").value(obs) == pytest.approx(9.0)


def test_missing_history_reads_as_none() -> None:
    first = _obs(prior_count=0, prior_total=Decimal(0), category_count=0, category_total=Decimal(0), history_count=0,
                 distance_miles=None, hours_since_previous=None)  # fmt: skip
    for name in ("amount_vs_category", "amount_vs_mean", "sum_24h_vs_mean", "night_share", "speed_mph",
                 "hours_since_previous", "distance_miles", "merchant_fraud_share"):  # fmt: skip
        assert by_name(name).value(first) is None, name
        assert by_name(name).explain(first)


def test_runs_counts_and_habits_read_as_sentences() -> None:
    obs = _obs()
    assert by_name("recent_night").explain(obs) == "3 of the last 5 payments at night"
    assert by_name("count_24h").explain(obs) == "4 payments in 24 h"
    assert by_name("night_share").value(obs) == pytest.approx(0.2)
    assert by_name("local_hour").value(obs) == pytest.approx(23.5)


def test_an_instant_move_has_a_finite_speed() -> None:
    assert by_name("speed_mph").value(_obs(hours_since_previous=0.0)) == SPEED_CAP_MPH


def test_an_unknown_feature_is_named_in_the_error() -> None:
    with pytest.raises(KeyError, match="no_such"):
        by_name("no_such")


def test_the_smallest_payment_in_24_h_is_compared_with_the_holders_average() -> None:
    tested = _obs(min_24h=Decimal("0.40"))  # a card tested with 0.40 EUR; the holder's EUR average is 10.00
    assert by_name("min_24h_vs_mean").value(tested) == pytest.approx(0.04)
    assert by_name("min_24h_vs_mean").explain(tested) == (
        "smallest EUR payment in 24 h 0.04\N{MULTIPLICATION SIGN} this holder's average payment"
    )
    alone = _obs()  # min_24h 0: no earlier payment in this currency in the last 24 h
    assert by_name("min_24h_vs_mean").value(alone) is None
    assert by_name("min_24h_vs_mean").explain(alone) == "no earlier EUR payment in 24 h"


def test_a_run_at_new_merchants_reads_as_a_sentence() -> None:
    obs = _obs(recent_new=4)
    assert by_name("recent_new").value(obs) == 4.0
    assert by_name("recent_new").explain(obs) == "4 of the last 5 payments at merchants new to this holder"
