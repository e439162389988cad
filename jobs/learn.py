"""Fitting the tree ensemble (scikit-learn, local) and exporting it to the domain's `TreeModel` (plain data).

Squared-error gradient boosting on 0/1 labels (`HistGradientBoostingRegressor`: missing values are native, a NaN
goes where the split sends missing values). The export reads the fitted trees' node arrays (`_predictors`,
`_baseline_prediction`: private attributes, pinned by tests/unit/test_learn.py) into `domain.ensemble.Tree`s:
leaf values as Decimals quantized to `PLACES`, every internal node the count-weighted mean of the leaves below it
(so the path attributes the score exactly, domain/ensemble.py), thresholds as floats (go left when value <= it).
Nothing here is imported by the processor: scikit-learn stays out of the Lambda bundle.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

import numpy as np
from attrs import frozen
from sklearn.ensemble import HistGradientBoostingRegressor
from threadpoolctl import threadpool_limits

from domain.ensemble import CategoryShares, Tree, TreeModel
from jobs.learn_bins import Bins, SharedBinsRegressor

PLACES = Decimal("0.000001")
"""Node values are quantized to six places: each tree's leaf is off by at most 5e-7."""
_NO_CHILD = -1
_TOP = sys.float_info.max
"""A threshold of +inf (a split that sends only missing values right) as the largest float: JSON has no inf."""

Vector = Callable[[Any], Sequence[float | None]]


@frozen
class Params:
    """One hyperparameter set: trees (boosting iterations), their depth, the learning rate, the smallest leaf,
    and the weight of a fraud example against a legitimate one (class imbalance; 1 = none)."""

    trees: int
    depth: int
    learning_rate: float = 0.1
    min_leaf: int = 20
    fraud_weight: float = 1.0

    @property
    def name(self) -> str:
        weight = "" if self.fraud_weight == 1 else f", fraud weight {self.fraud_weight:g}"
        return f"trees {self.trees}, depth {self.depth}, rate {self.learning_rate:g}, leaf {self.min_leaf}{weight}"


def matrix(rows: Sequence[Sequence[float | None]]) -> np.ndarray[Any, np.dtype[np.float64]]:
    """Feature rows (None = missing) as a float64 matrix with NaN for missing (numpy reads None as NaN in a float
    array: no Python list per row, 0.08 s instead of 0.29 s CPU for 100k rows of 21 features)."""
    width = len(rows[0]) if rows else 0
    return np.array(rows, dtype=np.float64).reshape(len(rows), width)


def one_thread() -> threadpool_limits:
    """Fit and predict on one OpenMP thread. scikit-learn's histogram boosting uses every core by default, and on a
    machine whose cores are busy its threads wait for each other: a 200-tree fit on 75k rows took 31.8 s on two
    threads and 2.3 s on one (2 cores at load 7.5, 2026-11-30, /tmp/learn_eval/fitt.py in the report). Checked again
    the same day at load 4.4-5.2 (no idle machine to be had): a 300-tree depth-4 fit on the 100k workload's 75k
    training rows took 2.2-2.4 s wall (1.5-1.7 s CPU) on one thread, 20-48 s wall (11-25 s CPU) on two, and exported
    the same trees."""
    return threadpool_limits(limits=1, user_api="openmp")


def present(x: np.ndarray[Any, np.dtype[np.float64]]) -> list[int]:
    """The columns with at least one value: scikit-learn cannot bin a column that is missing everywhere (a signal
    the history never fed, such as the merchant's fraud share without a feed), so those are left out of the fit."""
    return [j for j in range(x.shape[1]) if not np.isnan(x[:, j]).all()]


def fit(
    x: np.ndarray[Any, np.dtype[np.float64]],
    y: np.ndarray[Any, np.dtype[np.float64]],
    params: Params,
    seed: int = 0,
    rows: np.ndarray[Any, np.dtype[np.float64]] | None = None,
    bins: Bins | None = None,
) -> HistGradientBoostingRegressor:
    """Fit `params.trees` iterations of squared-error boosting; no early stopping (the holdout decides). `rows`
    weighs each row (the weekly job fits each sampled legitimate row for the k it stands for); the fraud weight
    multiplies it. `bins` shares the binned matrix between fits on the same `x` (`jobs.learn_bins`)."""
    weights = np.where(y > 0, params.fraud_weight, 1.0) if params.fraud_weight != 1 else None
    if rows is not None and not np.all(rows == 1):
        weights = rows if weights is None else weights * rows
    model = SharedBinsRegressor(
        loss="squared_error",
        learning_rate=params.learning_rate,
        max_iter=params.trees,
        max_depth=params.depth,
        max_leaf_nodes=None,
        min_samples_leaf=params.min_leaf,
        early_stopping=False,
        random_state=seed,
    )
    model.bins = bins
    try:
        return model.fit(x, y, sample_weight=weights)
    finally:
        model.bins = None


def export(
    model: HistGradientBoostingRegressor,
    features: Sequence[str],
    trees: int | None = None,
    categories: CategoryShares | None = None,
) -> TreeModel:
    """The fitted ensemble (its first `trees` iterations; all by default) as a domain `TreeModel`; `categories`: the
    table its `category_fraud_share` column was read through (jobs/learn_categories.py), when it reads one."""
    predictors = model._predictors[: trees if trees is not None else len(model._predictors)]
    base = _quantize(float(np.ravel(model._baseline_prediction)[0]))
    exported = tuple(_tree(iteration[0].nodes) for iteration in predictors)
    return TreeModel(tuple(features), base, exported, categories=categories)


def _quantize(value: float) -> Decimal:
    return Decimal(repr(value)).quantize(PLACES)


def _tree(nodes: Any) -> Tree:
    size = len(nodes)
    leaf = [bool(nodes["is_leaf"][i]) for i in range(size)]
    left = [_NO_CHILD if leaf[i] else int(nodes["left"][i]) for i in range(size)]
    right = [_NO_CHILD if leaf[i] else int(nodes["right"][i]) for i in range(size)]
    values: list[Decimal | None] = [_quantize(float(nodes["value"][i])) if leaf[i] else None for i in range(size)]
    counts = [int(nodes["count"][i]) for i in range(size)]
    _fill(0, left, right, values, counts)
    thresholds = [0.0 if leaf[i] else float(nodes["num_threshold"][i]) for i in range(size)]
    return Tree(
        feature=tuple(-1 if leaf[i] else int(nodes["feature_idx"][i]) for i in range(size)),
        threshold=tuple(_TOP if math.isinf(t) and t > 0 else t for t in thresholds),
        missing_left=tuple(bool(nodes["missing_go_to_left"][i]) and not leaf[i] for i in range(size)),
        left=tuple(left),
        right=tuple(right),
        value=tuple(v if v is not None else Decimal(0) for v in values),
    )


def _fill(
    node: int, left: list[int], right: list[int], values: list[Decimal | None], counts: list[int]
) -> tuple[Decimal, int]:
    """(sum of count x value, count) over the leaves below `node`; every internal node gets that mean, quantized
    once (the leaves' own values are already quantized)."""
    if left[node] == _NO_CHILD:
        value = values[node]
        return (value if value is not None else Decimal(0)) * counts[node], counts[node]
    mass_left, count_left = _fill(left[node], left, right, values, counts)
    mass_right, count_right = _fill(right[node], left, right, values, counts)
    mass, count = mass_left + mass_right, count_left + count_right
    values[node] = (mass / count).quantize(PLACES) if count else Decimal(0)
    return mass, count
