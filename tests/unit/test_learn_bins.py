"""Fits that share a training matrix's bins grow the trees fits binning it themselves grow; a different matrix,
other weights or another seed are binned anew."""

from __future__ import annotations

import pickle

import numpy as np

from jobs.learn import Params, export, fit
from jobs.learn_bins import Bins

NAMES = ("amount", "count_1h", "count_24h")


def _data() -> tuple[np.ndarray, np.ndarray]:
    generator = np.random.default_rng(11)
    x = generator.lognormal(size=(800, 3))
    x[generator.random(x.shape) < 0.15] = np.nan
    y = ((np.nan_to_num(x[:, 0]) * np.nan_to_num(x[:, 2], nan=1.0) + generator.normal(0, 0.3, 800)) > 2).astype(float)
    return x, y


def test_fits_sharing_bins_export_the_trees_of_fits_binning_alone():
    x, y = _data()
    settings = (Params(15, 2, 0.1, 20), Params(15, 3, 0.2, 5), Params(10, 3, 0.1, 20, fraud_weight=3.0))
    bins = Bins()

    shared = [fit(x, y, params, bins=bins) for params in settings]
    alone = [fit(x, y, params) for params in settings]

    assert [export(m, NAMES) for m in shared] == [export(m, NAMES) for m in alone]
    assert shared[0]._bin_mapper is shared[1]._bin_mapper  # the second took the first's bins
    assert shared[2]._bin_mapper is not shared[0]._bin_mapper  # fraud weights: other row weights, binned anew


def test_another_matrix_or_seed_is_binned_anew_and_the_fitted_estimator_keeps_no_bins():
    x, y = _data()
    bins = Bins()
    first = fit(x, y, Params(5, 2), bins=bins)

    assert fit(x.copy(), y, Params(5, 2), bins=bins)._bin_mapper is not first._bin_mapper
    assert fit(x, y, Params(5, 2), seed=1, bins=bins)._bin_mapper is not first._bin_mapper
    assert first.bins is None and pickle.loads(pickle.dumps(first)).bins is None  # no binned matrix pickled
