"""A policy with a learned model: its score adds to the rules', and its decision says why, by the path taken."""

from __future__ import annotations

from datetime import time
from decimal import Decimal

import attrs

from domain.policy import FraudPolicy, TimeRule
from domain.scoring import evaluate
from tests.unit.test_ensemble import MODEL, _obs

D = Decimal


def test_the_models_score_adds_to_the_triggered_rules_weights() -> None:
    policy = FraudPolicy(threshold=D("0.5"), time_anomaly=TimeRule(D("0.1"), time(6), time(7)), model=MODEL)
    decision = evaluate(policy, _obs("250.00", 4))
    assert decision.risk_score == D("0.65")  # time 0.1 + the model's 0.55
    assert decision.is_fraud
    assert decision.triggered_rules == ("time_anomaly",)
    assert [(c.source, c.points) for c in decision.contributions] == [
        ("time_anomaly", D("0.1")), ("baseline", D("0.15")), ("amount", D("0.3")), ("count_24h", D("0.1"))]  # fmt: skip


def test_the_reasons_list_the_rules_then_what_raised_the_score_largest_first() -> None:
    policy = FraudPolicy(threshold=D("0.5"), time_anomaly=TimeRule(D("0.1"), time(6), time(7)), model=MODEL)
    reasons = evaluate(policy, _obs("250.00", 4)).reasons
    assert reasons[1:] == ("amount 250.00 EUR (+0.30)", "4 payments in 24 h (+0.10)")
    assert "12:00" in reasons[0]


def test_a_policy_with_a_model_may_flag_up_to_its_upper_bound() -> None:
    policy = FraudPolicy(model=MODEL)
    assert policy.total_weight == D("1.0") + MODEL.max_score
    assert attrs.evolve(policy, threshold=D("1.5")).can_flag
    assert not attrs.evolve(policy, threshold=D("1.55")).can_flag
    assert policy.with_rules().model == MODEL


def test_the_specifications_policy_has_no_model() -> None:
    assert FraudPolicy.default().model is None
    assert FraudPolicy.default() == FraudPolicy()


def test_the_reasons_name_at_most_five_features_and_none_that_shows_as_zero() -> None:
    from domain.ensemble import LEAF, Tree, TreeModel
    from domain.features import NAMES
    from domain.scoring import MODEL_REASONS

    raises = [Decimal("0.3"), Decimal("0.2"), Decimal("0.1"), Decimal("0.05"), Decimal("0.04"), Decimal("0.03"),
              Decimal("0.004")]  # fmt: skip
    trees = tuple(
        Tree((i, LEAF, LEAF), (-1.0, -2.0, -2.0), (False, False, False), (1, LEAF, LEAF), (2, LEAF, LEAF),
             (Decimal(0), Decimal(0), points))  # every value is above -1 or missing: right, the step credited
        for i, points in enumerate(raises)
    )  # fmt: skip
    features = ("count_1h", "count_24h", "count_7d", "recent_high", "recent_night", "history_count", "night_share")
    assert set(features) <= set(NAMES)
    policy = FraudPolicy.default().with_rules(
        **{name: attrs.evolve(s, weight=Decimal(0)) for name, s in FraudPolicy.default().rules.items()}
    )
    policy = attrs.evolve(policy, model=TreeModel(features, Decimal(0), trees))
    decision = evaluate(policy, _obs("250.00", 4))
    assert sum((c.points for c in decision.contributions), Decimal(0)) == decision.risk_score
    assert len(decision.reasons) == MODEL_REASONS
    assert [r.rsplit(" ", 1)[1] for r in decision.reasons] == ["(+0.30)", "(+0.20)", "(+0.10)", "(+0.05)", "(+0.04)"]
