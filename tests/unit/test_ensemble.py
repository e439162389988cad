"""A tree model: its points credited to the features its path split on, and only well-formed models accepted."""

from __future__ import annotations

from datetime import time
from decimal import Decimal
from typing import Any

import attrs
import pytest

from domain.ensemble import FORMAT, LEAF, CategoryShares, Contribution, InvalidModel, Tree, TreeModel, explained
from domain.ensemble_code import MAX_DEPTH
from domain.features import by_name
from domain.observation import Observation

D = Decimal
# Root: amount <= 100 (missing goes left); its right child: count_24h <= 3.
TREE = Tree(
    feature=(0, LEAF, 1, LEAF, LEAF),
    threshold=(100.0, -2.0, 3.0, -2.0, -2.0),
    missing_left=(True, False, False, False, False),
    left=(1, LEAF, 3, LEAF, LEAF),
    right=(2, LEAF, 4, LEAF, LEAF),
    value=(D("0.1"), D("0.0"), D("0.4"), D("0.2"), D("0.5")),
)
MODEL = TreeModel(("amount", "count_24h"), D("0.05"), (TREE,))


def _obs(amount: str, count_24h: int) -> Observation:
    return Observation(D(amount), "EUR", 1, 0, D(0), 0, None, None, time(12), False, count_24h=count_24h)


def test_each_step_of_the_path_is_credited_to_the_feature_its_parent_split_on() -> None:
    obs = _obs("250.00", 4)
    assert MODEL.score(obs) == D("0.55")
    assert MODEL.contributions(obs) == (
        Contribution("baseline", "the model's baseline", D("0.15")),
        Contribution("amount", "amount 250.00 EUR", D("0.3")),
        Contribution("count_24h", "4 payments in 24 h", D("0.1")),
    )


def test_a_feature_whose_step_changes_nothing_is_not_listed() -> None:
    flat = attrs.evolve(TREE, value=(D("0.1"), D("0.0"), D("0.1"), D("0.1"), D("0.1")))
    contributions = TreeModel(("amount", "count_24h"), D(0), (flat,)).contributions(_obs("250.00", 1))
    assert [c.source for c in contributions] == ["baseline"]


def test_the_upper_bound_is_the_base_plus_each_trees_highest_leaf() -> None:
    assert MODEL.max_score == D("0.55")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"value": (D(0),)}, "equal, non-zero length"),
        ({"left": (1, LEAF, 3, LEAF, 2)}, "children"),
        ({"left": (1, LEAF, 1, LEAF, LEAF)}, "reached twice"),
        ({"feature": (0, 1, 1, LEAF, LEAF)}, "leaf 1 has feature"),
        ({"threshold": (float("nan"), -2.0, 3.0, -2.0, -2.0)}, "finite"),
        ({"value": (D("0.1"), D("Infinity"), D("0.3"), D("0.2"), D("0.5"))}, "finite Decimals"),
        ({"value": (D("0.1"), D("1e-20"), D("0.3"), D("0.2"), D("0.5"))}, "places"),
    ],
)
def test_a_malformed_tree_is_refused_with_its_fault(change: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidModel, match=message):
        attrs.evolve(TREE, **change)


def test_a_tree_with_unreachable_nodes_is_refused() -> None:
    with pytest.raises(InvalidModel, match="not reached"):
        Tree((LEAF, LEAF), (-2.0, -2.0), (False, False), (LEAF, LEAF), (LEAF, LEAF), (D(0), D(0)))


def test_a_model_names_known_features_its_trees_index() -> None:
    with pytest.raises(InvalidModel, match="no_such"):
        TreeModel(("amount", "no_such"), D(0), (TREE,))
    with pytest.raises(InvalidModel, match="feature index"):
        TreeModel(("amount",), D(0), (TREE,))
    with pytest.raises(InvalidModel, match="format 2"):
        TreeModel(("amount", "count_24h"), D(0), (TREE,), FORMAT + 1)


def test_a_tree_too_deep_for_generated_code_is_walked_to_the_same_score() -> None:
    n = 2 * (MAX_DEPTH + 2) + 1  # a chain: each split's left child is a leaf, its right child the next split
    splits = range(0, n - 1, 2)
    feature = tuple(0 if i in splits else LEAF for i in range(n))
    left = tuple(i + 1 if i in splits else LEAF for i in range(n))
    right = tuple(i + 2 if i in splits else LEAF for i in range(n))
    values = tuple(D(i).scaleb(-3) for i in range(n))
    deep = Tree(feature, tuple(float(i) for i in range(n)), (False,) * n, left, right, values)
    model = TreeModel(("amount", "count_24h"), D(0), (deep, TREE))
    for amount in ("0.50", "9.00", "250.00", "10000.00"):
        obs = _obs(amount, 4)
        assert model.score(obs) == model.walk_score(obs) == sum((c.points for c in model.contributions(obs)), D(0))


