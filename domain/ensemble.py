"""A learned score as plain data: an ensemble of small regression trees, evaluated in pure Python, in Decimal.

A model is `base + sum over its trees of the value of the leaf the observation reaches`. Every node carries a value
(a leaf: its own; an internal node: the expected value below it), so a tree's leaf value is
`value[root] + sum over the path of (value[child] - value[parent])`, exactly. Each difference is credited to the
feature its parent node split on (Saabas attribution): `contributions(obs)` lists the baseline
(`base + sum of value[root]`) and the points of every feature on the paths taken, and they sum to `score(obs)`
exactly, in Decimal. Node values are bounded in digits (`MAX_PLACES`, `MAX_MAGNITUDE`) so those sums never round.

A model that reads `category_fraud_share` carries its table (`CategoryShares`): each merchant category's fraud share
among the labelled payments it was fitted on. The trees read the share as a float, like every feature.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence
from decimal import Decimal
from functools import cache
from itertools import pairwise
from typing import Any

from attrs import field, frozen

from domain.contribution import BASELINE, BASELINE_TEXT, Contribution
from domain.ensemble_code import MAX_DEPTH, compile_score, depth
from domain.features import CATEGORY_FRAUD_SHARE, Feature, by_name
from domain.model import category_error
from domain.observation import Observation
from domain.parameters import as_written

__all__ = [
    "BASELINE",
    "BASELINE_TEXT",
    "FORMAT",
    "LEAF",
    "CategoryShares",
    "Contribution",
    "InvalidModel",
    "Tree",
    "TreeModel",
    "explained",
]

FORMAT = 1
"""The version of the model's shape; a reader refuses any other."""
LEAF = -1
"""`left`, `right` and `feature` of a leaf."""
MAX_PLACES = 12
"""At most this many decimal places in a node value or the base..."""
MAX_MAGNITUDE = Decimal(10) ** 6
"""... and below this in absolute value: Decimal's 28 digits then add thousands of them exactly."""
_ZERO = Decimal(0)


class InvalidModel(ValueError):
    """A model that is not a finite ensemble of well-formed trees over known features."""


def _exact(value: Decimal) -> bool:
    exponent = value.as_tuple().exponent
    return isinstance(exponent, int) and exponent >= -MAX_PLACES and abs(value) < MAX_MAGNITUDE


def _all_as_written(values: tuple[Decimal, ...]) -> tuple[object, ...]:
    """Node values as written (`domain.parameters.as_written`): a model is as its file writes it, so two models
    whose values are equal but carry other exponents ("0.1", "0.10") are different models, with different scores'
    exponents and digests, and a cache keyed by a model (its compiled score, its digest) never mixes them."""
    return tuple(as_written(v) for v in values)


def _shares_as_written(shares: tuple[tuple[str, Decimal], ...]) -> tuple[tuple[str, object], ...]:
    return tuple((category, as_written(share)) for category, share in shares)


def _check_nodes(tree: Tree, _: Any, value: tuple[Decimal, ...]) -> None:
    n = len(value)
    if n == 0 or any(len(a) != n for a in (tree.feature, tree.threshold, tree.missing_left, tree.left, tree.right)):
        raise InvalidModel(f"a tree's node arrays must have one equal, non-zero length; value has {n}")
    if not all(isinstance(v, Decimal) and v.is_finite() and _exact(v) for v in value):
        raise InvalidModel(f"node values must be finite Decimals of at most {MAX_PLACES} places, below {MAX_MAGNITUDE}")
    if not all(math.isfinite(t) for t in tree.threshold):
        raise InvalidModel("thresholds must be finite numbers")
    _check_shape(tree, n)


