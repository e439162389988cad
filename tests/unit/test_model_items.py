"""A transaction item of a model policy keeps the model's short digest and points, never the model, and reads back
with the same contributions, reasons and risk score; an item written in the earlier shape still reads back."""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import attrs

from adapters.items import from_attribute_values, item_converter, scored_from_item, scored_to_item, to_attribute_values
from adapters.memory import InMemoryProfileRepository, InMemoryTransactionRepository
from adapters.model_codec import model_digest, model_to_data
from adapters.recorded_decisions import CODES, MODEL, MODEL_DIGEST, MODEL_POINTS, model_text, short_digest
from adapters.stored_decisions import SIGNALS
from domain.contribution import Contribution
from domain.features import CATEGORY_FRAUD_SHARE, FEATURES
from domain.model import CustomerId, Location, Transaction, TransactionId
from domain.policy import FraudPolicy
from domain.ports import ScoredTransaction
from domain.scoring import Scorer
from tests.unit.test_ensemble import MODEL as TREES
from tests.unit.test_ensemble import SHARE_MODEL

T0 = datetime(2024, 3, 1, 23, 30, tzinfo=UTC)
PAYMENT = Transaction(TransactionId("t1"), CustomerId("c1"), Decimal("250.00"), "USD", "m1", "grocery", T0,
                      Location(40.7, -74.0))  # fmt: skip
DIGEST_CHARACTERS = 22
POLICY = FraudPolicy(version=7, threshold=Decimal("0.5"), model=TREES)


def _scored(policy: FraudPolicy) -> ScoredTransaction:
    return ScoredTransaction(PAYMENT, Scorer(policy).score(None, PAYMENT), T0)


def _round_trip(item: dict[str, Any]) -> ScoredTransaction:
    return scored_from_item(from_attribute_values(to_attribute_values(item)))


def test_the_item_keeps_the_models_short_digest_and_points_in_one_string_not_the_model() -> None:
    scored = _scored(POLICY)
    item = scored_to_item(scored)
    assert "model" not in item["policy"]
    assert not {MODEL_DIGEST, MODEL_POINTS} & set(item)
    contributions = TREES.contributions(scored.decision.observation)
    assert [c.source for c in contributions] == ["baseline", "amount", "count_24h"]
    assert [str(c.points) for c in contributions] == ["0.15", "0.3", "-0.2"]
    assert item[MODEL] == f"{short_digest(TREES)} -2 0:15 1=0.3 5=-0.2"  # 0.15 in units of 10^-2; the others exact
    assert item["reasons"] == list(scored.decision.reasons)


def test_the_short_digest_is_the_first_16_bytes_of_the_models_sha256_in_base64url() -> None:
    canonical = json.dumps(model_to_data(TREES), sort_keys=True, separators=(",", ":")).encode()
    expected = base64.urlsafe_b64encode(hashlib.sha256(canonical).digest()[:16]).decode().rstrip("=")
    assert short_digest(TREES) == expected
    assert len(expected) == DIGEST_CHARACTERS
    assert short_digest(attrs.evolve(TREES, base=Decimal("0.06"))) != short_digest(TREES)


def test_a_decision_read_back_lists_the_same_contributions_reasons_and_risk_score() -> None:
    scored = _scored(POLICY)
    back = _round_trip(scored_to_item(scored)).decision
    assert back.contributions == scored.decision.contributions
    assert [str(c.points) for c in back.contributions] == [str(c.points) for c in scored.decision.contributions]
    assert back.reasons == scored.decision.reasons
    assert back.risk_score == scored.decision.risk_score
    assert back.model_digest == short_digest(TREES)
    assert back.policy == attrs.evolve(scored.decision.policy, model=None)
    assert back == scored.decision.as_recorded(short_digest(TREES))
    assert sum((c.points for c in back.contributions), Decimal(0)) == back.risk_score


