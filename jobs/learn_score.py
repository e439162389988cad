"""The domain's score and points of an exported ensemble, read from feature rows instead of observations.

The weekly job's driver holds each labelled transaction as its feature row (`domain.features.vector`), not its
observation. `TreeModel.values(obs)` is that row's entries at the model's features, so walking the domain's own
`Tree.path` over them gives `TreeModel.walk_score(obs)` (equal to `TreeModel.score(obs)`, the processor's generated
code: tests/property hold them equal) and the points of `TreeModel.contributions(obs)` (tests/unit/test_learn_score.py
holds both equal on observations).

`scores` and `point_totals` compute the same Decimals for many rows at once (`tune` scores its whole holdout) from
the leaves `jobs.tree_columns` finds in numpy over a float matrix of the model's features (NaN for a missing value:
it follows `missing_left`, as None does in `Tree.path`):
- a row's score is `tree_units` (base + the leaves' values, integers of units of 10**at), made a Decimal once with
  the exponent the domain's Decimal sum gives it;
- a leaf's points per feature are a constant of its tree (the differences of node values along its path, each
  credited to the parent's feature), so each tree keeps a (leaves x features it splits on) table of integer points,
  and a row's points are the sum of its leaves' rows of those tables.
Sums that could pass 64 bits, and points of node values with mixed exponents, are walked in Decimal instead.
tests/property/test_learn_score_columns.py holds them equal to `row_score` and `row_points`. On `tune`'s holdout of
24,978 rows and a 300-tree depth-5 model (2026-11-30, CPU): `scores` 0.09 s at its first call (0.04 s once
`jobs.tree_columns` has the model's tables) and `point_totals` of its 1,922-row sample 0.025 s, where walking every
row through the nodes took 0.30 s and 0.06 s.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from decimal import Decimal
from itertools import pairwise
from typing import Any

import numpy as np
from attrs import frozen

from domain.ensemble import LEAF, Tree, TreeModel
from jobs.learn_categories import COLUMNS
from jobs.tree_columns import leaf_nodes, leaf_slots, tree_units

_ZERO = Decimal(0)
_INDEX = {name: j for j, name in enumerate(COLUMNS)}
_INT64_LIMIT = 2**63

Floats = np.ndarray[Any, np.dtype[np.float64]]
Ints = np.ndarray[Any, np.dtype[np.int64]]


def model_values(model: TreeModel, row: Sequence[float | None]) -> list[float | None]:
    """A learner's row's values (`jobs.learn_categories.COLUMNS`) at the model's features, in the model's order."""
    return [row[_INDEX[name]] for name in model.features]


def model_columns(model: TreeModel) -> list[int]:
    """The columns of a learner's row (`jobs.learn_categories.COLUMNS`) that the model reads, in the model's order."""
    return [_INDEX[name] for name in model.features]


def learner_row(model: TreeModel, row: Sequence[float | None], category: str) -> tuple[float | None, ...]:
    """A `domain.features.vector` row of a payment in `category`, with the category's share as `model` reads it
    (None for a model without a category table)."""
    share = model.categories.lookup()(category) if model.categories is not None else None
    return (*row, share)


def row_score(model: TreeModel, row: Sequence[float | None]) -> Decimal:
    """base + the leaf value each tree reaches, for the transaction whose feature row is `row`."""
    values = model_values(model, row)
    return model.base + sum((tree.value[tree.path(values)[-1]] for tree in model.trees), _ZERO)


def row_points(model: TreeModel, row: Sequence[float | None]) -> dict[str, Decimal]:
    """The non-zero points of each feature along the paths (the baseline left out), as `contributions` gives them."""
    values = model_values(model, row)
    points = [_ZERO] * len(model.features)
    for tree in model.trees:
        for parent, child in pairwise(tree.path(values)):
            points[tree.feature[parent]] += tree.value[child] - tree.value[parent]
    return {name: p for name, p in zip(model.features, points, strict=True) if p}


@frozen(eq=False)
class Forest:
    """A model made ready for `scores` and `point_totals` (`forest(model)`)."""

    at: int
    """The units of `tree_units`: the smallest of 0 and the exponents of the base and the leaves."""
    exponent: int | None
    """The exponent of every row's Decimal score, when all leaves share one (None: it depends on the leaves)."""
    leaf_exponents: tuple[Ints, ...]
    """Per tree, each leaf's exponent in slot order (`jobs.tree_columns.leaf_nodes`)."""
    points_at: int | None
    """The exponent of the points, when all node values share one (None: the points are walked in Decimal)."""
    points: tuple[tuple[tuple[int, ...], Ints], ...]
    """Per tree, the features it splits on and per leaf (in slot order) their points in units of 10**points_at;
    empty when a row's points could pass 64 bits."""
    bound: int
    """The largest absolute points a feature can take on one row, in those units."""


