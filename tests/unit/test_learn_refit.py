"""The refit's earlier window (jobs/learn_refit.py) on training rows whose early part lacks a signal."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from jobs.learn import Params
from jobs.learn_refit import earlier_window


class Row(NamedTuple):
    fraud: bool
    weight: int = 1


def test_a_signal_the_rows_before_the_window_never_fed_is_left_out_of_their_fit() -> None:
    # A feature first fed late in the training months (a merchant feed that starts in March): the fit on the rows
    # before the window cannot bin a column that is missing on every one of them.
    rng = np.random.default_rng(3)
    n, size = 300, 100
    frauds = rng.random(n) < 0.2
    amount = np.where(frauds, 80.0, 20.0) + rng.random(n)
    late = np.where(np.arange(n) >= n - size, amount, np.nan)
    x = np.column_stack([amount, late])
    rows = [Row(bool(f)) for f in frauds]
    scored = earlier_window(x, rows, Params(20, 2, min_leaf=5), size, [])
    assert len(scored.scores) == size
    assert list(scored.frauds) == [bool(f) for f in frauds[n - size :]]
    high = [s for s, f in zip(scored.scores, scored.frauds, strict=True) if f]
    low = [s for s, f in zip(scored.scores, scored.frauds, strict=True) if not f]
    assert min(high) > max(low)  # the amount alone separates them, and the fit read it
