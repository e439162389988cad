"""The learner's numpy walk gives the domain's Decimals exactly: each row's score is `row_score` (value and
exponent), and the importance totals are the sums of the absolute `row_points`; on missing values, values at a
threshold, node values of mixed exponents, and models whose sums pass 64 bits."""

from __future__ import annotations

from decimal import Decimal

import attrs
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.ensemble import LEAF, Tree, TreeModel
from jobs.learn import matrix
from jobs.learn_categories import COLUMNS
from jobs.learn_score import model_columns, point_totals, row_points, row_score, scores
from jobs.tree_columns import tree_units
from tests.model_strategies import tree_models

Row = tuple[float | None, ...]


@st.composite
def models_and_rows(draw: st.DrawFn, models: st.SearchStrategy[TreeModel] | None = None) -> tuple[TreeModel, list[Row]]:
    """A model and feature rows whose values are often missing or exactly at one of its thresholds."""
    model = draw(models if models is not None else tree_models())
    thresholds = sorted({t for tree in model.trees for t in tree.threshold})
    cell = st.one_of(
        st.none(),
        st.floats(-2, 45, allow_nan=False),
        st.integers(-1, 41),
        st.sampled_from(thresholds) if thresholds else st.none(),
    )
    row = st.tuples(*[cell] * len(COLUMNS))
    return model, draw(st.lists(row, min_size=1, max_size=12))


def _with_exponents(model: TreeModel, places: list[int]) -> TreeModel:
    """The model with each node value rounded to a drawn number of places (0 to 12), and the zeros among them
    normalized, so that one model mixes exponents."""

    def rounded(value: Decimal, k: int) -> Decimal:
        v = value.quantize(Decimal(1).scaleb(-k))
        return v.normalize() if k % 2 else v

    turn = iter(places * (1 + sum(len(t.value) for t in model.trees)))
    trees = tuple(attrs.evolve(t, value=tuple(rounded(v, next(turn)) for v in t.value)) for t in model.trees)
    return attrs.evolve(model, base=rounded(model.base, next(turn)), trees=trees)


mixed_models = st.builds(_with_exponents, tree_models(), st.lists(st.integers(0, 12), min_size=1, max_size=5))
rebased_models = st.builds(  # node values of one exponent (-6), the base of another
    lambda model, k: attrs.evolve(model, base=model.base.quantize(Decimal(1).scaleb(-k))),
    tree_models(),
    st.integers(0, 12),
)


def _x(model: TreeModel, rows: list[Row]) -> np.ndarray:
    return matrix(rows)[:, model_columns(model)]


def _exact(values: list[Decimal]) -> list[tuple[object, ...]]:
    """Sign, digits and exponent: equal Decimals written differently would make a different threshold string."""
    return [tuple(v.as_tuple()) for v in values]


def _reference_totals(model: TreeModel, rows: list[Row], weights: list[int]) -> dict[str, Decimal]:
    totals: dict[str, Decimal] = {}
    for row, weight in zip(rows, weights, strict=True):
        for name, p in row_points(model, row).items():
            totals[name] = totals.get(name, Decimal(0)) + abs(p * weight)
    return totals


@given(models_and_rows())
def test_each_rows_score_is_the_domains_row_score(case: tuple[TreeModel, list[Row]]) -> None:
    model, rows = case
    assert _exact(scores(model, _x(model, rows))) == _exact([row_score(model, row) for row in rows])


@given(models_and_rows(st.one_of(mixed_models, rebased_models)))
def test_scores_keep_the_domains_exponent_when_node_values_mix_places(case: tuple[TreeModel, list[Row]]) -> None:
    model, rows = case
    assert _exact(scores(model, _x(model, rows))) == _exact([row_score(model, row) for row in rows])


@given(models_and_rows(st.one_of(tree_models(), mixed_models, rebased_models)), st.data())
def test_point_totals_are_the_sums_of_the_absolute_row_points(
    case: tuple[TreeModel, list[Row]], data: st.DataObject
) -> None:
    model, rows = case
    weights = data.draw(st.lists(st.integers(1, 50), min_size=len(rows), max_size=len(rows)))
    totals = point_totals(model, _x(model, rows), weights)
    expected = _reference_totals(model, rows, weights)
    assert totals == expected
    assert {k: tuple(v.as_tuple()) for k, v in totals.items()} == {k: tuple(v.as_tuple()) for k, v in expected.items()}