def _check_shape(tree: Tree, n: int) -> None:
    """Every node is reached from the root exactly once (a finite tree); leaves have no feature, splits have one."""
    seen, stack = set(), [0]
    while stack:
        i = stack.pop()
        if i in seen:
            raise InvalidModel(f"node {i} is reached twice: not a tree")
        seen.add(i)
        left, right, feature = tree.left[i], tree.right[i], tree.feature[i]
        if left == right == LEAF:
            if feature != LEAF:
                raise InvalidModel(f"leaf {i} has feature {feature}, not {LEAF}")
            continue
        if not (0 < left < n and 0 < right < n) or feature < 0:
            raise InvalidModel(f"node {i}: children {left}, {right} must be nodes of the tree and feature >= 0")
        stack += (left, right)
    if len(seen) != n:
        raise InvalidModel(f"{n - len(seen)} nodes are not reached from the root")


@frozen
class Tree:
    """Node arrays; node 0 is the root; a leaf has left == right == -1. Go left when value <= threshold; a missing
    (None) value goes left when `missing_left`."""

    feature: tuple[int, ...]
    threshold: tuple[float, ...]
    missing_left: tuple[bool, ...]
    left: tuple[int, ...]
    right: tuple[int, ...]
    value: tuple[Decimal, ...] = field(validator=_check_nodes, eq=_all_as_written)

    @property
    def max_value(self) -> Decimal:
        """The highest leaf value: what this tree adds at most."""
        return max(v for v, left in zip(self.value, self.left, strict=True) if left == LEAF)

    def path(self, values: Sequence[float | None]) -> list[int]:
        """The nodes visited from the root to a leaf, given the model's feature values."""
        i, nodes = 0, [0]
        feature, threshold, missing_left, left, right = (
            self.feature, self.threshold, self.missing_left, self.left, self.right)  # fmt: skip
        while left[i] != LEAF:
            v = values[feature[i]]
            i = (left[i] if missing_left[i] else right[i]) if v is None else left[i] if v <= threshold[i] else right[i]
            nodes.append(i)
        return nodes


def _check_shares(table: CategoryShares, _: Any, shares: tuple[tuple[str, Decimal], ...]) -> None:
    categories = [category for category, _ in shares]
    if categories != sorted(set(categories)):
        raise InvalidModel("a category table's categories must be distinct and in order")
    for category, share in (*shares, ("other", table.other)):
        error = category_error(category)
        if error:
            raise InvalidModel(f"category table: {category!r} {error}")
        if not (isinstance(share, Decimal) and share.is_finite() and _exact(share) and 0 <= share <= 1):
            raise InvalidModel(f"category table: the share of {category} must be a Decimal from 0 to 1 of at most "
                               f"{MAX_PLACES} places")  # fmt: skip


@frozen(cache_hash=True)
class CategoryShares:
    """Per merchant category, its fraud share among the labelled payments a model was fitted on; `other` for a
    category not among them. What `category_fraud_share` reads (a float of the Decimal, as every feature is)."""

    shares: tuple[tuple[str, Decimal], ...] = field(validator=_check_shares, eq=_shares_as_written)
    """(category, share), in category order."""
    other: Decimal = field(eq=as_written)

    def lookup(self) -> Callable[[str], float]:
        """category -> its share as the trees read it (a float of the Decimal)."""
        return _lookup(self)

    def reader(self) -> Callable[[Observation], float]:
        """The feature's value function over this table."""
        get = _lookup(self)
        return lambda obs: get(obs.merchant_category)


@functools.lru_cache(maxsize=16)
def _lookup(table: CategoryShares) -> Callable[[str], float]:
    shares = {category: float(share) for category, share in table.shares}
    other = float(table.other)
    return lambda category: shares.get(category, other)


def _check_features(model: TreeModel, _: Any, names: tuple[str, ...]) -> None:
    if len(set(names)) != len(names):
        raise InvalidModel(f"features must be distinct: {names}")
    for name in names:
        try:
            by_name(name)
        except KeyError as exc:
            raise InvalidModel(str(exc.args[0])) from None
    if (CATEGORY_FRAUD_SHARE in names) != (model.categories is not None):
        raise InvalidModel(f"a model has a category table exactly when it reads {CATEGORY_FRAUD_SHARE}")


def _check_trees(model: TreeModel, _: Any, trees: tuple[Tree, ...]) -> None:
    n = len(model.features)
    for t, tree in enumerate(trees):
        if any(f >= n for f in tree.feature):
            raise InvalidModel(f"tree {t} splits on a feature index >= {n}, the number of the model's features")


