"""A tree ensemble scores as an independent recursive evaluation does, and its path explains its score exactly."""

from __future__ import annotations

from decimal import Decimal

import attrs
from hypothesis import given

from domain.ensemble import BASELINE, LEAF, Contribution, Tree, TreeModel
from domain.observation import Observation
from domain.policy import FraudPolicy
from domain.scoring import evaluate
from tests.model_strategies import full_observations, tree_models
from tests.strategies import policies


def _leaf_value(tree: Tree, node: int, values: list[float | None]) -> Decimal:
    """The textbook recursion, written apart from the evaluator under test."""
    if tree.left[node] == LEAF:
        return tree.value[node]
    value = values[tree.feature[node]]
    goes_left = tree.missing_left[node] if value is None else value <= tree.threshold[node]
    return _leaf_value(tree, tree.left[node] if goes_left else tree.right[node], values)


@given(tree_models(), full_observations)
def test_the_score_is_the_base_plus_each_trees_leaf(model: TreeModel, obs: Observation) -> None:
    values = model.values(obs)
    expected = model.base + sum((_leaf_value(tree, 0, values) for tree in model.trees), Decimal(0))
    assert model.score(obs) == expected


@given(tree_models(), full_observations)
def test_the_contributions_sum_exactly_to_the_score(model: TreeModel, obs: Observation) -> None:
    contributions = model.contributions(obs)
    assert contributions[0].source == BASELINE
    assert sum((c.points for c in contributions), Decimal(0)) == model.score(obs)
    assert all(c.points != 0 and c.source in model.features and c.text for c in contributions[1:])


@given(tree_models(), full_observations)
def test_no_score_exceeds_the_upper_bound(model: TreeModel, obs: Observation) -> None:
    assert model.score(obs) <= model.max_score


@given(policies(), tree_models(), full_observations)
def test_a_decisions_contributions_sum_exactly_to_its_risk_score(
    rules: FraudPolicy, model: TreeModel, obs: Observation
) -> None:
    policy = attrs.evolve(rules, model=model)
    decision = evaluate(policy, obs)
    contributions = decision.contributions
    assert sum((c.points for c in contributions), Decimal(0)) == decision.risk_score
    assert decision.risk_score == evaluate(rules, obs).risk_score + model.score(obs)
    assert [c.source for c in contributions[: len(decision.triggered_rules)]] == list(decision.triggered_rules)
    assert decision.is_fraud == (decision.risk_score > policy.threshold)
    assert decision.risk_score <= policy.total_weight


@given(policies(), full_observations)
def test_without_a_model_the_contributions_are_the_triggered_rules(policy: FraudPolicy, obs: Observation) -> None:
    decision = evaluate(policy, obs)
    assert decision.contributions == tuple(
        Contribution(r.rule, r.reason, r.weight) for r in decision.results if r.triggered
    )
    assert decision.reasons == tuple(c.text for c in decision.contributions)
