"""The trainer's export: a fitted scikit-learn ensemble read into the domain's TreeModel scores as scikit-learn
predicts, within the quantization of its node values, and its contributions sum to its score."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pytest
from sklearn.ensemble import HistGradientBoostingRegressor

from domain.ensemble import LEAF, TreeModel
from domain.features import FEATURES, vector
from domain.labels import Labels
from domain.policy import FraudPolicy
from jobs.learn import PLACES, Params, export, fit, matrix, present
from securebank.lab.tuning import build_history
from tests.jobs.lakes import labelled_history

NAMES = tuple(f.name for f in FEATURES)
WIDTH = 4
AMOUNT_SIGNALS = {"amount", "amount_vs_mean", "amount_vs_category", "sum_24h_vs_mean", "sum_7d_vs_mean"}


def _data(rows: int = 3000, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Fraud when column 0 is high AND column 1 is high (a conjunction); column 2 is often missing."""
    rng = np.random.default_rng(seed)
    x = rng.random((rows, WIDTH))
    x[rng.random(rows) < 0.3, 2] = np.nan
    y = ((x[:, 0] > 0.8) & (x[:, 1] > 0.6)).astype(np.float64)
    return x, y


def _score(model: TreeModel, row: np.ndarray) -> Decimal:
    values = [None if np.isnan(v) else float(v) for v in row]
    return model.base + sum((tree.value[tree.path(values)[-1]] for tree in model.trees), Decimal(0))


def test_the_estimator_keeps_the_private_node_arrays_the_export_reads():
    """The export reads `_predictors` and `_baseline_prediction` (private in scikit-learn): pinned here."""
    x, y = _data(500)
    estimator = fit(x, y, Params(trees=3, depth=2))

    assert isinstance(estimator, HistGradientBoostingRegressor)
    assert len(estimator._predictors) == 3 and len(estimator._predictors[0]) == 1
    nodes = estimator._predictors[0][0].nodes
    fields = {"value", "count", "feature_idx", "num_threshold", "missing_go_to_left", "left", "right", "is_leaf"}
    assert fields <= set(nodes.dtype.names)
    assert np.ravel(estimator._baseline_prediction)[0] == pytest.approx(y.mean())


@pytest.mark.parametrize("depth", [2, 3, 4])
def test_the_exported_model_scores_what_sklearn_predicts_within_the_quantization(depth):
    x, y = _data()
    test_x, _ = _data(2000, seed=2)
    test_x[:50, 2] = np.nan
    test_x[50:100, 0] = np.nan  # missing where training never saw it missing: the split's own rule decides
    estimator = fit(x, y, Params(trees=60, depth=depth))

    model = export(estimator, NAMES[:WIDTH])

    tolerance = float(PLACES) / 2 * (len(model.trees) + 1)
    predicted = estimator.predict(test_x)
    differences = [abs(float(_score(model, row)) - p) for row, p in zip(test_x, predicted, strict=True)]
    assert max(differences) <= tolerance
    assert predicted.max() - predicted.min() > 0.5  # the model separates: the agreement is not between constants


def test_exporting_the_first_trees_agrees_with_the_staged_prediction():
    x, y = _data()
    estimator = fit(x, y, Params(trees=40, depth=3))

    model = export(estimator, NAMES[:WIDTH], trees=10)

    staged = next(p for n, p in enumerate(estimator.staged_predict(x[:300]), 1) if n == 10)
    assert len(model.trees) == 10
    assert max(abs(float(_score(model, row)) - p) for row, p in zip(x[:300], staged, strict=True)) <= 6e-6


def test_an_internal_node_is_the_count_weighted_mean_of_its_leaves():
    x, y = _data()
    estimator = fit(x, y, Params(trees=5, depth=2))
    model = export(estimator, NAMES[:WIDTH])
    nodes = estimator._predictors[0][0].nodes
    tree = model.trees[0]

    leaves = [i for i in range(len(tree.value)) if tree.left[i] == LEAF]
    mean = sum(int(nodes["count"][i]) * tree.value[i] for i in leaves) / sum(int(nodes["count"][i]) for i in leaves)
    assert tree.value[0] == mean.quantize(PLACES)
    assert all(tree.value[i] == Decimal(repr(float(nodes["value"][i]))).quantize(PLACES) for i in leaves)


def test_a_model_fitted_on_replayed_history_explains_each_score_exactly():
    transactions, labels = labelled_history()
    history = build_history(transactions, Labels.by_id(labels), FraudPolicy.default(), holdout=0.25)
    observations = [e.observation for e in history.examples]
    y = np.array([1.0 if e.fraud else 0.0 for e in history.examples])
    x = matrix([vector(o) for o in observations])
    columns = present(x)
    estimator = fit(x[:, columns], y, Params(trees=30, depth=3, min_leaf=5))

    model = export(estimator, [NAMES[j] for j in columns])

    assert sum(y) > 0
    frauds = [model.score(o) for o, fraud in zip(observations, y, strict=True) if fraud]
    legit = [model.score(o) for o, fraud in zip(observations, y, strict=True) if not fraud]
    assert min(frauds) > max(legit)  # ~10x the usual amount is learnable: the fitted model is not trivial
    for obs in observations:
        contributions = model.contributions(obs)
        assert sum((c.points for c in contributions), Decimal(0)) == model.score(obs)
    fraud = next(o for o, f in zip(observations, y, strict=True) if f)
    top = max(model.contributions(fraud)[1:], key=lambda c: c.points)
    assert top.source in AMOUNT_SIGNALS, top  # the one thing that makes these frauds: the amount against history


def test_missing_values_become_nan_in_the_matrix_and_a_column_missing_everywhere_is_left_out():
    m = matrix([(1.0, None, None), (None, 2.5, None)])

    assert m.shape == (2, 3)
    assert m[0, 0] == 1.0 and np.isnan(m[0, 1]) and np.isnan(m[1, 0]) and m[1, 1] == 2.5
    assert present(m) == [0, 1]


def test_the_matrix_reads_integers_as_floats_and_no_rows_as_an_empty_matrix():
    m = matrix([(3, None), (True, 0.5)])

    assert m.dtype == np.float64 and m.tolist()[0][0] == 3.0 and m[1, 0] == 1.0 and np.isnan(m[0, 1])
    assert matrix([]).shape == (0, 0)
