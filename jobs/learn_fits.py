"""Fitting every ensemble setting on the training part and judging it at its stages on the holdout, in this process
or spread over a few.

Each setting is fitted once at its largest number of trees; its staged predictions on the holdout give the smaller
ensembles (`stages`), each at its best cut for the objective (on scikit-learn's predictions, swept in floats:
`learn_cut.best_float_cut`, equal to `best_cut` on their Decimals). The fits are
independent, each on one OpenMP thread (`jobs.learn.one_thread`), so with `workers` > 1 the first settings go to
freshly spawned processes (no fork: the parent may hold Polars' or OpenMP's threads) and the last ones stay here:
the same estimators, cuts and predictions as one process computes (tests/unit/test_learn_fits.py). On this shared
2-core machine at load 6-7 (2026-11-30, the 100k workload's learner) two processes were slower than one: 32-36 s
against 25-28 s wall, 16.5 s against 14.3 s CPU (a spawned process first imports scikit-learn, about 1.4 s CPU), so
`tune` spreads them only over the cores that sat idle (`spare_cores`). At load 0.7 two processes took the whole
`tune` from 18.4 s to 14.9 s. The spawned processes stay for the refit, whose two fits are independent too.
"""

from __future__ import annotations

import math
import multiprocessing
import os
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from decimal import Decimal
from typing import Any, NamedTuple

import numpy as np
from attrs import evolve, frozen

from jobs.learn import Params, fit, one_thread
from jobs.learn_bins import Bins
from jobs.learn_cut import Cut, Objective, best_float_cut

Floats = np.ndarray[Any, np.dtype[np.float64]]


@frozen
class Judged:
    """What every setting is fitted on and judged against: the training part's matrix, labels and row weights;
    the holdout's matrix, frauds and weights (None: 1 each); the objective."""

    x_train: Floats
    y_train: Floats
    rows: Floats
    x_hold: Floats
    frauds: tuple[bool, ...]
    weights: tuple[int, ...] | None
    objective: Objective


class Fitted(NamedTuple):
    """One setting's fitted estimator, and at each of its stages (a `Params` with that many trees) the best cut and
    the holdout predictions."""

    estimator: Any
    cuts: dict[Params, Cut]
    predictions: dict[Params, Floats]


def spare_cores() -> int:
    """The cores this process may use less the load average of the last minute, rounded up, at least 1: 2 on an
    idle 2-core machine (and at load 0.7), 1 from load 1 on; 1 where the system gives no load average."""
    if not hasattr(os, "getloadavg"):
        return 1
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return max(1, min(cores, math.ceil(cores - os.getloadavg()[0])))


class Helpers(NamedTuple):
    """Processes spawned beside this one (`spawned`); none: everything is fitted here."""

    pool: ProcessPoolExecutor | None = None
    processes: int = 0


@contextmanager
def spawned(workers: int) -> Iterator[Helpers]:
    """`workers` - 1 freshly spawned processes for the fits (no fork: the parent may hold Polars' or OpenMP's
    threads), started at the first fit given them and kept for the refit (jobs/learn_refit.py)."""
    if workers <= 1:
        yield Helpers()
        return
    with ProcessPoolExecutor(max_workers=workers - 1, mp_context=multiprocessing.get_context("spawn")) as pool:
        yield Helpers(pool, workers - 1)


def fit_settings(
    judged: Judged, settings: Sequence[Params], stages: Sequence[int], helpers: Helpers | None = None
) -> list[Fitted]:
    """Each setting fitted and judged, in the order of `settings`, here and in the `helpers` (None: here)."""
    helpers = helpers or Helpers()
    shares = _shares(len(settings), 1 + helpers.processes)
    if len(shares) == 1 or helpers.pool is None:
        return _fit_all(judged, settings, stages)
    bounds = np.cumsum([0, *shares]).tolist()
    parts = [settings[bounds[k] : bounds[k + 1]] for k in range(len(shares))]
    futures = [helpers.pool.submit(_fit_all, judged, part, stages) for part in parts[:-1]]
    here = _fit_all(judged, parts[-1], stages)
    return [fitted for future in futures for fitted in future.result()] + here


def _shares(settings: int, workers: int) -> list[int]:
    """How many settings each process fits: as even as can be, the spawned ones (first) never more than this one
    (they start later: a fresh interpreter imports scikit-learn first)."""
    workers = min(workers, settings)
    return [settings // workers + (1 if k < settings % workers else 0) for k in range(workers)][::-1]


def _fit_all(judged: Judged, settings: Sequence[Params], stages: Sequence[int]) -> list[Fitted]:
    bins = Bins()  # the training matrix binned once for all (jobs/learn_bins.py)
    with one_thread():
        return [_fitted(judged, params, stages, bins) for params in settings]


def _fitted(judged: Judged, params: Params, stages: Sequence[int], bins: Bins) -> Fitted:
    estimator = fit(judged.x_train, judged.y_train, params, rows=judged.rows, bins=bins)
    wanted = {n for n in stages if n < params.trees} | {params.trees}
    cuts, predictions = {}, {}
    for n, staged in enumerate(estimator.staged_predict(judged.x_hold), 1):
        if n in wanted:
            at = evolve(params, trees=n)
            cuts[at] = best_float_cut(staged, judged.frauds, judged.objective, judged.weights)
            predictions[at] = staged
    return Fitted(estimator, cuts, predictions)


def decimals(values: Any) -> list[Decimal]:
    """scikit-learn's predictions as Decimals (each float's shortest repr)."""
    return [Decimal(repr(float(v))) for v in values]