def forest(model: TreeModel) -> Forest:
    """`model`'s leaves' exponents and point tables, for `scores` and `point_totals`."""
    leaf_exponents = tuple(
        np.array([_exponent(t.value[n]) for n in leaf_nodes(t)], dtype=np.int64) for t in model.trees
    )
    leaves = {int(e) for es in leaf_exponents for e in es}
    exponent = min(0, _exponent(model.base), *leaves) if len(leaves) <= 1 else None
    at = min((0, _exponent(model.base), *leaves))
    nodes = {_exponent(v) for tree in model.trees for v in tree.value}
    points_at = min((0, *nodes)) if len(nodes) <= 1 else None
    tables = [_leaf_points(tree, points_at) for tree in model.trees] if points_at is not None else []
    most = [0] * len(model.features)
    for features, table in tables:
        for f, column in zip(features, zip(*table, strict=True), strict=True):
            most[f] += max(abs(p) for p in column)
    bound = max(most, default=0)
    points = tuple((f, np.array(t, dtype=np.int64)) for f, t in tables if bound < _INT64_LIMIT)
    return Forest(at, exponent, leaf_exponents, points_at, points, bound)


def _exponent(value: Decimal) -> int:
    exponent = value.as_tuple().exponent
    assert isinstance(exponent, int)  # a model's values are finite (domain/ensemble.py)
    return exponent


def _leaf_points(tree: Tree, at: int) -> tuple[tuple[int, ...], list[list[int]]]:
    """The features `tree` splits on, and per leaf in slot order the points of each along its path (units of 10**at)."""
    features = tuple(sorted({f for f, left in zip(tree.feature, tree.left, strict=True) if left != LEAF}))
    column = {f: j for j, f in enumerate(features)}
    units = [int(v.scaleb(-at)) for v in tree.value]
    points: dict[int, list[int]] = {}
    stack = [(0, [0] * len(features))]
    while stack:
        node, path = stack.pop()
        if tree.left[node] == LEAF:
            points[node] = path
            continue
        for child in (tree.left[node], tree.right[node]):
            taken = list(path)
            taken[column[tree.feature[node]]] += units[child] - units[node]
            stack.append((child, taken))
    return features, [points[leaf] for leaf in leaf_nodes(tree)]


def _columns(model: TreeModel, x: Floats) -> dict[str, Floats]:
    by_feature = np.ascontiguousarray(x.T, dtype=np.float64)
    return {name: by_feature[j] for j, name in enumerate(model.features)}


def scores(model: TreeModel, x: Floats, trees: Forest | None = None) -> list[Decimal]:
    """`row_score` of each row of `x`: the model's feature values in the model's order, NaN for missing."""
    trees = trees or forest(model)
    if not model.features:  # every tree is one leaf: one score
        return [row_score(model, [None] * len(COLUMNS))] * len(x)
    columns = _columns(model, x)
    try:
        units = tree_units(model, columns, trees.at)
    except OverflowError:
        return [_walk_score(model, row) for row in x]
    if trees.exponent is not None:
        return [_decimal(u, trees.exponent, trees.at) for u in units.tolist()]
    # the domain's sum `base + (0 + leaf + ...)` takes the smallest exponent of its terms
    exponents = np.full(len(x), min(0, _exponent(model.base)), dtype=np.int64)
    for slots, leaf_exponents in zip(leaf_slots(model, columns), trees.leaf_exponents, strict=True):
        np.minimum(exponents, leaf_exponents[slots], out=exponents)
    return [_decimal(u, e, trees.at) for u, e in zip(units.tolist(), exponents.tolist(), strict=True)]


def _decimal(units: int, exponent: int, at: int) -> Decimal:
    """units x 10**at, written with `exponent` (>= at, and the sum has no digits below it)."""
    return Decimal(units // 10 ** (exponent - at)).scaleb(exponent)


def _walk_score(model: TreeModel, values: Floats) -> Decimal:
    return row_score(model, _row(model, values))


def _row(model: TreeModel, values: Floats) -> list[float | None]:
    """A row of the model's feature values back in the learner's order, `COLUMNS` (None for NaN)."""
    row: list[float | None] = [None] * len(COLUMNS)
    for name, v in zip(model.features, values.tolist(), strict=True):
        row[_INDEX[name]] = None if math.isnan(v) else v
    return row


def point_totals(
    model: TreeModel, x: Floats, weights: Sequence[int] | None = None, trees: Forest | None = None
) -> dict[str, Decimal]:
    """Per feature with points on some row of `x` (as `scores` reads it): the sum over the rows of the absolute
    `row_points`, each row counted `weights` times (positive; 1 each by default; totals that could pass 64 bits are
    added as Python integers)."""
    trees = trees or forest(model)
    counts = np.ones(len(x), dtype=np.int64) if weights is None else np.array(weights, dtype=np.int64)
    if trees.points_at is None or len(trees.points) != len(model.trees):
        return _walked_totals(model, x, counts)
    points = np.zeros((len(model.features), len(x)), dtype=np.int64)
    for slots, (features, table) in zip(leaf_slots(model, _columns(model, x)), trees.points, strict=True):
        for j, f in enumerate(features):
            points[f] += table[:, j][slots]
    exact = trees.bound * int(counts.sum()) < _INT64_LIMIT
    totals = np.abs(points) @ (counts if exact else counts.astype(object))
    # the domain's sums `0 + (child - parent) + ...` keep the one exponent of the values, or 0 when it is above 0
    return {name: Decimal(int(t)).scaleb(trees.points_at) for name, t in zip(model.features, totals, strict=True) if t}


def _walked_totals(model: TreeModel, x: Floats, counts: Any) -> dict[str, Decimal]:
    totals: dict[str, Decimal] = {}
    for values, count in zip(x, counts.tolist(), strict=True):
        for name, p in row_points(model, _row(model, values)).items():
            totals[name] = totals.get(name, _ZERO) + abs(p * count)
    return totals
