"""The threshold of the refit ensemble: the best cut over two time-ordered windows of out-of-time scores.

`tune` writes, by default, the chosen setting refit on every labelled month (jobs/learn_select.py). The holdout's
best cut belongs to the ensemble fitted before the holdout; the refit is another model, and no cut on its own
scores is out of sample (it has seen the holdout). So its threshold is estimated for the setting rather than for
one fit: the best cut over the holdout, scored by the ensemble fitted before it, together with the window just
before the holdout (as many rows), scored by the same setting fitted on the rows before that window. Twice the
frauds make the cut less noisy than the holdout's alone.

The earlier window's scores are scikit-learn's (equal to the domain's within the export's quantization), the
holdout's the domain's. Measured on 2026-11-30 (F1 on the test months after tuning on the first three, scored by
the domain), against keeping the holdout's cut: over three SynCCFD, two FinForge and three of our takeover
histories, mean 0.8596 against 0.8535; the external five within 0.0006 of it each (0.7826 the lowest); takeover
seed 2 0.8178 against 0.7687 (precision 0.83 against 0.69). On three takeover seeds not used to choose it, mean
0.8215 against 0.8183. It costs one more fit of the chosen setting, on the rows before that window.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import Executor
from decimal import Decimal
from typing import Any, NamedTuple, Protocol

import numpy as np

from domain.ensemble import CategoryShares, TreeModel
from jobs.learn import PLACES, Params, export, fit, one_thread, present
from jobs.learn_cut import Objective, best_cut

Matrix = np.ndarray[Any, np.dtype[np.float64]]


class Row(Protocol):
    """A labelled training row as the learner holds it (`jobs.learn_select.Example`)."""

    @property
    def fraud(self) -> bool: ...
    @property
    def weight(self) -> int: ...


class Scored(NamedTuple):
    """Out-of-time scores of labelled rows, each row counted its weight (None: every weight 1)."""

    scores: Sequence[Decimal]
    frauds: Sequence[bool]
    weights: Sequence[int] | None = None


def refit_all(
    x: tuple[Matrix, Matrix],
    rows: tuple[Sequence[Row], Sequence[Row]],
    params: Params,
    features: tuple[Sequence[str], CategoryShares | None],
    extra: Sequence[Decimal],
    held: Scored,
    objective: Objective,
    pool: Executor | None = None,
) -> tuple[TreeModel, Decimal]:
    """(`params` fitted on the training part and the holdout together, exported; its threshold). `rows`: the
    training part's and the holdout's rows, each in time order; `x`: the training part's matrix as the earlier
    window's fit reads it, and every row's (training part, then holdout) as the final fit reads it (their category
    shares count only the labels each fit learns from); `features`: the columns' names and the category table of
    the final fit's matrix; `held`: the holdout's scores by the ensemble fitted on the training part; `extra`: the
    rules' scores of every training row, added to the trees' (empty when the rules are off). With a `pool`, the
    window's fit runs there while this process fits the rest: the same fits, each on one thread."""
    (x_train, x_all), (train, hold), (names, categories) = x, rows, features
    window = (x_train, [Light(r.fraud, r.weight) for r in train], params, len(held.scores), extra)
    later = pool.submit(_on_one_thread, *window) if pool is not None else None
    everything = [*train, *hold]
    model = fit(x_all, labels_of(everything), params, rows=weights_of(everything))
    earlier = later.result() if later is not None else earlier_window(*window)
    if not earlier.scores:
        cut = best_cut(held.scores, held.frauds, objective, held.weights)
    else:
        weights = None if held.weights is None else [*(earlier.weights or ()), *held.weights]
        cut = best_cut([*earlier.scores, *held.scores], [*earlier.frauds, *held.frauds], objective, weights)
    return export(model, names, params.trees, categories), cut.threshold


class Light(NamedTuple):
    """What the window's fit reads of a row, and all that goes to another process."""

    fraud: bool
    weight: int


def _on_one_thread(x: Matrix, train: Sequence[Row], params: Params, size: int, extra: Sequence[Decimal]) -> Scored:
    with one_thread():
        return earlier_window(x, train, params, size, extra)


def earlier_window(x: Matrix, train: Sequence[Row], params: Params, size: int, extra: Sequence[Decimal]) -> Scored:
    """The last `size` training rows scored by `params` fitted on the rows before them (plus `extra`); empty when
    either part has no fraud (nothing to fit, or no cut to learn)."""
    start = len(train) - size
    before, window = train[:start], train[start:]
    if start <= 0 or not any(r.fraud for r in before) or not any(r.fraud for r in window):
        return Scored((), ())
    columns = present(x[:start])  # a signal the earlier rows never fed cannot be binned (jobs.learn.present)
    model = fit(x[:start, columns], labels_of(before), params, rows=weights_of(before))
    # On the domain's scale: its scores are sums of node values quantized to PLACES, so the pooled cut has as few
    # digits as the holdout's alone (a threshold of 18 decimals would leave the columnar replay's integer units).
    scores = [Decimal(repr(float(v))).quantize(PLACES) for v in model.predict(x[start:, columns])]
    if extra:
        scores = [s + r for s, r in zip(scores, extra[start:], strict=True)]
    return Scored(scores, [r.fraud for r in window], [r.weight for r in window])


def labels_of(rows: Sequence[Row]) -> Matrix:
    """1.0 for a fraud, 0.0 for a legitimate row: what the ensemble is fitted to."""
    return np.array([1.0 if r.fraud else 0.0 for r in rows], dtype=np.float64)


def weights_of(rows: Sequence[Row]) -> Matrix:
    """How many labelled transactions each row stands for."""
    return np.array([r.weight for r in rows], dtype=np.float64)