def test_a_category_share_contribution_is_written_by_its_code_and_reads_back_with_its_text() -> None:
    policy = FraudPolicy(version=8, threshold=Decimal("0.5"), model=SHARE_MODEL)
    scored = _scored(policy)  # 250.00 at a grocery: the share the table gives grocery takes the right child's step
    item = scored_to_item(scored)
    code = CODES.index(CATEGORY_FRAUD_SHARE)
    assert item[MODEL] == f"{short_digest(SHARE_MODEL)} -2 0:15 1=0.3 {code}=-0.2"
    back = _round_trip(item).decision
    share = back.contributions[-1]
    assert share.source == CATEGORY_FRAUD_SHARE
    assert share.text == "grocery payments' fraud share in the months the model learned from"
    assert back == scored.decision.as_recorded(short_digest(SHARE_MODEL))


def test_an_item_written_before_the_compact_shape_reads_back_with_the_same_contributions_and_reasons() -> None:
    """Earlier items held the hex digest, the points as [source, points] pairs and every signal in the map."""
    scored = _scored(POLICY)
    item = scored_to_item(scored)
    recorded = TREES.contributions(scored.decision.observation)
    del item[MODEL], item[SIGNALS]
    item["observation"] = item_converter().unstructure(scored.decision.observation)
    item[MODEL_DIGEST] = model_digest(TREES)
    item[MODEL_POINTS] = [[c.source, c.points] for c in recorded]
    back = _round_trip(item).decision
    assert back.contributions == scored.decision.contributions
    assert back.reasons == scored.decision.reasons
    assert back.model_digest == model_digest(TREES)
    assert back == scored.decision.as_recorded(model_digest(TREES))


def test_every_feature_has_a_code_and_the_codes_only_grow_at_the_end() -> None:
    assert CODES[0] == "baseline"
    assert {*(f.name for f in FEATURES), CATEGORY_FRAUD_SHARE} <= set(CODES), "append a new feature's name to CODES"
    assert CODES[1:4] == ("amount", "amount_vs_category", "amount_vs_mean")  # items already written read these
    assert CODES[-7:] == ("history_count", CATEGORY_FRAUD_SHARE, "min_24h_vs_mean", "recent_new", "sum_1h_vs_mean",
                          "previous_vs_mean", "recent_new_1h")  # fmt: skip


def test_quantized_points_are_written_as_integers_of_the_baselines_exponent_and_read_back_with_it() -> None:
    points = (("baseline", "0.020031"), ("amount", "0.000090"), ("sum_7d_vs_mean", "-0.013386"), ("count_1h", "2"))
    contributions = tuple(Contribution(source, "", Decimal(text)) for source, text in points)
    text = model_text("d", contributions)
    assert text == "d -6 0:20031 1:90 8:-13386 4=2"
    item = scored_to_item(_scored(POLICY)) | {MODEL: text}
    back = _round_trip(item).decision.recorded or ()
    assert [(c.source, str(c.points)) for c in back] == list(points)


def test_a_source_without_a_code_is_written_by_its_name_and_read_back() -> None:
    scored = _scored(POLICY)
    item = scored_to_item(scored)
    digest, scale, baseline, amount, count_24h = item[MODEL].split(" ")
    item[MODEL] = f"{digest} {scale} {baseline} amount={amount.split('=')[1]} count_24h={count_24h.split('=')[1]}"
    assert _round_trip(item).decision == _round_trip(scored_to_item(scored)).decision
    assert model_text("d", (Contribution("new_feature", "", Decimal("-0.5")),)) == "d -1 new_feature:-5"


def test_a_rules_only_decision_adds_nothing_to_its_item() -> None:
    scored = _scored(FraudPolicy.default())
    item = scored_to_item(scored)
    assert not {MODEL, MODEL_DIGEST, MODEL_POINTS, SIGNALS, "recorded"} & set(item)
    assert _round_trip(item).decision.contributions == scored.decision.contributions


def test_the_in_memory_fake_gives_a_model_decision_back_as_the_table_does() -> None:
    scored = _scored(POLICY)
    repository = InMemoryTransactionRepository(InMemoryProfileRepository())
    repository.items[scored.transaction.key] = scored
    assert repository.get_many([scored.transaction.key]) == {
        scored.transaction.key: _round_trip(scored_to_item(scored))
    }
