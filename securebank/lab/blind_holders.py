"""Card holders and their legitimate lives for `securebank.lab.blind_takeover` (see its docstring for the model).

Everything draws from one `random.Random`, in a fixed order, so a seed gives the same holders and payments.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import NamedTuple

from securebank.lab.draws import poisson


class City(NamedTuple):
    code: str
    latitude: float
    longitude: float
    offset_hours: int  # fixed (no daylight saving: a simplification)
    currency: str
    share: float


CITIES = (
    City("nyc", 40.71, -74.01, -5, "USD", 0.16),
    City("chi", 41.88, -87.63, -6, "USD", 0.11),
    City("lax", 34.05, -118.24, -8, "USD", 0.12),
    City("hou", 29.76, -95.37, -6, "USD", 0.08),
    City("phx", 33.45, -112.07, -7, "USD", 0.06),
    City("atl", 33.75, -84.39, -5, "USD", 0.07),
    City("sea", 47.61, -122.33, -8, "USD", 0.06),
    City("den", 39.74, -104.99, -7, "USD", 0.05),
    City("bos", 42.36, -71.06, -5, "USD", 0.05),
    City("tor", 43.65, -79.38, -5, "CAD", 0.06),
    City("lon", 51.51, -0.13, 0, "GBP", 0.07),
    City("par", 48.86, 2.35, 1, "EUR", 0.04),
    City("ber", 52.52, 13.40, 1, "EUR", 0.03),
    City("tyo", 35.68, 139.69, 9, "JPY", 0.04),
)
PER_USD = {"USD": 1.0, "CAD": 1.36, "GBP": 0.79, "EUR": 0.92, "JPY": 150.0}
MINOR_UNITS = {"USD": 2, "CAD": 2, "GBP": 2, "EUR": 2, "JPY": 0}


class Category(NamedTuple):
    median_usd: float  # a typical payment, before the holder's own scale
    used_by: float  # share of holders who ever use it
    frequency: float  # relative weight among a holder's payments
    pool: int  # merchants per city (0: web merchants shared by every city)


CATEGORIES = {
    "grocery": Category(55.0, 0.97, 5.0, 60),
    "restaurant": Category(38.0, 0.90, 4.0, 150),
    "coffee": Category(6.5, 0.60, 5.0, 80),
    "fuel": Category(45.0, 0.75, 2.5, 50),
    "pharmacy": Category(22.0, 0.60, 1.0, 40),
    "transport": Category(18.0, 0.50, 2.0, 20),
    "clothing": Category(70.0, 0.55, 1.0, 120),
    "online_retail": Category(48.0, 0.80, 2.5, 0),
    "electronics": Category(160.0, 0.30, 0.3, 60),
    "entertainment": Category(30.0, 0.50, 1.0, 60),
    "home_improvement": Category(85.0, 0.35, 0.5, 30),
    "utilities": Category(95.0, 0.70, 0.3, 10),
    "travel": Category(320.0, 0.25, 0.2, 40),
    "jewelry": Category(350.0, 0.08, 0.1, 40),
    "gift_cards": Category(60.0, 0.12, 0.3, 0),
}
WEB_MERCHANTS = 500
SPREE_CATEGORIES = ("clothing", "electronics", "online_retail", "jewelry", "home_improvement", "restaurant")
TRIP_CATEGORIES = ("restaurant", "fuel", "travel", "coffee", "entertainment")
FAR_TRIP_SHARE = 0.08  # share of holders who fly far once (legitimately moving the card a long way)
SPREES_PER_DAY = 0.008
BIG_SPEND = 0.02
NIGHT_OWLS = 0.1
WEEKEND_LIFT, SATURDAY = 1.15, 5
TRIP_LIKE = 0.5  # share of a trip's payments in trip categories


class Event(NamedTuple):
    """One payment before ids are given: sortable by its UTC instant."""

    instant: datetime
    customer_id: str
    category: str
    merchant_id: str
    amount: Decimal
    currency: str
    latitude: float
    longitude: float
    zone: timezone
    scenario: str  # "" when legitimate


@dataclass
class Holder:
    customer_id: str
    city: City
    zone: timezone
    home: tuple[float, float]
    rate: float  # payments a day
    scale: float  # how much this holder spends, times the category's median
    spread: float  # log-sd of amounts
    medians: dict[str, float]  # USD, per category the holder uses
    weights: dict[str, float]
    favourites: dict[str, list[str]]
    loyalty: float  # share of payments at a favourite merchant
    peak: float  # local hour of most activity
    hour_sd: float
    night_share: float


def merchant(rng: random.Random, city: str, category: str, popular: bool = True) -> str:
    """A merchant of the category: in the city's pool, or the web pool; popular ones more often when `popular`."""
    size = CATEGORIES[category].pool or WEB_MERCHANTS
    place = city if CATEGORIES[category].pool else "web"
    index = int(size * rng.random() ** 2.2) if popular else rng.randrange(size)
    return f"m_{place}_{category}_{index:03d}"


