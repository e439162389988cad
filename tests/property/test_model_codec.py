"""A policy with a learned model: its file round-trips exactly, a malformed model is refused naming the field, and a
decision's JSON lists contributions that sum to its risk_score."""

from __future__ import annotations

import json
import pickle
from decimal import Decimal

import attrs
import pytest
from hypothesis import given

from adapters.model_codec import model_digest, model_from_data, model_to_data
from adapters.serialization import decision_to_dict, policy_from_json, policy_to_json
from domain.ensemble import TreeModel
from domain.observation import Observation
from domain.policy import FraudPolicy, InvalidPolicy
from domain.scoring import evaluate
from tests.model_strategies import full_observations, tree_models
from tests.strategies import policies
from tests.unit.test_ensemble import MODEL


@given(policies(), tree_models())
def test_a_policy_with_a_model_round_trips_through_its_file_exactly(rules: FraudPolicy, model: TreeModel) -> None:
    policy = attrs.evolve(rules, model=model)
    text = policy_to_json(policy)
    assert policy_from_json(text) == policy
    assert json.loads(text)["model"]["base"] == str(model.base)  # a decimal string, never a float
    assert pickle.loads(pickle.dumps(policy)) == policy


@given(policies(), tree_models(), full_observations)
def test_a_decisions_json_lists_contributions_that_sum_to_its_risk_score(
    rules: FraudPolicy, model: TreeModel, obs: Observation
) -> None:
    document = json.loads(json.dumps(decision_to_dict(evaluate(attrs.evolve(rules, model=model), obs))))
    points = sum((Decimal(c["points"]) for c in document["contributions"]), Decimal(0))
    assert points == Decimal(document["risk_score"])
    assert all(set(c) == {"source", "text", "points"} for c in document["contributions"])


def test_a_policy_without_a_model_has_no_model_key() -> None:
    assert "model" not in json.loads(policy_to_json(FraudPolicy.default()))
    assert policy_from_json(policy_to_json(FraudPolicy.default())) == FraudPolicy.default()


def test_equal_models_have_equal_digests_and_different_ones_differ() -> None:
    assert model_digest(model_from_data(model_to_data(MODEL))) == model_digest(MODEL)
    assert model_digest(attrs.evolve(MODEL, base=Decimal("0.06"))) != model_digest(MODEL)
    assert len(model_digest(MODEL)) == 64  # sha256 in hex


_SHARES = {"features": ["amount", "category_fraud_share"]}


def _broken(change: dict[str, object], tree: dict[str, object] | None = None) -> str:
    data = model_to_data(MODEL)
    data.update(change)
    data["trees"][0].update(tree or {})
    return json.dumps({"model": data})


@pytest.mark.parametrize(
    ("text", "field"),
    [
        (_broken({}, {"value": ["0.1", True, "0.4", "0.2", "0.5"]}), "model.trees[0].value[1]: must be a decimal"),
        (_broken({}, {"left": [1, -1, 3, -1]}), "model.trees[0]: a tree's node arrays"),
        (_broken({}, {"missing_left": [1, 0, 0, 0, 0]}), "model.trees[0].missing_left[0]: must be true or false"),
        (_broken({"features": ["amount", "nope"]}), "model.features[1]: no feature named 'nope'"),
        (_broken({"format": 2}), "model.format: 2 is not supported"),
        (_broken({"extra": 1}), "model.extra: is not an allowed field"),
        (_broken({"base": None}), "model.base: is required"),
        (_broken({}, {"feature": [0, -1, 5, -1, -1]}), "model: tree 0 splits on a feature index >= 2"),
        (_broken({"features": ["amount", "category_fraud_share"]}), "model: a model has a category table exactly"),
        (_broken({"categories": {"shares": {}, "other": "0.1"}}), "model: a model has a category table exactly"),
        (
            _broken(_SHARES | {"categories": {"shares": {"grocery": True}, "other": "0.1"}}),
            "model.categories.shares.grocery: must be a decimal string",
        ),
        (
            _broken(_SHARES | {"categories": {"shares": {"grocery": "1.5"}, "other": "0.1"}}),
            "model.categories: category table: the share of grocery must be a Decimal from 0 to 1",
        ),
        (
            _broken(_SHARES | {"categories": {"shares": {"Grocery": "0.5"}, "other": "0.1"}}),
            "model.categories: category table: 'Grocery' must be 1 to 64 lower-case letters",
        ),
        (_broken(_SHARES | {"categories": {"shares": {}}}), "model.categories.other: is required"),
        (_broken(_SHARES | {"categories": {"shares": [], "other": "0"}}), "model.categories.shares: must be an object"),
        (
            _broken(_SHARES | {"categories": {"shares": {}, "other": "0", "x": 1}}),
            "model.categories.x: is not an allowed field",
        ),
    ],
)
def test_a_malformed_model_is_refused_naming_the_field(text: str, field: str) -> None:
    with pytest.raises(InvalidPolicy, match=field.replace("[", r"\[").replace("]", r"\]")):
        policy_from_json(text)
