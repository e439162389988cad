"""The merchant category's fraud share, learned from labels: the table a model carries
(`domain.ensemble.CategoryShares`) and the column the ensemble is fitted on.

Card fraud concentrates in some merchant categories (goods that resell, such as electronics, gift cards and
jewellery), whatever the holder. Each category's share of fraud among the labelled payments the model learns from is
smoothed towards the overall share by `SMOOTHING` payments of it, so that a category seen a few times stays near the
overall share; a category the labels never saw reads the overall share. Only the labels of the rows a fit learns
from count: `tune` judges on its holdout with a table of the training part, and the refit's table counts every
labelled month (jobs/learn_select.py). On the test months of the takeover-shaped histories this raised average
precision and the best F1 of the same ensemble (`python -m securebank.lab.probe_category`, docs/analytics.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any, Protocol

import numpy as np

from domain.ensemble import CategoryShares
from domain.features import CATEGORY_FRAUD_SHARE, NAMES

SMOOTHING = 50
"""Payments of the overall share each category's share starts from."""
PLACES = Decimal("0.000001")
"""A share is kept to six places: the float the trees compare is that Decimal's, in the job and in the domain."""
COLUMNS: tuple[str, ...] = (*NAMES, CATEGORY_FRAUD_SHARE)
"""The learner's matrix: `domain.features.vector`'s columns, then the category's share."""

Matrix = np.ndarray[Any, np.dtype[np.float64]]


class Categorised(Protocol):
    @property
    def category(self) -> str: ...
    @property
    def fraud(self) -> bool: ...
    @property
    def weight(self) -> int: ...


def category_table(rows: Sequence[Categorised]) -> CategoryShares | None:
    """Each category's smoothed fraud share among `rows`, each counted its weight; None when no row names a
    category (rows built without one) or none is a fraud."""
    payments: dict[str, int] = {}
    frauds: dict[str, int] = {}
    for r in rows:
        payments[r.category] = payments.get(r.category, 0) + r.weight
        if r.fraud:
            frauds[r.category] = frauds.get(r.category, 0) + r.weight
    if not frauds or "" in payments:
        return None
    overall = Decimal(sum(frauds.values())) / sum(payments.values())
    prior = SMOOTHING * overall
    shares = tuple(
        (category, ((frauds.get(category, 0) + prior) / (count + SMOOTHING)).quantize(PLACES))
        for category, count in sorted(payments.items())
    )
    return CategoryShares(shares, overall.quantize(PLACES))


def with_shares(x: Matrix, rows: Sequence[Categorised], table: CategoryShares | None) -> Matrix:
    """`x` (rows of `domain.features.vector`) with the category share column (NaN everywhere without a table)."""
    if table is None:
        column = np.full(len(rows), np.nan)
    else:
        read = table.lookup()
        column = np.array([read(r.category) for r in rows], dtype=np.float64)
    return np.column_stack([x, column]) if len(rows) else np.empty((0, len(COLUMNS)))
