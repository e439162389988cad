"""The domain's score and points of an exported ensemble, read from feature rows instead of observations.

The weekly job's driver holds each labelled transaction as its feature row (`domain.features.vector`), not its
observation. `TreeModel.values(obs)` is that row's entries at the model's features, so walking the domain's own
`Tree.path` over them gives `TreeModel.walk_score(obs)` (equal to `TreeModel.score(obs)`, the processor's generated
code: tests/property hold them equal) and the points of `TreeModel.contributions(obs)` (tests/unit/test_learn_score.py
holds both equal on observations).

`scores` and `point_totals` compute the same Decimals for many rows at once (`tune` scores its whole holdout): every
tree is walked in numpy over a float matrix of the model's features (NaN for a missing value: it follows
`missing_left`, as None does in `Tree.path`), the node values summed as integers in units of 10**-places, and each
sum made a Decimal once, with the exponent the domain's Decimal sum gives it. tests/property/test_learn_score_columns.py
holds them equal to `row_score` and `row_points`.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from decimal import Decimal
from itertools import pairwise
from typing import Any

import numpy as np
from attrs import frozen

from domain.ensemble import LEAF, Tree, TreeModel
from domain.features import FEATURES

_ZERO = Decimal(0)
_INDEX = {feature.name: j for j, feature in enumerate(FEATURES)}
_INT64 = 2**62
"""A bound on any sum of node units that 64-bit integers add exactly (a model past it is walked in Decimal)."""
CHUNK = 1024
"""Rows walked together: their node indices (rows x trees) stay in the processor's cache."""

Floats = np.ndarray[Any, np.dtype[np.float64]]
Ints = np.ndarray[Any, np.dtype[np.int64]]


def model_values(model: TreeModel, row: Sequence[float | None]) -> list[float | None]:
    """A feature row's values at the model's features, in the model's order."""
    return [row[_INDEX[name]] for name in model.features]


def model_columns(model: TreeModel) -> list[int]:
    """The columns of a `domain.features.vector` row that the model reads, in the model's order."""
    return [_INDEX[name] for name in model.features]


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


@frozen
class Forest:
    """A model's trees as flat node arrays: node ids run across the trees, and a leaf leads to itself (feature 0),
    so every row takes `depth` steps. `units` are the node values times 10**`places` (exact integers)."""

    feature: Ints
    threshold: Floats
    missing_left: np.ndarray[Any, np.dtype[np.bool_]]
    left: Ints
    right: Ints
    units: Ints
    exponent: Ints
    """Each node value's Decimal exponent."""
    roots: Ints
    depth: int
    places: int
    base: int
    base_exponent: int
    exact: bool
    """False when a sum of units could pass 64 bits: `scores` and `point_totals` then walk the trees in Decimal."""


def forest(model: TreeModel) -> Forest:
    """`model`'s trees packed for `scores` and `point_totals`."""
    exponents = [[_exponent(v) for v in tree.value] for tree in model.trees]
    places = max(0, -min((_exponent(model.base), *(e for es in exponents for e in es))))
    units = [[int(v.scaleb(places)) for v in tree.value] for tree in model.trees]
    depths = [_depth(tree) for tree in model.trees]
    base = int(model.base.scaleb(places))
    bound = abs(base) + 2 * max(depths, default=1) * sum(max(abs(u) for u in us) for us in units)
    exact = bound < _INT64
    starts = np.cumsum([0, *(len(tree.value) for tree in model.trees)])
    parts = [_packed(tree, int(start)) for tree, start in zip(model.trees, starts, strict=False)]
    feature, threshold, missing_left, left, right = (np.concatenate([p[k] for p in parts]) if parts else
                                                     np.zeros(0) for k in range(5))  # fmt: skip
    flat = [u for us in units for u in us] if exact else [0] * int(starts[-1])
    return Forest(
        feature.astype(np.int64), threshold.astype(np.float64), missing_left.astype(bool), left.astype(np.int64),
        right.astype(np.int64), np.array(flat, dtype=np.int64), np.array([e for es in exponents for e in es],
        dtype=np.int64), starts[:-1].astype(np.int64), max(depths, default=0), places, base,
        _exponent(model.base), exact,
    )  # fmt: skip


def _exponent(value: Decimal) -> int:
    exponent = value.as_tuple().exponent
    assert isinstance(exponent, int)  # a model's values are finite (domain/ensemble.py)
    return exponent


def _depth(tree: Tree, node: int = 0) -> int:
    if tree.left[node] == LEAF:
        return 0
    return 1 + max(_depth(tree, tree.left[node]), _depth(tree, tree.right[node]))


