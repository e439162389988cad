"""The observations `domain.tuning.Replay` makes (`domain.observation.observe` at the 1 h velocity window, no
merchant feed), built from the columns of `columnar_features.observations` and `columnar_signals.signals` a column
at a time: `columnar_rows.observation_of` per row, without a dict per row (tests/property/test_columnar_tally.py
holds them equal to the domain's)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import time
from decimal import Decimal

import polars as pl

from domain.observation import Observation

_ZERO = Decimal(0)
_US_PER_SECOND = 1_000_000
_US_PER_MINUTE, _US_PER_HOUR = 60 * _US_PER_SECOND, 3600 * _US_PER_SECOND
_COUNTS = ("recent_high", "recent_night", "merchant_seen", "night_count", "account_age_days")
_AFTER = ("recent_new",)
"""Counts after `min_24h` in the observation's order."""


def _local_times(frame: pl.DataFrame) -> Iterator[time]:
    """`local_us` (microseconds into the local day) as times."""
    local = pl.col("local_us")
    parts = frame.select(h=local // _US_PER_HOUR, m=local // _US_PER_MINUTE % 60, s=local // _US_PER_SECOND % 60,
                         us=local % _US_PER_SECOND)  # fmt: skip
    return map(time, *(parts.to_series(i).to_list() for i in range(4)))


def observations_of(frame: pl.DataFrame) -> Iterator[Observation]:
    """Each row's observation, velocity at the 1 h window and merchant fields zero. A sum over the payment alone is
    its amount (the same Decimal), and one over the same payments as a shorter window is that window's."""
    exponents = [-u for u in frame["units"].to_list()]
    amount = [Decimal(m).scaleb(e) for m, e in zip(frame["amount_minor"].to_list(), exponents, strict=True)]
    c1, c24 = frame["count_1h"].to_list(), frame["count_24h"].to_list()
    sum_1h = _money(
        frame["sum_1h"].to_list(), exponents, [a if n == 1 else None for a, n in zip(amount, c1, strict=True)]
    )
    sum_24h = _money(frame["sum_24h"].to_list(), exponents,
                     [s if n == m else None for s, n, m in zip(sum_1h, c24, c1, strict=True)])  # fmt: skip
    sum_7d = _money(frame["sum_7d"].to_list(), exponents, [None] * frame.height)
    prior_count, category_count = frame["prior_count"].to_list(), frame["category_count"].to_list()
    prior = _money(frame["prior_total"].to_list(), exponents, [None if n else _ZERO for n in prior_count])
    category = _money(frame["category_total"].to_list(), exponents, [None if n else _ZERO for n in category_count])
    smallest = frame["min_24h"].to_list()
    least = _money(smallest, exponents, [None if m else _ZERO for m in smallest])
    latest = frame["previous_amount"].to_list()
    before = _money(latest, exponents, [None if m else _ZERO for m in latest])
    rows = zip(
        amount, frame["currency"].to_list(), frame["velocity"].to_list(), prior_count, prior,
        frame["history_count"].to_list(), frame["distance"].to_list(), frame["hours"].to_list(),
        _local_times(frame), frame["category_seen"].to_list(),
        frame["merchant_category"].to_list(), category_count, category, c1, c24, frame["count_7d"].to_list(),
        sum_1h, sum_24h, sum_7d, *(frame[c].to_list() for c in _COUNTS), least,
        *(frame[c].to_list() for c in _AFTER), before,
        frame["recent_new_1h"].to_list(),
        strict=True,
    )  # fmt: skip
    for (a, cur, vel, pc, pt, hc, dist, hrs, local, seen, cat, cc, ct, n1, n24, n7, s1, s24, s7, high, night, mseen,
         nights, age, low, new, previous, new_1h) in rows:  # fmt: skip
        yield Observation(a, cur, vel, pc, pt, hc, dist, hrs, local, seen, 0, 0, cat, cc, ct, n1, n24, n7, s1, s24, s7,
                          high, night, mseen, nights, age, low, new, previous, new_1h)  # fmt: skip


def _money(minors: list[int], exponents: list[int], known: list[Decimal | None]) -> list[Decimal]:
    """Minor units as Decimals in the currency's exponent, but where `known` already has the value."""
    return [Decimal(m).scaleb(e) if k is None else k for m, e, k in zip(minors, exponents, known, strict=True)]
