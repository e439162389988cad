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
_MONEY = ("prior_total", "category_total", "sum_1h", "sum_24h", "sum_7d")
_COUNTS = ("count_1h", "count_24h", "count_7d", "recent_high", "recent_night", "merchant_seen", "night_count",
           "account_age_days")  # fmt: skip


def _local_time(micros: int) -> time:
    seconds, us = divmod(micros, _US_PER_SECOND)
    minutes, second = divmod(seconds, 60)
    return time(minutes // 60, minutes % 60, second, us)


def observations_of(frame: pl.DataFrame) -> Iterator[Observation]:
    """Each row's observation, velocity at the 1 h window and merchant fields zero."""
    units = frame["units"].to_list()
    scale = {u: Decimal(1).scaleb(-u) for u in set(units)}
    exponents = [-u for u in units]
    amount, prior, category, sum_1h, sum_24h, sum_7d = (
        [Decimal(m).scaleb(e) for m, e in zip(frame[c].to_list(), exponents, strict=True)]
        for c in ("amount_minor", *_MONEY)
    )
    del scale
    prior_count, category_count = frame["prior_count"].to_list(), frame["category_count"].to_list()
    rows = zip(
        amount, frame["currency"].to_list(), frame["velocity"].to_list(), prior_count,
        (total if count else _ZERO for total, count in zip(prior, prior_count, strict=True)),
        frame["history_count"].to_list(), frame["distance"].to_list(), frame["hours"].to_list(),
        map(_local_time, frame["local_us"].to_list()), frame["category_seen"].to_list(),
        frame["merchant_category"].to_list(), category_count,
        (total if count else _ZERO for total, count in zip(category, category_count, strict=True)),
        *(frame[c].to_list() for c in _COUNTS[:3]), sum_1h, sum_24h, sum_7d,
        *(frame[c].to_list() for c in _COUNTS[3:]),
        strict=True,
    )  # fmt: skip
    for (a, cur, vel, pc, pt, hc, dist, hrs, local, seen, cat, cc, ct, c1, c24, c7, s1, s24, s7, high, night, mseen,
         nights, age) in rows:  # fmt: skip
        yield Observation(a, cur, vel, pc, pt, hc, dist, hrs, local, seen, 0, 0, cat, cc, ct, c1, c24, c7, s1, s24, s7,
                          high, night, mseen, nights, age)  # fmt: skip
