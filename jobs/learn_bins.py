"""Binning a training matrix once for every ensemble setting fitted on it.

scikit-learn's histogram boosting first bins its input: bin edges from each column's quantiles, then every value
mapped to its bin (about 0.2 s CPU of a fit on the 100k workload's 75k training rows). The edges depend only on the
matrix, the row weights, the number of bins and the seed, never on the depth, leaf size, rate or number of trees
that tell `tune`'s settings apart; so `Bins` keeps the first fit's binned matrix and bin mapper, and a later fit on
the same matrix object, with equal weights and the same seed, takes them instead of binning again. It overrides
the private `_bin_data` of scikit-learn 1.9 (pinned): tests/unit/test_learn_bins.py holds the fits equal to
unshared ones, tree by tree.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.ensemble import HistGradientBoostingRegressor


class Bins:
    """The last training matrix binned, its weights and seed, the fitted bin mapper and the binned matrix."""

    def __init__(self) -> None:
        self._kept: tuple[Any, Any, Any, Any, Any] | None = None

    def get(self, x: Any, weights: Any, key: Any) -> tuple[Any, Any] | None:
        """(bin mapper, binned matrix) when `x` is the matrix kept (the same object), with equal weights and key."""
        if self._kept is None:
            return None
        kept_x, kept_weights, kept_key, mapper, binned = self._kept
        same_weights = (kept_weights is None and weights is None) or (
            kept_weights is not None and weights is not None and np.array_equal(kept_weights, weights)
        )
        return (mapper, binned) if kept_x is x and same_weights and kept_key == key else None

    def keep(self, x: Any, weights: Any, key: Any, mapper: Any, binned: Any) -> None:
        self._kept = (x, weights, key, mapper, binned)


class SharedBinsRegressor(HistGradientBoostingRegressor):  # type: ignore[misc]  # scikit-learn ships no types
    """`HistGradientBoostingRegressor` that takes its training bins from `bins` when they were made for the same
    matrix (set `bins` before `fit`; it is dropped after, so the fitted estimator pickles without it)."""

    bins: Bins | None = None

    def _bin_data(self, x: Any, sample_weight: Any, is_training_data: bool) -> Any:
        if not is_training_data or self.bins is None:
            return super()._bin_data(x, sample_weight, is_training_data)
        key = (self.max_bins, self._random_seed)
        found = self.bins.get(x, sample_weight, key)
        if found is not None:
            self._bin_mapper, binned = found
            return binned
        binned = super()._bin_data(x, sample_weight, is_training_data)
        self.bins.keep(x, sample_weight, key, self._bin_mapper, binned)
        return binned
