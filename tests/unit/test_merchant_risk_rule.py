"""The merchant rule and what it may know: confirmed frauds per merchant and day, each usable only once known."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from adapters.merchant_risk_codec import InvalidMerchantRisk, merchant_risk_from_json, merchant_risk_to_json
from adapters.serialization import parse_transaction
from domain.labels import Label, Labels
from domain.merchant_risk import KNOWN, MerchantDay, MerchantLedger, MerchantRisk, utc_day
from domain.model import Transaction
from domain.policy import FraudPolicy, InvalidPolicy, MerchantRiskRule
from domain.rules import Observation, Scorer, result

D = date(2025, 3, 10).toordinal()


def txn(n: int, merchant: str = "m1", at: str = "2025-03-01T12:00:00Z", customer: str = "c1") -> Transaction:
    return parse_transaction({
        "transaction_id": f"t{n}", "customer_id": customer, "amount": "25.00", "currency": "USD",
        "merchant_id": merchant, "merchant_category": "grocery", "timestamp": at,
        "location": {"latitude": 40.7, "longitude": -74.0},
    })  # fmt: skip


def policy(weight: str = "0.9", **rule: object) -> FraudPolicy:
    return attrs.evolve(FraudPolicy.default(), merchant_risk=MerchantRiskRule(weight=Decimal(weight), **rule))  # type: ignore[arg-type]


def test_counts_cover_the_window_that_ends_lag_days_before_and_only_frauds_known_by_then():
    risk = MerchantRisk({
        "m1": {
            D - 11: MerchantDay(9, (KNOWN,)),  # before the window [D-10, D-3)
            D - 10: MerchantDay(4, (D - 5, D + 1)),  # one known on D, one only after
            D - 4: MerchantDay(2, (D,)),  # known on the very day scored
            D - 3: MerchantDay(5, (KNOWN,)),  # inside the lag: not looked at
        }
    })  # fmt: skip

    assert risk.counts("m1", D, window_days=7, lag_days=3) == (2, 6)
    assert risk.counts("m1", D + 1, window_days=7, lag_days=3) == (2, 7)  # D-10 left the window; D-3 entered it
    assert risk.counts("m2", D, window_days=7, lag_days=3) == (0, 0)


def test_the_ledger_counts_each_transaction_once_and_dates_each_label_the_day_after_it_arrived():
    history = [txn(1, at="2025-03-01T23:30:00-02:00"), txn(1, at="2025-03-01T23:30:00-02:00"), txn(2), txn(3, "m2")]
    arrived = datetime(2025, 3, 4, 9, 0, tzinfo=UTC)

    risk = MerchantLedger(timedelta(days=7)).add(history, Labels.frauds_by_id({"t1": None, "t2": arrived})).risk()

    march_2 = date(2025, 3, 2).toordinal()  # 23:30 at -02:00 is 01:30 UTC on the 2nd
    delayed = date(2025, 3, 9).toordinal() + 1  # 7 days after the transaction, known the next day
    assert risk.merchants == {
        "m1": {march_2: MerchantDay(1, (delayed,)), march_2 - 1: MerchantDay(1, (utc_day(arrived) + 1,))}
    }  # m2 has no confirmed fraud: not kept


def test_a_snapshot_keeps_its_days_and_only_the_frauds_known_on_its_date():
    risk = MerchantRisk({
        "m1": {D - 40: MerchantDay(3, (D - 30,)), D - 2: MerchantDay(4, (D - 1, D + 3))},
        "m2": {D - 5: MerchantDay(6, (D + 1,))},  # nothing known yet: not published
    })  # fmt: skip

    snapshot = risk.published(as_of=D, days=35)

    assert snapshot.merchants == {"m1": {D - 2: MerchantDay(4, (KNOWN,))}}
    parsed, as_of = merchant_risk_from_json(merchant_risk_to_json(snapshot, date.fromordinal(D)))
    assert (parsed, as_of) == (snapshot, date.fromordinal(D))


@given(
    days=st.dictionaries(
        st.integers(D - 30, D),
        st.integers(0, 5).flatmap(
            lambda n: st.tuples(st.just(n + 3), st.lists(st.integers(D - 30, D + 5), max_size=n))
        ),
        max_size=12,
    ),
    window=st.integers(1, 14),
    lag=st.integers(0, 7),
)
def test_a_published_snapshot_answers_as_the_full_history_did_on_its_date(
    days: dict[int, tuple[int, list[int]]], window: int, lag: int
):
    history = MerchantRisk({"m": {d: MerchantDay(n, tuple(sorted(k))) for d, (n, k) in days.items()}})
    snapshot, _ = merchant_risk_from_json(merchant_risk_to_json(history.published(D, days=35), date.fromordinal(D)))

    frauds, transactions = history.counts("m", D, window, lag)
    published = snapshot.counts("m", D, window, lag)
    assert published[0] == frauds
    if frauds:  # the rule needs at least one fraud; then the share's denominator must be the same too
        assert published[1] == transactions


@pytest.mark.parametrize(
    "text",
    ['{"as_of": "2025-03-10"}', '{"as_of": "x", "merchants": {}}', '{"as_of": "2025-03-10", "merchants": {"m": '
     '{"2025-03-01": [2, 3]}}}', '{"as_of": "2025-03-10", "merchants": {"m": {"2025-03-01": [2.5, 1]}}}', "[]"],
)  # fmt: skip
def test_a_bad_snapshot_is_refused_with_the_reason(text: str):
    with pytest.raises(InvalidMerchantRisk, match="not a merchant-risk snapshot"):
        merchant_risk_from_json(text)


def obs(frauds: int, transactions: int) -> Observation:
    return Observation(Decimal("25.00"), "USD", 1, 0, Decimal(0), 0, None, None, datetime(2025, 1, 1, 12).time(),
                       False, frauds, transactions)  # fmt: skip


@pytest.mark.parametrize(
    ("frauds", "transactions", "triggered"),
    [(1, 1, False), (2, 4, True), (2, 5, False), (3, 6, True), (7, 14, True), (0, 0, False)],
)
def test_the_rule_needs_min_frauds_and_min_share_exactly(frauds: int, transactions: int, triggered: bool):
    verdict = result(
        "merchant_risk", policy(min_frauds=2, min_share=Decimal("0.5")).merchant_risk, obs(frauds, transactions)
    )

    assert verdict.triggered is triggered
    assert (verdict.observed, verdict.threshold) == (frauds, 2)


def test_a_decision_explains_the_merchant_rule():
    risk = MerchantRisk({"m1": {D - 8: MerchantDay(3, (KNOWN, KNOWN, KNOWN))}})
    scorer = Scorer(policy("0.9", window_days=7, lag_days=7, min_frauds=2, min_share=Decimal("0.5")), risk)

    decision = scorer.score(None, txn(1, at="2025-03-10T10:00:00Z"))

    assert decision.is_fraud and decision.triggered_rules == ("merchant_risk",)
    assert decision.reasons == (
        "3 confirmed frauds (at least 2) among 3 transactions at the merchant from 14 to 7 days before "
        "(needs 0.5 of them)",
    )


def test_the_merchant_counts_are_not_looked_up_while_the_rule_is_off():
    risk = MerchantRisk({"m1": {D - 8: MerchantDay(3, (KNOWN, KNOWN, KNOWN))}})

    decision = Scorer(policy("0"), risk).score(None, txn(1, at="2025-03-10T10:00:00Z"))

    assert (decision.observation.merchant_frauds, decision.observation.merchant_transactions) == (0, 0)
    assert not decision.is_fraud


@pytest.mark.parametrize(
    "bad", [{"min_share": Decimal("1.1")}, {"min_share": Decimal("-0.1")}, {"window_days": 0}, {"lag_days": -1}]
)
def test_a_merchant_rule_out_of_range_is_refused(bad: dict[str, object]):
    with pytest.raises(InvalidPolicy):
        MerchantRiskRule(**bad)  # type: ignore[arg-type]


def test_a_rule_looking_further_back_than_a_snapshot_covers_is_refused():
    from contracts.aws import MERCHANT_RISK_DAYS
    from domain.policy import MERCHANT_LOOKBACK_DAYS

    assert MERCHANT_RISK_DAYS >= MERCHANT_LOOKBACK_DAYS  # the daily job publishes every day a rule may look at
    MerchantRiskRule(window_days=28, lag_days=7)
    with pytest.raises(InvalidPolicy, match="at most 35"):
        MerchantRiskRule(window_days=28, lag_days=8)


def test_one_label_per_transaction_the_newest_wins_and_fraud_wins_a_tie():
    """The same rule as the Spark jobs' (jobs.labels.read_labels)."""
    import json

    from securebank.lab.backtest import read_labels

    rows = [
        {"transaction_id": "a", "is_fraud": True},  # no labelled_at: the oldest
        {"transaction_id": "a", "is_fraud": False, "labelled_at": "2025-01-02T00:00:00Z"},
        {"transaction_id": "b", "is_fraud": False, "labelled_at": "2025-01-03T00:00:00Z"},
        {"transaction_id": "b", "is_fraud": True, "labelled_at": "2025-01-02T23:00:00-02:00"},  # 01:00Z on the 3rd
        {"transaction_id": "c", "is_fraud": False},
        {"transaction_id": "c", "is_fraud": True},
        {"transaction_id": "d", "is_fraud": True, "labelled_at": "2025-01-05T00:00:00"},  # no zone: rejected
    ]
    lines = [(n, json.dumps(row)) for n, row in enumerate(rows, 1)]

    labels, rejected = read_labels(lines)

    assert {i: labels.get(("anyone", i)) for i in "abcd"} == {"a": False, "b": True, "c": True, "d": None}
    assert labels.label(("anyone", "b")) == Label(True, datetime(2025, 1, 3, 1, tzinfo=UTC))
    assert labels.label(("anyone", "c")) == Label(True, None)
    assert [(r.line, r.field) for r in rejected] == [(7, "labelled_at")]