def _check_base(model: TreeModel, _: Any, base: Decimal) -> None:
    if not (isinstance(base, Decimal) and base.is_finite() and _exact(base)):
        raise InvalidModel(f"base must be a finite Decimal of at most {MAX_PLACES} places, below {MAX_MAGNITUDE}")


def _check_format(model: TreeModel, _: Any, value: int) -> None:
    if value != FORMAT:
        raise InvalidModel(f"model format {value} is not supported (this code reads format {FORMAT})")


@cache
def _getters(
    names: tuple[str, ...], categories: CategoryShares | None
) -> tuple[Callable[[Observation], float | None], ...]:
    """The features' value functions, looked up once per model shape (not stored: a model stays picklable); the
    category share reads the model's table."""
    return tuple(
        categories.reader() if name == CATEGORY_FRAUD_SHARE and categories is not None else by_name(name).value
        for name in names
    )


@functools.lru_cache(maxsize=16)
def _scorer(model: TreeModel) -> Callable[[Observation], Decimal]:
    """The model's score function: generated code, or the walk for a tree deeper than MAX_DEPTH."""
    if any(depth(tree) > MAX_DEPTH for tree in model.trees):
        return model.walk_score
    return compile_score(model.base, model.trees, model.getters())


@frozen(cache_hash=True)
class TreeModel:
    """`score(obs) = base + sum of the leaf values reached`; `features` names the `domain.features` the trees'
    feature indices point at, in the model's own order."""

    features: tuple[str, ...] = field(validator=_check_features)
    base: Decimal = field(validator=_check_base, eq=as_written)
    trees: tuple[Tree, ...] = field(validator=_check_trees)
    format: int = field(default=FORMAT, validator=_check_format)
    categories: CategoryShares | None = None
    """The table `category_fraud_share` reads; exactly when the model reads it."""

    def getters(self) -> tuple[Callable[[Observation], float | None], ...]:
        """Each feature's value function, in the model's order."""
        return _getters(self.features, self.categories)

    def values(self, obs: Observation) -> list[float | None]:
        """The model's features read on `obs`, in the model's order."""
        return [get(obs) for get in self.getters()]

    def score(self, obs: Observation) -> Decimal:
        """base + the leaf value each tree reaches (the hot path: a function generated once per model,
        domain/ensemble_code.py)."""
        return _scorer(self)(obs)

    def walk_score(self, obs: Observation) -> Decimal:
        """`score`, by walking each tree's path (for a model too deep to generate code for)."""
        values = self.values(obs)
        return self.base + sum((tree.value[tree.path(values)[-1]] for tree in self.trees), _ZERO)

    @property
    def max_score(self) -> Decimal:
        """An upper bound of `score`: base + each tree's highest leaf (reached together or not)."""
        return self.base + sum((tree.max_value for tree in self.trees), _ZERO)

    def contributions(self, obs: Observation) -> tuple[Contribution, ...]:
        """The baseline, then every feature with non-zero points (in the model's order): they sum to `score(obs)`."""
        values = self.values(obs)
        baseline = self.base + sum((tree.value[0] for tree in self.trees), _ZERO)
        points = [_ZERO] * len(self.features)
        for tree in self.trees:
            nodes = tree.path(values)
            for parent, child in pairwise(nodes):
                points[tree.feature[parent]] += tree.value[child] - tree.value[parent]
        features: list[Feature] = [by_name(name) for name in self.features]
        explained = (Contribution(f.name, f.explain(obs), p) for f, p in zip(features, points, strict=True) if p)
        return (Contribution(BASELINE, BASELINE_TEXT, baseline), *explained)


def explained(source: str, points: Decimal, obs: Observation) -> Contribution:
    """A model's contribution from what a store keeps of it (its source and points), its text made again from the
    observation it explains."""
    return Contribution(source, BASELINE_TEXT if source == BASELINE else by_name(source).explain(obs), points)
