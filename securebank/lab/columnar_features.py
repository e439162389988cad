"""What `domain.observation.observe` computes of the fields the catalogue's rules read, in columns, for the
customers whose history the columns can follow exactly (the signals only learned models read are not computed).

Per customer, the decided transactions in arrival order (line order) are the profile's history. The columns are
exact when the profile never forgets what they read, so a customer is left to the domain engine (`needs_domain`)
when their history has:
- a timestamp earlier than the one before it (the profile's recent list is then reordered);
- more than CURRENCY_LIMIT currencies or CATEGORY_LIMIT categories (the profile drops the least recent);
- more than RECENT_LIMIT earlier payments inside the velocity window (the recent list is capped);
- a timestamp the domain parsed with an offset that is not whole minutes, or a year outside the fast path's range;
- amounts adding up to MAX_TOTAL minor units or more (then a rule's product could pass the domain's 28 Decimal
  digits, which would round it: the columns' integer checks are exact only below that).

Floats are computed with the same operations as the domain (`domain.geo.haversine_miles`: Polars' sin, cos, asin
and sqrt agree with Python's math to the last bit, checked by tests/property/test_columnar_replay.py; the squares use
Python's own `pow`, which differs from x * x in the last bit now and then).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import repeat

import numpy as np
import polars as pl

from domain.geo import EARTH_RADIUS_MILES
from domain.profile import CATEGORY_LIMIT, CURRENCY_LIMIT, RECENT_LIMIT
from securebank.lab.columnar_signals import FLOAT_EXACT, previous

_EPOCH, _US = datetime(1970, 1, 1, tzinfo=UTC), timedelta(microseconds=1)
_US_PER_SECOND, _US_PER_MINUTE, _US_PER_DAY = 1_000_000, 60_000_000, 86_400_000_000
_SECONDS_PER_HOUR = 3600
_FIRST_US, _LAST_US = (round((datetime(year, 1, 1, tzinfo=UTC) - _EPOCH) / _US) for year in (1971, 8999))
"""Instants whose zone conversions and windows stay far from what `datetime` can represent."""
MAX_TOTAL = 5 * 10**17
_KEY_LIMIT = 2**62
CUSTOMER = "customer_id"


def _squared(values: pl.Series) -> pl.Series:
    """Python's `x ** 2` (C pow), element by element: the domain's squares, to the last bit."""
    return pl.Series(list(map(pow, values.to_list(), repeat(2))), dtype=pl.Float64)


def _gap_hours(microseconds: int) -> float:
    return microseconds / _US_PER_SECOND / _SECONDS_PER_HOUR


def _hours(gaps: pl.Series) -> pl.Series:
    """Gaps in microseconds as the domain's hours: `timedelta.total_seconds()` (the integer microseconds over 10**6,
    rounded once) over 3600. Not in Polars, which divides by a constant as a product with its reciprocal (it can
    differ in the last bit): in numpy, whose division is IEEE's, when every gap is a float exactly (below 2**53
    microseconds, 285 years), as Python's int / int is then; else in Python."""
    if gaps.is_empty() or int(gaps.max()) < FLOAT_EXACT:  # type: ignore[arg-type]
        return pl.Series(gaps.to_numpy().astype(np.float64) / _US_PER_SECOND / _SECONDS_PER_HOUR, dtype=pl.Float64)
    return pl.Series(list(map(_gap_hours, gaps.to_list())), dtype=pl.Float64)


