"""A model that reads a merchant feature gets the merchant feed, over its policy's merchant window, as the merchant
rule does; a model that reads none, and a rules-only policy without the merchant rule, do not read the feed."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import attrs

from domain.ensemble import LEAF, Tree, TreeModel
from domain.merchant_risk import KNOWN, MerchantDay, MerchantRisk, utc_day
from domain.model import CustomerId, Location, Transaction, TransactionId
from domain.policy import FraudPolicy, MerchantRiskRule
from domain.scoring import Scorer, reads_merchant_feed

AT = datetime(2025, 3, 20, 12, tzinfo=UTC)
DAY = utc_day(AT)
WINDOW, LAG = 5, 2


def _model(feature: str) -> TreeModel:
    split = Tree((0, LEAF, LEAF), (0.5, -2.0, -2.0), (True, True, True), (1, LEAF, LEAF), (2, LEAF, LEAF),
                 (Decimal("0.5"), Decimal("0.1"), Decimal("0.9")))  # fmt: skip
    return TreeModel((feature,), Decimal(0), (split,))


def _policy(feature: str) -> FraudPolicy:
    off = {name: attrs.evolve(settings, weight=Decimal(0)) for name, settings in FraudPolicy().rules.items()}
    policy = FraudPolicy(2, Decimal("0.5"), off, model=_model(feature))
    return policy.with_rules(merchant_risk=MerchantRiskRule(weight=Decimal(0), window_days=WINDOW, lag_days=LAG))


def _txn() -> Transaction:
    return Transaction(TransactionId("t1"), CustomerId("c1"), Decimal("10.00"), "USD", "m1", "grocery", AT,
                       Location(1.0, 2.0))  # fmt: skip


RISK = MerchantRisk({"m1": {DAY - LAG - 1: MerchantDay(4, (KNOWN, KNOWN, KNOWN))}})
"""Three of four payments at m1 confirmed fraud, inside [DAY - LAG - WINDOW, DAY - LAG)."""


def test_a_model_reading_a_merchant_feature_is_scored_with_the_feed_over_its_window() -> None:
    policy = _policy("merchant_fraud_share")
    assert reads_merchant_feed(policy)
    decision = Scorer(policy, RISK).score(None, _txn())
    assert (decision.observation.merchant_frauds, decision.observation.merchant_transactions) == (3, 4)
    assert decision.risk_score == Decimal("0.9")
    assert decision.is_fraud
    earlier = MerchantRiskRule(weight=Decimal(0), window_days=WINDOW, lag_days=LAG + WINDOW)
    outside = policy.with_rules(merchant_risk=earlier)
    assert Scorer(outside, RISK).score(None, _txn()).observation.merchant_transactions == 0  # its own window


def test_a_model_reading_no_merchant_feature_and_the_seed_policy_do_not_read_the_feed() -> None:
    policy = _policy("amount")
    assert not reads_merchant_feed(policy)
    assert Scorer(policy, RISK).score(None, _txn()).observation.merchant_transactions == 0
    assert not reads_merchant_feed(FraudPolicy.default())
    assert reads_merchant_feed(FraudPolicy().with_rules(merchant_risk=MerchantRiskRule(weight=Decimal("0.1"))))
