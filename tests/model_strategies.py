"""Hypothesis strategies for learned models: observations with every signal, and random tree ensembles."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import strategies as st

from domain.ensemble import LEAF, CategoryShares, Tree, TreeModel
from domain.features import CATEGORY_FRAUD_SHARE, NAMES
from tests.strategies import observations

node_values = st.decimals(min_value=Decimal(-1), max_value=Decimal(1), places=6)
money = st.decimals(min_value=Decimal(0), max_value=Decimal(20000), places=2)

full_observations = st.builds(  # any Observation, with the signals learned models read
    lambda obs, extra: obs._replace(**extra),
    observations,
    st.fixed_dictionaries(
        {
            "merchant_category": st.sampled_from(["", "grocery", "travel", "electronics"]),
            "category_count": st.integers(0, 40),
            "category_total": money,
            "count_1h": st.integers(1, 10),
            "count_24h": st.integers(1, 30),
            "count_7d": st.integers(1, 80),
            "sum_1h": money,
            "sum_24h": money,
            "sum_7d": money,
            "recent_high": st.integers(0, 5),
            "recent_night": st.integers(0, 5),
            "merchant_seen": st.booleans(),
            "night_count": st.integers(0, 80),
            "account_age_days": st.integers(0, 3000),
            "min_24h": money,  # 0: no earlier payment in 24 h
            "recent_new": st.integers(0, 5),
            "previous_amount": money,  # 0: none in 24 h, or in another currency
            "recent_new_1h": st.integers(0, 5),
        }
    ),
)


@st.composite
def trees(draw: st.DrawFn, features: int, max_depth: int = 3) -> Tree:
    """A random tree in preorder (as scikit-learn exports them), splitting on feature indices below `features`."""
    feature: list[int] = []
    threshold: list[float] = []
    missing_left: list[bool] = []
    left: list[int] = []
    right: list[int] = []
    value: list[Decimal] = []

    def grow(depth: int) -> int:
        i = len(value)
        value.append(draw(node_values))
        split = depth < max_depth and draw(st.booleans())
        feature.append(draw(st.integers(0, features - 1)) if split else LEAF)
        threshold.append(draw(st.floats(-1, 40) | st.floats(0, 1)) if split else -2.0)  # [0, 1]: shares
        missing_left.append(draw(st.booleans()))
        left.append(LEAF)
        right.append(LEAF)
        if split:
            left[i] = grow(depth + 1)
            right[i] = grow(depth + 1)
        return i

    grow(0)
    return Tree(tuple(feature), tuple(threshold), tuple(missing_left), tuple(left), tuple(right), tuple(value))


shares = st.decimals(min_value=Decimal(0), max_value=Decimal(1), places=6)
category_tables = st.builds(  # some of the observations' categories (the others read `other`)
    CategoryShares,
    st.dictionaries(st.sampled_from(["grocery", "travel", "jewelry"]), shares).map(lambda d: tuple(sorted(d.items()))),
    shares,
)


@st.composite
def tree_models(draw: st.DrawFn, max_trees: int = 8) -> TreeModel:
    """A random ensemble over some features; one that reads the category's share carries a table."""
    names = draw(
        st.lists(st.sampled_from((*NAMES, CATEGORY_FRAUD_SHARE)), min_size=1, max_size=len(NAMES) + 1, unique=True)
    )
    forest = draw(st.lists(trees(len(names)), max_size=max_trees))
    table = draw(category_tables) if CATEGORY_FRAUD_SHARE in names else None
    return TreeModel(tuple(names), draw(node_values), tuple(forest), categories=table)
