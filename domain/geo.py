"""Great-circle distance on a spherical Earth, in statute miles."""

from __future__ import annotations

from math import asin, cos, radians, sin, sqrt

from domain.model import Location

EARTH_RADIUS_MILES = 3958.8


def haversine_miles(a: Location, b: Location) -> float:
    lat1, lat2 = radians(a.latitude), radians(b.latitude)
    dlat = lat2 - lat1
    dlon = radians(b.longitude - a.longitude)
    h = sin(dlat / 2) ** 2 + cos(lat1) * cos(lat2) * sin(dlon / 2) ** 2
    return 2 * EARTH_RADIUS_MILES * asin(min(1.0, sqrt(h)))