def _packed(tree: Tree, start: int) -> tuple[Any, ...]:
    leaf = np.array(tree.left) == LEAF
    own = np.arange(start, start + len(tree.left))
    return (
        np.where(leaf, 0, np.array(tree.feature)),
        np.array(tree.threshold, dtype=np.float64),
        np.array(tree.missing_left, dtype=bool),
        np.where(leaf, own, np.array(tree.left) + start),
        np.where(leaf, own, np.array(tree.right) + start),
    )


def _steps(trees: Forest, x: Floats) -> Iterator[tuple[Ints, Ints]]:
    """(nodes, next nodes) of every row (axis 0) in every tree (axis 1), step by step from the roots."""
    nodes = np.repeat(trees.roots[np.newaxis, :], len(x), axis=0)
    for _ in range(trees.depth):
        values = np.take_along_axis(x, trees.feature[nodes], axis=1)
        goes_left = (values <= trees.threshold[nodes]) | (np.isnan(values) & trees.missing_left[nodes])
        following = np.where(goes_left, trees.left[nodes], trees.right[nodes])
        yield nodes, following
        nodes = following


def _leaves(trees: Forest, x: Floats) -> Ints:
    nodes = np.repeat(trees.roots[np.newaxis, :], len(x), axis=0)
    for _, nodes in _steps(trees, x):  # noqa: B007 (the last step's nodes are the leaves)
        pass
    return nodes


def scores(model: TreeModel, x: Floats, trees: Forest | None = None) -> list[Decimal]:
    """`row_score` of each row of `x`: the model's feature values in the model's order, NaN for missing."""
    trees = trees or forest(model)
    if not trees.exact:
        return [_walk_score(model, row) for row in x]
    out: list[Decimal] = []
    for start in range(0, len(x), CHUNK):
        leaves = _leaves(trees, x[start : start + CHUNK])
        sums = trees.units[leaves].sum(axis=1) + trees.base
        # the domain's sum `base + (0 + leaf + ...)` takes the smallest exponent of its terms
        exponents = np.minimum(trees.exponent[leaves].min(axis=1, initial=0), trees.base_exponent)
        out += [_decimal(int(s), int(e), trees.places) for s, e in zip(sums, exponents, strict=True)]
    return out


def _decimal(units: int, exponent: int, places: int) -> Decimal:
    """units x 10**-places, written with `exponent` (>= -places, and the sum has no digits below it)."""
    return Decimal(units // 10 ** (places + exponent)).scaleb(exponent)


def _walk_score(model: TreeModel, values: Floats) -> Decimal:
    return row_score(model, _row(model, values))


def _row(model: TreeModel, values: Floats) -> list[float | None]:
    """A row of the model's feature values back in `domain.features.vector` order (None for NaN)."""
    row: list[float | None] = [None] * len(FEATURES)
    for name, v in zip(model.features, values.tolist(), strict=True):
        row[_INDEX[name]] = None if math.isnan(v) else v
    return row


def point_totals(
    model: TreeModel, x: Floats, weights: Sequence[int] | None = None, trees: Forest | None = None
) -> dict[str, Decimal]:
    """Per feature with points on some row of `x` (as `scores` reads it): the sum over the rows of the absolute
    `row_points`, each row counted `weights` times (positive; 1 each by default)."""
    trees = trees or forest(model)
    counts = np.ones(len(x), dtype=np.int64) if weights is None else np.array(weights, dtype=np.int64)
    exponents = set(trees.exponent.tolist())
    if not trees.exact or len(exponents) > 1:
        return _walked_totals(model, x, counts)
    totals = np.zeros(len(model.features), dtype=object)
    for start in range(0, len(x), CHUNK):
        chunk = x[start : start + CHUNK]
        points = np.zeros((len(chunk), len(model.features)), dtype=np.int64)
        rows = np.broadcast_to(np.arange(len(chunk))[:, np.newaxis], (len(chunk), len(trees.roots)))
        for nodes, following in _steps(trees, chunk):
            np.add.at(points, (rows, trees.feature[nodes]), trees.units[following] - trees.units[nodes])
        totals += (np.abs(points).astype(object) * counts[start : start + CHUNK, np.newaxis]).sum(axis=0)
    # the domain's sums `0 + (child - parent) + ...` keep the one exponent of the values, or 0 when it is above 0
    exponent = min([0, *exponents])
    return {name: _decimal(int(t), exponent, trees.places) for name, t in zip(model.features, totals, strict=True) if t}


def _walked_totals(model: TreeModel, x: Floats, counts: Any) -> dict[str, Decimal]:
    totals: dict[str, Decimal] = {}
    for values, count in zip(x, counts.tolist(), strict=True):
        for name, p in row_points(model, _row(model, values)).items():
            totals[name] = totals.get(name, _ZERO) + abs(p * count)
    return totals