def make_holder(rng: random.Random, number: int) -> Holder:
    city = rng.choices(CITIES, weights=[c.share for c in CITIES])[0]
    used = [name for name, c in CATEGORIES.items() if rng.random() < c.used_by] or ["grocery"]
    scale = rng.lognormvariate(0.0, 0.45)
    medians = {name: CATEGORIES[name].median_usd * scale * rng.lognormvariate(0.0, 0.3) for name in used}
    weights = {name: CATEGORIES[name].frequency * rng.gammavariate(2.0, 0.5) for name in used}
    favourites = {name: [merchant(rng, city.code, name) for _ in range(rng.randint(1, 4))] for name in used}
    owl = rng.random() < NIGHT_OWLS
    return Holder(
        customer_id=f"cust_{number:04d}",
        city=city,
        zone=timezone(timedelta(hours=city.offset_hours)),
        home=(city.latitude + rng.gauss(0, 0.08), city.longitude + rng.gauss(0, 0.08)),
        rate=rng.lognormvariate(math.log(1.96), 0.5),
        scale=scale,
        spread=rng.uniform(0.3, 0.7),
        medians=medians,
        weights=weights,
        favourites=favourites,
        loyalty=rng.uniform(0.65, 0.95),
        peak=rng.gauss(20.0 if owl else 14.5, 1.5),
        hour_sd=rng.uniform(2.0, 3.5),
        night_share=rng.uniform(0.12, 0.3) if owl else rng.uniform(0.005, 0.04),
    )


def amount(holder: Holder, usd: float) -> Decimal:
    """`usd` in the holder's currency, at its minor units (at least one unit of it)."""
    units = MINOR_UNITS[holder.city.currency]
    value = Decimal(str(round(max(usd, 0.5) * PER_USD[holder.city.currency], units)))
    return value.quantize(Decimal(1).scaleb(-units))


def usual(holder: Holder, category: str) -> float:
    """The holder's typical payment in a category (for one they never use: the category's, at their scale)."""
    return holder.medians.get(category, CATEGORIES[category].median_usd * holder.scale)


def local_hour(rng: random.Random, holder: Holder) -> float:
    if rng.random() < holder.night_share:
        return (23.0 + rng.uniform(0.0, 6.0)) % 24.0
    return min(max(rng.gauss(holder.peak, holder.hour_sd), 6.0), 23.0 - 1e-6)


def at(day: datetime, hour: float) -> datetime:
    """`day` (local midnight) plus `hour`, to the second."""
    return day + timedelta(seconds=int(hour * 3600))


