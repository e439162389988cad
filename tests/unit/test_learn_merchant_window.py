"""The ensembles read the merchant fields over the merchant rule window of the rules search's policy, which the
written policy keeps: a model reads in production (domain.scoring.reads_merchant_feed) what it was fitted on."""

from __future__ import annotations

from datetime import time
from decimal import Decimal
from typing import Any

import pytest

from domain.catalogue import MERCHANT_WINDOWS
from domain.features import NAMES
from domain.observation import Observation
from domain.policy import FraudPolicy, MerchantRiskRule
from jobs import learn_select
from securebank.lab.tuning import History, Labelled

SHARE = NAMES.index("merchant_fraud_share")


def _labelled(window_index: int) -> Labelled:
    obs = Observation(Decimal("10.00"), "USD", 1, 0, Decimal(0), 0, None, None, time(12), False)
    counts = tuple((3, 4) if i == window_index else (0, 9) for i in range(len(MERCHANT_WINDOWS)))
    return Labelled(obs, True, False, 0, counts)


def test_a_labelled_transaction_gives_its_observation_at_any_merchant_window() -> None:
    labelled = _labelled(5)
    at = labelled.at_merchant_window(MERCHANT_WINDOWS[5])
    assert (at.merchant_frauds, at.merchant_transactions) == (3, 4)
    other = labelled.at_merchant_window(MERCHANT_WINDOWS[0])
    assert (other.merchant_frauds, other.merchant_transactions) == (0, 9)
    assert at._replace(merchant_frauds=0, merchant_transactions=0) == labelled.observation
    silent = labelled._replace(merchant=())  # the feed said nothing over any window
    assert silent.at_merchant_window(MERCHANT_WINDOWS[5]) == labelled.observation


@pytest.mark.parametrize("index", [0, 5, len(MERCHANT_WINDOWS) - 1])
def test_learn_fits_on_the_merchant_window_of_the_rules_policy(index: int, monkeypatch: pytest.MonkeyPatch) -> None:
    window_days, lag_days = MERCHANT_WINDOWS[index]
    policy = FraudPolicy().with_rules(merchant_risk=MerchantRiskRule(weight=Decimal(0), window_days=window_days,
                                                                     lag_days=lag_days))  # fmt: skip
    seen: dict[str, Any] = {}

    def capture(examples: Any, *_: Any, **__: Any) -> str:
        seen["rows"] = examples
        return "learned"

    monkeypatch.setattr(learn_select, "learn_examples", capture)
    history = History({}, {}, 1, 1, None, (_labelled(index),))
    outcome = type("O", (), {"policy": policy})()
    assert learn_select.learn(history, outcome, learn_select.Objective()) == "learned"  # type: ignore[arg-type]
    assert seen["rows"][0].row[SHARE] == pytest.approx(0.75)  # 3 of 4 over this window; 0 of 9 over the others


def test_the_replay_keeps_what_the_feed_said_of_the_merchant_over_each_window() -> None:
    from datetime import UTC, datetime

    from domain.labels import Label, Labels
    from domain.merchant_risk import KNOWN, MerchantDay, MerchantRisk, utc_day
    from domain.model import CustomerId, Location, Transaction, TransactionId
    from securebank.lab.tuning import build_history

    at = datetime(2025, 3, 20, 12, tzinfo=UTC)
    risk = MerchantRisk({"m1": {utc_day(at) - 8: MerchantDay(4, (KNOWN, KNOWN, KNOWN))}})
    txns = [Transaction(TransactionId(f"t{n}"), CustomerId("c1"), Decimal("10.00"), "USD", f"m{n}", "grocery",
                        at.replace(hour=10 + n), Location(1.0, 2.0)) for n in (1, 2)]  # fmt: skip
    labels = Labels()
    for txn in txns:
        labels.add(txn.transaction_id, txn.customer_id, Label(False, None))
    history = build_history(txns, labels, FraudPolicy.default(), 0.5, merchants=risk)
    at_m1, at_m2 = history.examples
    assert at_m2.merchant == ()  # the feed knows nothing of m2
    for window in MERCHANT_WINDOWS:
        observed = at_m1.at_merchant_window(window)
        expected = risk.counts("m1", utc_day(at), *window)
        assert (observed.merchant_frauds, observed.merchant_transactions) == expected
    assert any(at_m1.at_merchant_window(w).merchant_transactions for w in MERCHANT_WINDOWS)


def test_a_trees_only_policy_keeps_the_merchant_window_and_the_other_rules_at_their_defaults() -> None:
    from domain.policy import AmountRule, VelocityRule

    searched = FraudPolicy().with_rules(
        velocity_check=VelocityRule(weight=Decimal("0.3"), window_seconds=21600, max_count=7),
        amount_anomaly=AmountRule(weight=Decimal("0.2"), multiplier=Decimal("2.5"), min_history=5),
        merchant_risk=MerchantRiskRule(weight=Decimal("0.2"), window_days=5, lag_days=7, min_share=Decimal("0.7")),
    )
    off = learn_select._switched_off(searched)
    assert all(settings.weight == 0 for settings in off.values())
    assert off["velocity_check"] == VelocityRule(weight=Decimal(0))
    assert off["amount_anomaly"] == AmountRule(weight=Decimal(0))
    assert off["merchant_risk"] == MerchantRiskRule(weight=Decimal(0), window_days=5, lag_days=7)
