"""A transaction item of a model policy keeps the model's digest and points, never the model, and reads back with the
same contributions and reasons."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import attrs

from adapters.items import from_attribute_values, scored_from_item, scored_to_item, to_attribute_values
from adapters.model_codec import model_digest
from adapters.recorded_decisions import MODEL_DIGEST, MODEL_POINTS
from domain.model import CustomerId, Location, Transaction, TransactionId
from domain.policy import FraudPolicy
from domain.ports import ScoredTransaction
from domain.scoring import Scorer
from tests.unit.test_ensemble import MODEL

T0 = datetime(2024, 3, 1, 23, 30, tzinfo=UTC)
PAYMENT = Transaction(TransactionId("t1"), CustomerId("c1"), Decimal("250.00"), "USD", "m1", "grocery", T0,
                      Location(40.7, -74.0))  # fmt: skip


def _scored(policy: FraudPolicy) -> ScoredTransaction:
    return ScoredTransaction(PAYMENT, Scorer(policy).score(None, PAYMENT), T0)


def _round_trip(scored: ScoredTransaction) -> ScoredTransaction:
    return scored_from_item(from_attribute_values(to_attribute_values(scored_to_item(scored))))


def test_the_item_keeps_the_models_digest_and_points_not_the_model() -> None:
    scored = _scored(FraudPolicy(version=7, threshold=Decimal("0.5"), model=MODEL))
    item = scored_to_item(scored)
    assert "model" not in item["policy"]
    assert item[MODEL_DIGEST] == model_digest(MODEL)
    assert item[MODEL_POINTS] == [[c.source, c.points] for c in MODEL.contributions(scored.decision.observation)]
    assert item["reasons"] == list(scored.decision.reasons)


def test_a_decision_read_back_lists_the_same_contributions_and_reasons() -> None:
    scored = _scored(FraudPolicy(version=7, threshold=Decimal("0.5"), model=MODEL))
    back = _round_trip(scored).decision
    assert back.contributions == scored.decision.contributions
    assert back.reasons == scored.decision.reasons
    assert back.model_digest == model_digest(MODEL)
    assert back.policy == attrs.evolve(scored.decision.policy, model=None)
    assert back == scored.decision.as_recorded(model_digest(MODEL))
    assert sum((c.points for c in back.contributions), Decimal(0)) == back.risk_score


def test_a_rules_only_decision_adds_nothing_to_its_item() -> None:
    scored = _scored(FraudPolicy.default())
    item = scored_to_item(scored)
    assert not {MODEL_DIGEST, MODEL_POINTS, "recorded"} & set(item)
    assert _round_trip(scored).decision.contributions == scored.decision.contributions
