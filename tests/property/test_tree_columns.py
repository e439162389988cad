"""`tree_units` sums a tree model over columns exactly as the domain sums it in Decimal, row by row."""

from __future__ import annotations

import math
from decimal import Decimal

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.ensemble import Tree, TreeModel
from jobs.tree_columns import tree_units
from tests.model_strategies import tree_models, trees

AT = -6
"""The exponent of `tests.model_strategies.node_values` (six places)."""


def _near(model: TreeModel) -> st.SearchStrategy[float]:
    """A feature value: often a threshold of the model or a neighbour of one (ties decide), sometimes missing."""
    thresholds = sorted({t for tree in model.trees for t in tree.threshold}) or [0.0]
    at_threshold = st.sampled_from(thresholds)
    return st.one_of(
        at_threshold,
        at_threshold.map(lambda t: math.nextafter(t, math.inf)),
        at_threshold.map(lambda t: math.nextafter(t, -math.inf)),
        st.floats(allow_nan=True, allow_infinity=True),
        st.just(math.nan),
    )


@st.composite
def models_and_rows(draw: st.DrawFn) -> tuple[TreeModel, list[list[float]]]:
    model = draw(tree_models(max_trees=12))
    rows = draw(st.lists(st.lists(_near(model), min_size=len(model.features), max_size=len(model.features)),
                         max_size=40))  # fmt: skip
    return model, rows


def _domain_sum(model: TreeModel, row: list[float]) -> Decimal:
    """The domain's walk (`Tree.path`) on the row's values, None where the column holds NaN."""
    values = [None if math.isnan(v) else v for v in row]
    return model.base + sum((tree.value[tree.path(values)[-1]] for tree in model.trees), Decimal(0))


def _columns(model: TreeModel, rows: list[list[float]]) -> dict[str, np.ndarray]:
    matrix = np.array(rows, dtype=np.float64).reshape(len(rows), len(model.features))
    return {name: matrix[:, i] for i, name in enumerate(model.features)}


@given(models_and_rows())
def test_each_row_is_the_domains_decimal_sum_in_units(case: tuple[TreeModel, list[list[float]]]) -> None:
    model, rows = case
    units = tree_units(model, _columns(model, rows), AT)
    assert units.dtype == np.int64
    assert [Decimal(int(u)).scaleb(AT) for u in units] == [_domain_sum(model, row) for row in rows]


@given(st.data())
def test_deep_trees_with_many_leaves_and_groups_of_trees_sum_exactly(data: st.DataObject) -> None:
    """Trees of up to 9 levels (more than 256 leaves: wider slots) and more trees than one table holds."""
    deep = data.draw(st.lists(trees(3, max_depth=9), min_size=1, max_size=6))
    model = TreeModel(("amount", "local_hour", "count_1h"), Decimal("0.5"), tuple(deep))
    rows = data.draw(st.lists(st.lists(_near(model), min_size=3, max_size=3), min_size=1, max_size=30))
    units = tree_units(model, _columns(model, rows), AT)
    assert [Decimal(int(u)).scaleb(AT) for u in units] == [_domain_sum(model, row) for row in rows]


def _stump(value: str) -> Tree:
    return Tree((0, -1, -1), (1.5, -2.0, -2.0), (True, False, False), (1, -1, -1), (2, -1, -1),
                (Decimal(0), Decimal(value), Decimal("-0.25")))  # fmt: skip


def test_a_value_finer_than_the_units_is_refused() -> None:
    model = TreeModel(("amount",), Decimal(0), (_stump("0.0000001"),))
    with pytest.raises(ValueError, match="whole number"):
        tree_units(model, {"amount": np.array([1.0])}, AT)


def test_units_at_a_coarser_exponent_sum_the_same_values() -> None:
    model = TreeModel(("amount",), Decimal("0.5"), (_stump("0.75"), _stump("0.5")))
    units = tree_units(model, {"amount": np.array([1.0, 1.5, 2.0, math.nan])}, -2)
    assert units.tolist() == [175, 175, 0, 175]


def test_sums_that_could_pass_int64_are_refused() -> None:
    big = Tree((-1,), (-2.0,), (False,), (-1,), (-1,), (Decimal(999_999),))
    model = TreeModel(("amount",), Decimal(0), (big,) * 10)
    with pytest.raises(OverflowError):
        tree_units(model, {"amount": np.array([1.0])}, -13)


def test_leaves_within_int64_whose_sum_is_not_are_refused_before_it_wraps_around() -> None:
    leaf = Tree((-1,), (-2.0,), (False,), (-1,), (-1,), (Decimal(999_999),))  # 999,999 x 10**12 units each
    model = TreeModel(("amount",), Decimal(0), (leaf,) * 10)
    with pytest.raises(OverflowError):
        tree_units(model, {"amount": np.array([1.0])}, -12)


def test_a_feature_with_more_thresholds_than_uint8_codes_is_searched_exactly() -> None:
    """300 stumps on one feature, each its own threshold (codes past uint8: the sorted search), rows on, next to
    and between the thresholds, and missing."""
    stumps = tuple(
        Tree((0, -1, -1), (t / 7, -2.0, -2.0), (t % 2 == 0, False, False), (1, -1, -1), (2, -1, -1),
             (Decimal(0), Decimal(t).scaleb(-6), Decimal(-t).scaleb(-5)))
        for t in range(300)
    )  # fmt: skip
    model = TreeModel(("amount",), Decimal("0.000001"), stumps)
    values = [v for t in range(-1, 301) for v in (t / 7, math.nextafter(t / 7, math.inf), t / 7 + 0.05)]
    rows = [[v] for v in [*values, math.nan, math.inf, -math.inf]]
    units = tree_units(model, _columns(model, rows), AT)
    assert [Decimal(int(u)).scaleb(AT) for u in units] == [_domain_sum(model, row) for row in rows]
