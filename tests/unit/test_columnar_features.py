"""The columns' floats are the domain's, to the last bit: distances (haversine) and hours between payments."""

from __future__ import annotations

import random

import polars as pl

from domain.geo import haversine_miles
from domain.model import Location
from securebank.lab.columnar_features import _hours, observations

PAIRS = 50_000


def test_distances_and_hours_in_columns_are_the_domains_floats() -> None:
    rng = random.Random(2)
    lat = [round(rng.uniform(-90, 90), rng.randint(0, 12)) for _ in range(PAIRS)]
    lon = [round(rng.uniform(-180, 180), rng.randint(0, 12)) for _ in range(PAIRS)]
    for i in range(1, PAIRS, 3):  # short hops too
        lat[i] = min(90.0, max(-90.0, lat[i - 1] + rng.uniform(-0.001, 0.001)))
    epoch = [10**15 + i * 10**6 + rng.randint(0, 999_999) for i in range(PAIRS)]
    frame = pl.DataFrame({
        "customer_id": ["c"] * PAIRS, "line": list(range(PAIRS)), "epoch_us": sorted(epoch),
        "amount_minor": [1] * PAIRS, "units": [2] * PAIRS, "currency": ["USD"] * PAIRS, "merchant_id": ["m"] * PAIRS,
        "merchant_category": ["x"] * PAIRS, "offset_min": [0] * PAIRS, "lat": lat, "lon": lon,
    })  # fmt: skip
    columns = observations(frame, 3600)
    distance, hours, times = columns["distance"].to_list(), columns["hours"].to_list(), sorted(epoch)
    assert distance[0] is None
    expected = [haversine_miles(Location(lat[i - 1], lon[i - 1]), Location(lat[i], lon[i])) for i in range(1, PAIRS)]
    assert distance[1:] == expected
    assert hours[1:] == [abs((times[i] - times[i - 1]) / 10**6) / 3600 for i in range(1, PAIRS)]


def test_hours_are_the_domains_for_gaps_below_and_past_float_exactness() -> None:
    """numpy divides gaps below 2**53 microseconds; a column with a longer gap is divided in Python: both as
    `timedelta.total_seconds() / 3600` (int / int, rounded once, then / 3600)."""
    rng = random.Random(3)
    short = [rng.randrange(2**53) for _ in range(20_000)]
    for gaps in (short, [*short, 2**53 + 1, 2**60 + 12_345]):
        assert _hours(pl.Series(gaps, dtype=pl.Int64)).to_list() == [g / 10**6 / 3600 for g in gaps]
