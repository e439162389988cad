"""The ensemble settings fitted over several processes give what one process gives: the same cuts at every stage,
the same holdout predictions, the same exported trees, and the same learned policy."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pytest

from domain.policy import FraudPolicy
from domain.tuning import tune
from jobs.learn import Params, export
from jobs.learn_cut import Objective
from jobs.learn_fits import Judged, _shares, fit_settings, spawned
from jobs.learn_select import learn
from tests.takeover_history import small_takeover_history

SETTINGS = (Params(30, 2, 0.1, 20), Params(30, 3, 0.1, 50), Params(20, 3, 0.2, 20))
NAMES = ("amount", "count_1h", "count_24h", "recent_high")


@pytest.mark.parametrize(
    ("settings", "workers", "shares"),
    [(6, 2, [3, 3]), (7, 2, [3, 4]), (5, 3, [1, 2, 2]), (1, 2, [1]), (3, 1, [3]), (2, 8, [1, 1])],
)
def test_each_process_fits_an_even_share_and_the_spawned_ones_never_more(settings, workers, shares):
    assert _shares(settings, workers) == shares


def _judged() -> Judged:
    generator = np.random.default_rng(5)
    x = generator.normal(size=(1200, 4))
    x[generator.random(x.shape) < 0.1] = np.nan  # missing values go where each split sends them
    y = ((np.nan_to_num(x[:, 0]) + 0.5 * np.nan_to_num(x[:, 1]) + generator.normal(0, 0.5, 1200)) > 1.2).astype(float)
    train, hold = slice(0, 900), slice(900, 1200)
    return Judged(x[train], y[train], np.ones(900), x[hold], tuple(bool(v) for v in y[hold]), None, Objective())


def test_settings_fitted_in_two_processes_equal_those_fitted_in_one():
    judged = _judged()

    here = fit_settings(judged, SETTINGS, (10, 20))
    with spawned(2) as helpers:
        spread = fit_settings(judged, SETTINGS, (10, 20), helpers)

    assert [f.cuts for f in spread] == [f.cuts for f in here]
    assert [list(f.cuts) for f in here] == [
        [Params(10, 2, 0.1, 20), Params(20, 2, 0.1, 20), Params(30, 2, 0.1, 20)],
        [Params(10, 3, 0.1, 50), Params(20, 3, 0.1, 50), Params(30, 3, 0.1, 50)],
        [Params(10, 3, 0.2, 20), Params(20, 3, 0.2, 20)],
    ]
    for one, two in zip(here, spread, strict=True):
        assert all(np.array_equal(one.predictions[at], two.predictions[at]) for at in one.cuts)
        assert export(one.estimator, NAMES) == export(two.estimator, NAMES)
    assert any(cut.counts.tp for f in here for cut in f.cuts.values())  # the fits found the frauds


def test_a_policy_learned_over_two_processes_is_the_one_learned_in_one(monkeypatch):
    monkeypatch.setattr("jobs.learn_select.COMBINE_MARGIN", Decimal(100))  # the trees alone
    history = small_takeover_history()
    outcome = tune(history.tally, history.grid, FraudPolicy.default())
    settings = (Params(40, 2, 0.1, 20), Params(40, 3, 0.1, 20))

    one = learn(history, outcome, Objective("f1"), settings, refit=True)
    two = learn(history, outcome, Objective("f1"), settings, refit=True, workers=2)

    assert one.model is not None and len(one.trials) == 1 + 2 * 1 + 1  # rules, 2 settings at 40 trees, combined
    assert two == one


@pytest.mark.parametrize(
    ("cores", "load", "spare"), [(2, 0.0, 2), (2, 0.7, 2), (2, 1.0, 1), (2, 6.5, 1), (4, 1.5, 3), (1, 0.0, 1)]
)
def test_tune_uses_the_cores_idle_over_the_last_minute_rounded_up_at_least_one(monkeypatch, cores, load, spare):
    import os

    from jobs.learn_fits import spare_cores

    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(cores)), raising=False)
    monkeypatch.setattr(os, "getloadavg", lambda: (load, 0.0, 0.0))
    assert spare_cores() == spare


def test_without_a_load_average_tune_fits_in_one_process(monkeypatch):
    import os

    from jobs.learn_fits import spare_cores

    monkeypatch.delattr(os, "getloadavg", raising=False)
    assert spare_cores() == 1