def needs_domain(frame: pl.DataFrame, window_seconds: int) -> pl.Series:
    """The customers (of decided rows sorted by customer and line) whose history the columns cannot follow."""
    by = pl.col(CUSTOMER)
    per = frame.group_by(CUSTOMER).agg(
        disorder=(pl.col("epoch_us").diff() < 0).any(),
        currencies=pl.col("currency").n_unique(),
        categories=pl.col("merchant_category").n_unique(),
        odd=pl.col("offset_min").is_null().any() | ~pl.col("epoch_us").is_between(_FIRST_US, _LAST_US).all(),
        total=pl.col("amount_minor").cast(pl.Float64).sum(),
    )
    bad = per.filter(
        pl.col("disorder") | (pl.col("currencies") > CURRENCY_LIMIT) | (pl.col("categories") > CATEGORY_LIMIT)
        | pl.col("odd") | (pl.col("total") >= MAX_TOTAL)
    )[CUSTOMER]  # fmt: skip
    rest = frame.filter(~by.is_in(bad.implode()))
    crowded = rest.filter(_velocity(rest, window_seconds) > RECENT_LIMIT + 1)[CUSTOMER].unique()
    return pl.concat([bad, crowded]).unique()


def _velocity(frame: pl.DataFrame, window_seconds: int) -> pl.Series:
    """1 + the customer's earlier rows with timestamp in (t - window, t]: rows sorted by customer then time, so
    one sorted search over a key that keeps customers apart (SPAN > any time difference plus the window)."""
    if frame.is_empty():
        return pl.Series([], dtype=pl.Int64)
    window = window_seconds * _US_PER_SECOND
    low, high = frame["epoch_us"].min(), frame["epoch_us"].max()
    span = int(high) - int(low) + window + 1  # type: ignore[arg-type]
    changes = (frame[CUSTOMER] != frame[CUSTOMER].shift(1)).fill_null(True)
    index = changes.cast(pl.Int64).cum_sum() - 1
    if (int(index.max()) + 1) * span >= _KEY_LIMIT:  # type: ignore[arg-type]
        raise OverflowError("the replay's time span is too long for one sorted key")
    key = index * span + (frame["epoch_us"] - low)
    first = key.search_sorted(key - window, side="right")
    return pl.Series(range(len(key)), dtype=pl.Int64) - first.cast(pl.Int64) + 1


def observations(frame: pl.DataFrame, window_seconds: int) -> pl.DataFrame:
    """The observation columns of decided rows (customers the columns can follow, sorted by customer and line):
    velocity, prior_count, prior_total (minor units), history_count, distance, hours, local_us (microseconds of
    the local day) and category_seen."""
    by = [CUSTOMER]
    frame = frame.with_columns(velocity=_velocity(frame, window_seconds))
    first = pl.int_range(pl.len()).over(by) == 0
    lat1, lat2 = pl.col("lat").shift(1).over(by).radians(), pl.col("lat").radians()
    dlon = (pl.col("lon") - pl.col("lon").shift(1).over(by)).radians()
    sines = frame.select(a=((lat2 - lat1) / 2).sin(), b=(dlon / 2).sin(), c=lat1.cos() * lat2.cos())
    a2, b2 = _squared(sines["a"].fill_null(0.0)), _squared(sines["b"].fill_null(0.0))
    h = a2 + sines["c"].fill_null(0.0) * b2
    distance = pl.select(2 * EARTH_RADIUS_MILES * pl.min_horizontal(pl.lit(1.0), pl.lit(h).sqrt()).arcsin()).to_series()
    gaps = frame.select((pl.col("epoch_us") - pl.col("epoch_us").shift(1).over(by)).abs().fill_null(0)).to_series()
    local = (pl.col("epoch_us") + pl.col("offset_min").first().over(by) * _US_PER_MINUTE) % _US_PER_DAY
    return frame.with_columns(
        prior_count=pl.int_range(pl.len()).over([CUSTOMER, "currency"]),
        prior_total=(pl.col("amount_minor").cum_sum() - pl.col("amount_minor")).over([CUSTOMER, "currency"]),
        history_count=pl.int_range(pl.len()).over(by),
        distance=pl.when(first).then(None).otherwise(pl.lit(distance)),
        hours=pl.when(first).then(None).otherwise(pl.lit(_hours(gaps))),
        local_us=local,
        category_seen=pl.Series(previous(frame, [CUSTOMER, "merchant_category"]) >= 0),
    )