def _stump(feature: int, threshold: float, values: tuple[str, str, str], missing_left: bool = True) -> Tree:
    return Tree((feature, LEAF, LEAF), (threshold, 0.0, 0.0), (missing_left, False, False), (1, LEAF, LEAF),
                (2, LEAF, LEAF), tuple(Decimal(v) for v in values))  # fmt: skip


def test_a_model_whose_sums_pass_64_bits_is_walked_in_decimal_and_scores_the_same() -> None:
    big = ("999999.999999999999", "-999999.999999999999", "999999.999999999998")
    model = TreeModel(("amount", "count_1h"), Decimal("0.5"), tuple(_stump(t % 2, 3.0, big) for t in range(12)))
    rows: list[Row] = [tuple(v if j in model_columns(model) else None for j in range(len(COLUMNS)))
                       for v in (None, 3.0, 2.0, 4.0)]  # fmt: skip
    with pytest.raises(OverflowError):  # so `scores` walks it in Decimal
        tree_units(model, {name: _x(model, rows)[:, j] for j, name in enumerate(model.features)}, -12)
    assert _exact(scores(model, _x(model, rows))) == _exact([row_score(model, row) for row in rows])
    assert point_totals(model, _x(model, rows), [1, 2, 3, 4]) == _reference_totals(model, rows, [1, 2, 3, 4])


def test_point_totals_whose_weighted_sum_passes_64_bits_are_exact() -> None:
    """Each row's points fit 64 bits (about 2 * 10**18 units), their weighted sum over the rows does not."""
    big = ("0.000000000000", "-999999.999999999999", "999999.999999999998")  # one exponent: no Decimal walk
    model = TreeModel(("amount",), Decimal("0.5"), (_stump(0, 3.0, big),))
    rows: list[Row] = [tuple(v if j in model_columns(model) else None for j in range(len(COLUMNS)))
                       for v in (None, 3.0, 2.0, 4.0)]  # fmt: skip
    weights = [1, 2, 3, 4]
    assert point_totals(model, _x(model, rows), weights) == _reference_totals(model, rows, weights)
    assert _exact(scores(model, _x(model, rows))) == _exact([row_score(model, row) for row in rows])


def test_a_model_of_no_features_scores_its_base_and_leaves_on_every_row() -> None:
    leaf = Tree((LEAF,), (0.0,), (False,), (LEAF,), (LEAF,), (Decimal("0.25"),))
    model = TreeModel((), Decimal("0.5"), (leaf, leaf))
    rows: list[Row] = [(None,) * len(COLUMNS)] * 3
    assert _exact(scores(model, _x(model, rows))) == _exact([Decimal("1.00")] * 3)
    assert point_totals(model, _x(model, rows)) == {}


def test_thousands_of_rows_score_as_the_domain_does() -> None:
    trees = (_stump(0, 50.0, ("0", "-0.25", "0.5")), _stump(1, 2.0, ("0", "0.125", "-0.0625"), False))
    model = TreeModel(("amount", "count_1h"), Decimal("0.1"), trees)
    generator = np.random.default_rng(7)
    amounts, counts = generator.uniform(0, 100, 2051), generator.integers(0, 5, 2051)
    rows: list[Row] = []
    for n, (amount, count) in enumerate(zip(amounts.tolist(), counts.tolist(), strict=True)):
        row: list[float | None] = [None] * len(COLUMNS)
        row[model_columns(model)[0]] = None if n % 5 == 0 else amount
        row[model_columns(model)[1]] = None if n % 7 == 0 else count
        rows.append(tuple(row))
    assert _exact(scores(model, _x(model, rows))) == _exact([row_score(model, row) for row in rows])
    assert len({row_score(model, row) for row in rows}) > 3  # the rows reach different leaves