SHARES = CategoryShares((("electronics", D("0.04")), ("grocery", D("0.001"))), D("0.0125"))
# Root: amount <= 100; its right child: the category's fraud share <= 0.02.
SHARE_MODEL = TreeModel(("amount", "category_fraud_share"), D("0.05"), (TREE,), categories=SHARES)


def test_the_category_share_is_read_through_the_models_table() -> None:
    big = _obs("250", 1)
    electronics, grocery, unseen = (big._replace(merchant_category=c) for c in ("electronics", "grocery", "fuel"))
    assert SHARE_MODEL.values(electronics) == [250.0, 0.04]
    assert SHARE_MODEL.values(grocery) == [250.0, 0.001]
    assert SHARE_MODEL.values(unseen) == [250.0, 0.0125]  # a category the labels never saw: the overall share
    # TREE's right child splits at 3.0: every share is below it, so the leaf of value 0.2 is reached
    assert SHARE_MODEL.score(electronics) == SHARE_MODEL.walk_score(electronics) == D("0.05") + D("0.2")


def test_a_category_share_contribution_names_the_category_and_reads_back_the_same() -> None:
    obs = _obs("250", 1)._replace(merchant_category="electronics")
    contributions = SHARE_MODEL.contributions(obs)
    share = next(c for c in contributions if c.source == "category_fraud_share")
    assert share.text == "electronics payments' fraud share in the months the model learned from"
    assert share.points == D("0.2") - D("0.4")
    assert sum(c.points for c in contributions) == SHARE_MODEL.score(obs)
    assert explained(share.source, share.points, obs) == share  # what a stored decision's text is made from


def test_a_model_has_a_category_table_exactly_when_it_reads_the_share() -> None:
    with pytest.raises(InvalidModel, match="category table exactly when"):
        TreeModel(("amount", "category_fraud_share"), D(0), (TREE,))
    with pytest.raises(InvalidModel, match="category table exactly when"):
        TreeModel(("amount", "count_24h"), D(0), (TREE,), categories=SHARES)
    with pytest.raises(TypeError, match="through a model's table"):
        by_name("category_fraud_share").value(_obs("1", 1))  # never read without one


@pytest.mark.parametrize(
    ("shares", "other", "message"),
    [
        ((("grocery", D("0.1")), ("electronics", D("0.2"))), D(0), "distinct and in order"),
        ((("grocery", D("0.1")), ("grocery", D("0.2"))), D(0), "distinct and in order"),
        ((("Grocery", D("0.1")),), D(0), "'Grocery' must be 1 to 64 lower-case"),
        ((("grocery", D("1.01")),), D(0), "share of grocery must be a Decimal from 0 to 1"),
        ((("grocery", D("-0.1")),), D(0), "share of grocery must be a Decimal from 0 to 1"),
        ((), D("NaN"), "share of other must be"),
        ((("grocery", D("0.1234567890123")),), D(0), "at most 12 places"),
    ],
)
def test_a_malformed_category_table_is_refused(shares: Any, other: Decimal, message: str) -> None:
    with pytest.raises(InvalidModel, match=message):
        CategoryShares(shares, other)


def test_models_equal_in_value_but_written_differently_keep_their_own_scores_and_digests() -> None:
    """A model is as its file writes it: one whose values equal another's but carry other exponents ("0.1" and
    "0.100000") is another model, so the caches keyed by a model (its compiled score, its digest) never hand one the
    other's. Scoring both in the same process, in either order, gives each its own exponent."""
    from adapters.recorded_decisions import short_digest

    longer = attrs.evolve(MODEL, base=D("0.050000"), trees=(attrs.evolve(TREE, value=tuple(v.quantize(D("0.000001"))
                                                                               for v in TREE.value)),))  # fmt: skip
    obs = _obs("250.00", 4)
    assert longer != MODEL
    for pair in ((MODEL, longer), (longer, MODEL)):
        assert [str(model.score(obs)) for model in pair] == ["0.55" if model is MODEL else "0.550000" for model in pair]
    assert short_digest(MODEL) != short_digest(longer)
    table = CategoryShares((("grocery", D("0.1")),), D("0.2"))
    assert table != CategoryShares((("grocery", D("0.10")),), D("0.2"))
    assert table != CategoryShares((("grocery", D("0.1")),), D("0.20"))