def legit_events(rng: random.Random, holder: Holder, start: datetime, days: int) -> list[Event]:
    """The holder's own payments: daily habits, big spends, sprees, short trips and, for a few, one far trip."""
    trips = _trips(rng, holder, days)
    events: list[Event] = []
    for day_index in range(days):
        day = datetime(start.year, start.month, start.day, tzinfo=holder.zone) + timedelta(days=day_index)
        trip = trips.get(day_index)
        factor = WEEKEND_LIFT if day.weekday() >= SATURDAY else 1.0
        for _ in range(poisson(rng, holder.rate * factor)):
            events.append(_everyday(rng, holder, at(day, local_hour(rng, holder)), trip))
        if rng.random() < SPREES_PER_DAY:
            events.extend(_spree(rng, holder, at(day, rng.uniform(10.0, 22.5))))
    return events


def _trips(rng: random.Random, holder: Holder, days: int) -> dict[int, tuple[str, float, float]]:
    """Day index -> (merchant place, latitude, longitude) while away from home."""
    away: dict[int, tuple[str, float, float]] = {}
    count = poisson(rng, 0.8)
    plans = [(rng.randrange(days), rng.randint(2, 6), False) for _ in range(count)]
    if rng.random() < FAR_TRIP_SHARE:
        plans.append((rng.randrange(days), rng.randint(3, 9), True))
    for first, length, far in plans:
        if far:
            city = rng.choice([c for c in CITIES if c.code != holder.city.code])
            place, lat, lon = city.code, city.latitude, city.longitude
        else:
            bearing, km = rng.uniform(0, 2 * math.pi), rng.uniform(60, 350)
            lat = holder.home[0] + km / 111.0 * math.cos(bearing)
            lon = holder.home[1] + km / (111.0 * math.cos(math.radians(holder.home[0]))) * math.sin(bearing)
            place = f"{holder.city.code}x{rng.randrange(6)}"
        for day_index in range(first, min(first + length, days)):
            away[day_index] = (place, lat, lon)
    return away


def _everyday(rng: random.Random, holder: Holder, when: datetime, trip: tuple[str, float, float] | None) -> Event:
    names = list(holder.weights)
    category = rng.choices(names, weights=list(holder.weights.values()))[0]
    lat, lon = holder.home
    if trip is not None:
        if rng.random() < TRIP_LIKE:
            category = rng.choice(TRIP_CATEGORIES)
        place, lat, lon = trip
        shop = merchant(rng, place, category)
    elif category in holder.favourites and rng.random() < holder.loyalty:
        shop = rng.choice(holder.favourites[category])
    else:
        shop = merchant(rng, holder.city.code, category)
    usd = usual(holder, category) * rng.lognormvariate(0.0, holder.spread)
    if rng.random() < BIG_SPEND:
        usd *= rng.uniform(3.0, 8.0)
    return event(holder, when, category, shop, usd, (lat + rng.gauss(0, 0.04), lon + rng.gauss(0, 0.04)))


def _spree(rng: random.Random, holder: Holder, when: datetime) -> list[Event]:
    """A legitimate burst: a few larger payments within an hour or three, mostly at merchants new to the holder."""
    events = []
    for _ in range(rng.randint(2, 6)):
        category = rng.choice(SPREE_CATEGORIES)
        usd = usual(holder, category) * rng.lognormvariate(math.log(2.2), 0.5)
        shop = merchant(rng, holder.city.code, category, popular=False)
        place = (holder.home[0] + rng.gauss(0, 0.05), holder.home[1] + rng.gauss(0, 0.05))
        events.append(event(holder, when, category, shop, usd, place))
        when += timedelta(minutes=rng.expovariate(1 / 25.0))
    return events


def event(
    holder: Holder, when: datetime, category: str, shop: str, usd: float, place: tuple[float, float], scenario: str = ""
) -> Event:
    return Event(
        instant=when,
        customer_id=holder.customer_id,
        category=category,
        merchant_id=shop,
        amount=amount(holder, usd),
        currency=holder.city.currency,
        latitude=round(min(max(place[0], -90.0), 90.0), 5),
        longitude=round(min(max(place[1], -180.0), 180.0), 5),
        zone=holder.zone,
        scenario=scenario,
    )
