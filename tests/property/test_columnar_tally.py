"""`tune`'s history in columns equals the domain engine's (`build_history`): the tally, the grid, the counts, the
holdout's start and every labelled example (its observation with every signal, label, split, signature and what
the merchant feed said over each window), in file order, on the generated histories of the columnar replay's test
(out-of-order timestamps, redeliveries and conflicting resubmissions, bad lines, currencies, zones, bursts past the
profile's bounds), with labels by key and by id alone (some dated), merchant feeds generated or built from the
labels, and current policies whose own settings join the grid."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import timedelta
from decimal import Decimal

import attrs
from hypothesis import given
from hypothesis import strategies as st

from domain.catalogue import MERCHANT_WINDOWS, VELOCITY_WINDOWS
from domain.features import FEATURES, vector
from domain.labels import Label, Labels
from domain.merchant_risk import MerchantRisk
from domain.model import CustomerId, Transaction, TransactionId
from domain.policy import FraudPolicy
from securebank.lab.backtest import merchant_feed
from securebank.lab.columnar_parse import parse_lines
from securebank.lab.columnar_tally import columnar_history, merchant_feed_of
from securebank.lab.tuning import Row, build_history, read_transactions
from tests.property.test_columnar_replay import (
    FAST,
    START,
    histories,
    merchant_feeds,
    rules_policies,
    signal_histories,
)


def transactions_of(lines: list[tuple[int, str]]) -> list[Transaction]:
    return [txn for _, txn in read_transactions(lines)]


@st.composite
def labels_for(draw: st.DrawFn, transactions: list[Transaction]) -> Labels:
    """Labels of some transactions: by key or by id alone, fraud or not, some with the instant they arrived."""
    labels = Labels()
    for txn in transactions:
        kind = draw(st.sampled_from(("none", "fraud", "legit", "legit", "legit")))
        if kind == "none":
            continue
        customer = None if draw(st.integers(0, 4)) == 0 else CustomerId(txn.customer_id)
        at = START + timedelta(days=draw(st.integers(-3, 30))) if draw(st.integers(0, 3)) == 0 else None
        labels.add(TransactionId(txn.transaction_id), customer, Label(kind == "fraud", at))
    return labels


@st.composite
def current_policies(draw: st.DrawFn) -> FraudPolicy:
    """The specification's policy, or a learned one at windows the tuner's replay observes (its own settings are
    among the candidates)."""
    if draw(st.booleans()):
        return FraudPolicy.default()
    policy = draw(rules_policies())
    window, lag = draw(st.sampled_from(MERCHANT_WINDOWS))
    return policy.with_rules(
        velocity_check=attrs.evolve(policy.velocity_check, window_seconds=draw(st.sampled_from(VELOCITY_WINDOWS))),
        merchant_risk=attrs.evolve(policy.merchant_risk, window_days=window, lag_days=lag),
    )


@st.composite
def feeds(draw: st.DrawFn, transactions: list[Transaction], labels: Labels) -> MerchantRisk:
    if draw(st.booleans()):
        return merchant_feed(transactions, labels, timedelta(days=draw(st.sampled_from((0, 2, 7)))))
    return draw(merchant_feeds())


def assert_same_history(lines: list[tuple[int, str]], data: st.DataObject) -> None:
    transactions = transactions_of(lines)
    labels = data.draw(labels_for(transactions))
    current = data.draw(current_policies())
    holdout = data.draw(st.sampled_from((0.1, 0.25, 0.5)))
    merchants = data.draw(feeds(transactions, labels))
    expected = build_history(transactions, labels, current, holdout, merchants=merchants)
    got = columnar_history(lines, labels, current, holdout, merchants=merchants)
    assert got.examples == expected.examples
    assert got.tally == expected.tally
    assert list(got.tally) == list(expected.tally)  # summed in the same order
    assert got == expected
    window = data.draw(st.sampled_from(MERCHANT_WINDOWS))
    assert_nan_equal(got.rows_at(window), [vector(e.at_merchant_window(window)) for e in expected.examples])
    delay = timedelta(days=data.draw(st.sampled_from((0, 2, 7))))
    assert merchant_feed_of(parse_lines(lines)[0], labels, delay) == merchant_feed(transactions, labels, delay)


def assert_nan_equal(got: Sequence[Row], expected: Sequence[Row]) -> None:
    """The same rows in the same order: every value the same float (sign of zero too), None or NaN where the
    domain's is None (the learner's matrix reads both as NaN)."""
    assert len(got) == len(expected)
    for row, reference in zip(got, expected, strict=True):
        assert len(row) == len(reference) == len(FEATURES)
        for value, wanted in zip(row, reference, strict=True):
            if wanted is None:
                assert value is None or math.isnan(value)
            else:
                assert isinstance(value, float) and value == wanted
                assert math.copysign(1.0, value) == math.copysign(1.0, wanted)


@FAST
@given(histories(), st.data())
def test_columnar_history_equals_the_domains(lines: list[tuple[int, str]], data: st.DataObject) -> None:
    assert_same_history(lines, data)


@FAST
@given(signal_histories(), st.data())
def test_columnar_history_equals_the_domains_past_the_profiles_bounds(
    lines: list[tuple[int, str]], data: st.DataObject
) -> None:
    assert_same_history(lines, data)


def test_a_grid_the_expressions_do_not_cover_is_built_by_the_domain() -> None:
    """A multiplier with more decimals than the expressions scale exactly: the whole history goes to the domain."""
    from domain.tuning import candidate

    lines = [(1, _line("t1", "10.00", "2026-03-01T10:00:00Z")), (2, _line("t2", "95.00", "2026-03-01T11:00:00Z"))]
    labels = Labels.by_id({"t1": False, "t2": True})
    grid = {"amount_anomaly": (candidate("amount_anomaly", multiplier=Decimal("1.0000000001"), min_history=1),)}
    got = columnar_history(lines, labels, FraudPolicy.default(), 0.25, grid)
    assert got == build_history(transactions_of(lines), labels, FraudPolicy.default(), 0.25, grid)
    assert [example.bits for example in got.examples] == [0, 1]


def _line(txn_id: str, amount: str, at: str) -> str:
    return (
        f'{{"transaction_id":"{txn_id}","customer_id":"c1","amount":"{amount}","currency":"USD","merchant_id":"m_0",'
        f'"merchant_category":"fuel","timestamp":"{at}","location":{{"latitude":1.5,"longitude":2.5}}}}'
    )
