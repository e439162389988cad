"""The columns' floats are the domain's, to the last bit: distances (haversine) and hours between payments."""

from __future__ import annotations

import random

import polars as pl

from domain.geo import haversine_miles
from domain.model import Location
from securebank.lab.columnar_features import observations

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
