"""Card holders and their legitimate life for `blind_third` (see its docstring for the model).

Every event is a `Spend` in the holder's local wall-clock time, amounts in US dollars; `blind_third` adds the
takeover runs, converts money to the holder's currency and clocks to UTC offsets.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from typing import NamedTuple

from securebank.lab.draws import poisson


class City(NamedTuple):
    name: str
    lat: float
    lon: float
    offset: int  # standard UTC offset in hours
    dst: str  # "us", "eu" or "" (no summer time)
    currency: str
    near: str  # the nearby city its holders travel to


CITIES = {c.name: c for c in (
    City("nyc", 40.71, -74.01, -5, "us", "USD", "phl"), City("phl", 39.95, -75.17, -5, "us", "USD", "nyc"),
    City("chi", 41.88, -87.63, -6, "us", "USD", "mke"), City("mke", 43.04, -87.91, -6, "us", "USD", "chi"),
    City("lax", 34.05, -118.24, -8, "us", "USD", "san"), City("san", 32.72, -117.16, -8, "us", "USD", "lax"),
    City("lon", 51.51, -0.13, 0, "eu", "GBP", "bri"), City("bri", 51.45, -2.59, 0, "eu", "GBP", "lon"),
    City("par", 48.86, 2.35, 1, "eu", "EUR", "lil"), City("lil", 50.63, 3.06, 1, "eu", "EUR", "par"),
    City("tyo", 35.68, 139.69, 9, "", "JPY", "sdj"), City("sdj", 38.27, 140.87, 9, "", "JPY", "tyo"),
)}  # fmt: skip
HOME_WEIGHTS = {"nyc": 14, "phl": 6, "chi": 10, "mke": 3, "lax": 10, "san": 4, "lon": 9, "bri": 3, "par": 7,
                "lil": 2, "tyo": 5, "sdj": 2}  # fmt: skip
PER_DOLLAR = {"USD": 1.0, "GBP": 0.79, "EUR": 0.92, "JPY": 150.0}


class Category(NamedTuple):
    median: float  # population median in dollars
    sigma: float  # spread of one holder's amounts around their own median
    hours: tuple[tuple[float, float], ...]  # (mean, sd) local hour modes, one drawn at random
    online: float  # share of its payments made online (at the holder's billing location)
    weight: float  # population share of routine payments


CATEGORIES = {
    "grocery": Category(42, 0.6, ((11, 2), (18, 2)), 0.05, 22),
    "restaurant": Category(30, 0.5, ((12.5, 1), (19.5, 1.5)), 0.0, 12),
    "cafe": Category(6, 0.4, ((8.5, 1.5), (15, 2)), 0.0, 9),
    "fuel": Category(45, 0.35, ((8, 2), (17, 3)), 0.0, 7),
    "transport": Category(14, 0.7, ((8, 1), (18, 1.5)), 0.3, 9),
    "pharmacy": Category(20, 0.7, ((15, 3),), 0.1, 4),
    "clothing": Category(60, 0.7, ((15, 3),), 0.5, 5),
    "electronics": Category(120, 0.9, ((16, 3),), 0.5, 2),
    "online_retail": Category(35, 0.8, ((13, 3), (20.5, 2)), 1.0, 10),
    "entertainment": Category(30, 0.6, ((20, 2.5),), 0.3, 4),
    "bar": Category(28, 0.6, ((22.5, 1.5),), 0.0, 4),
    "travel": Category(170, 0.7, ((12, 4),), 0.8, 1),
    "digital_goods": Category(11, 0.6, ((12, 4), (20.5, 2.5)), 1.0, 4),
    "home_improvement": Category(70, 0.8, ((11, 3),), 0.2, 2),
    "jewelry": Category(220, 0.7, ((15, 2),), 0.3, 0.3),
    "gift_cards": Category(50, 0.5, ((16, 3),), 0.7, 0.7),
}
OUT_CATEGORIES = ("bar", "bar", "restaurant", "entertainment", "transport")
SPREE_CATEGORIES = ("online_retail", "online_retail", "clothing", "electronics", "digital_goods")
BIG_CATEGORIES = ("electronics", "home_improvement", "jewelry", "travel", "clothing")
TRIP_CATEGORIES = ("restaurant", "cafe", "transport", "bar", "grocery", "entertainment")
MERCHANTS_PER_POOL = 40
ROUTINE_PER_DAY = 1.8
STRAY_HOUR = 0.04  # routine payments at any hour of the day
NEW_MERCHANT = 0.1
SATURDAY = 5
MIN_DOLLARS = 0.5


class Spend(NamedTuple):
    when: datetime  # local wall clock
    category: str
    merchant: str
    dollars: float
    lat: float
    lon: float
    scenario: str  # "" for the holder's own payments


class Holder(NamedTuple):
    customer_id: str
    city: City
    home: tuple[float, float]
    rate: float  # routine payments a day
    mix: dict[str, float]  # category -> weight
    scale: dict[str, float]  # category -> the holder's median in dollars
    favourites: dict[str, list[str]]  # category -> usual merchants, most used first
    shift: float  # hours later than the population's clock (night owls, shift workers)
    payday: int  # day of month (1: also the 15th)
    rent: float  # monthly rent or mortgage in dollars, 0 for none
    outings: float  # chance of a night out each weekend
    sprees: float  # online sprees a month
    trips: int


def draw_holder(rng: random.Random, number: int) -> Holder:
    city = CITIES[rng.choices(list(HOME_WEIGHTS), list(HOME_WEIGHTS.values()))[0]]
    wealth = rng.lognormvariate(0, 0.4)
    mix = {c: spec.weight * rng.lognormvariate(0, 0.7) for c, spec in CATEGORIES.items()}
    for optional in ("fuel", "bar", "jewelry", "travel", "home_improvement", "cafe"):
        if chance(rng, 0.3):
            mix[optional] = 0.0
    scale = {c: spec.median * wealth * rng.lognormvariate(0, 0.25) for c, spec in CATEGORIES.items()}
    favourites = {c: rng.sample(range(MERCHANTS_PER_POOL), rng.randint(2, 6)) for c in CATEGORIES}
    shift = rng.choice((0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 2.0, -1.0)) if not chance(rng, 0.04) else rng.uniform(7, 10)
    return Holder(
        customer_id=f"c{number:04d}",
        city=city,
        home=(city.lat + rng.gauss(0, 0.06), city.lon + rng.gauss(0, 0.06)),
        rate=ROUTINE_PER_DAY * rng.lognormvariate(-0.125, 0.5),
        mix=mix,
        scale=scale,
        favourites={
            c: [merchant_id(city.name, c, m, spec.online) for m in favourites[c]] for c, spec in CATEGORIES.items()
        },
        shift=shift,
        payday=rng.choice((1, 25, 28, 30)),
        rent=rng.uniform(600, 2600) * wealth if chance(rng, 0.6) else 0.0,
        outings=rng.choice((0.0, 0.1, 0.3, 0.5, 0.7)),
        sprees=rng.choice((0.0, 0.3, 0.7, 1.2)),
        trips=rng.choice((0, 1, 1, 2, 3)),
    )


def merchant_id(city: str, category: str, number: int, online: float) -> str:
    return f"m_web_{category}_{number:03d}" if online >= 1.0 else f"m_{city}_{category}_{number:03d}"


def place(rng: random.Random, holder: Holder, category: str, city: City, merchant: str) -> tuple[float, float]:
    """Online payments are at the billing address; card-present ones at the merchant's own spot in its city."""
    if merchant.startswith("m_web") or rng.random() < CATEGORIES[category].online:
        return holder.home
    spot = random.Random(merchant)
    return city.lat + spot.gauss(0, 0.07), city.lon + spot.gauss(0, 0.07)


def pick_merchant(rng: random.Random, holder: Holder, category: str, city: City, new: float = NEW_MERCHANT) -> str:
    online = CATEGORIES[category].online
    if city is holder.city and rng.random() >= new:
        usual = holder.favourites[category]
        return usual[min(int(rng.expovariate(0.8)), len(usual) - 1)]
    return merchant_id(city.name, category, rng.randrange(MERCHANTS_PER_POOL), online)


def spend(rng: random.Random, holder: Holder, when: datetime, category: str, factor: float = 1.0,
          city: City | None = None, new: float = NEW_MERCHANT, scenario: str = "") -> Spend:  # fmt: skip
    city = city or holder.city
    merchant = pick_merchant(rng, holder, category, city, new)
    dollars = holder.scale[category] * factor * rng.lognormvariate(0, CATEGORIES[category].sigma)
    lat, lon = place(rng, holder, category, city, merchant)
    return Spend(when, category, merchant, max(dollars, MIN_DOLLARS), lat, lon, scenario)


def at_hour(day: date, hour: float) -> datetime:
    return datetime(day.year, day.month, day.day) + timedelta(hours=hour % 24)


def chance(rng: random.Random, share: float) -> bool:
    return rng.random() < share


def routine_day(rng: random.Random, holder: Holder, day: date, boost: float) -> list[Spend]:
    weekend = 1.15 if day.weekday() >= SATURDAY else 1.0
    events = []
    categories = list(holder.mix)
    for _ in range(poisson(rng, holder.rate * weekend * boost)):
        category = rng.choices(categories, list(holder.mix.values()))[0]
        mean, sd = rng.choice(CATEGORIES[category].hours)
        hour = rng.uniform(0, 24) if rng.random() < STRAY_HOUR else rng.gauss(mean + holder.shift, sd)
        events.append(spend(rng, holder, at_hour(day, hour), category, boost**0.5))
    return events


def occasions(rng: random.Random, holder: Holder, day: date) -> list[Spend]:
    """Rent, salary-day bills and subscriptions, nights out, online sprees and big one-off purchases."""
    events = []
    if day.day == 1 and holder.rent:
        events.append(
            spend(rng, holder, at_hour(day, rng.uniform(7, 11)), "online_retail", 0, new=0)._replace(
                category="housing", merchant=f"m_rent_{holder.customer_id}", dollars=holder.rent
            )
        )
    if day.day == (holder.payday % 28) + 2:
        events.append(spend(rng, holder, at_hour(day, rng.uniform(2, 5)), "digital_goods", 1.2, new=0))
    if day.weekday() >= SATURDAY - 1 and day.weekday() < SATURDAY + 1 and rng.random() < holder.outings / 2:
        clock = at_hour(day, rng.gauss(20.5, 1))
        for _ in range(rng.randint(2, 6)):
            events.append(spend(rng, holder, clock, rng.choice(OUT_CATEGORIES), rng.uniform(1, 2.2), new=0.35))
            clock += timedelta(minutes=rng.uniform(20, 110))
    if rng.random() < holder.sprees / 30:
        clock = at_hour(day, rng.gauss(21.5, 2.5))
        for _ in range(rng.randint(3, 9)):
            events.append(spend(rng, holder, clock, rng.choice(SPREE_CATEGORIES), rng.uniform(0.8, 2.5), new=0.6))
            clock += timedelta(minutes=rng.expovariate(1 / 15))
    if rng.random() < 1 / 60:
        hour = rng.gauss(14, 3) if chance(rng, 0.85) else rng.uniform(21, 26)
        events.append(spend(rng, holder, at_hour(day, hour), rng.choice(BIG_CATEGORIES), rng.uniform(3, 8), new=0.7))
    return events


def trip(rng: random.Random, holder: Holder, start: date) -> list[Spend]:
    """A few days in the nearby city: a hotel, then meals, transport and evenings there."""
    city = CITIES[holder.city.near]
    days = rng.randint(1, 4)
    events = [spend(rng, holder, at_hour(start, rng.uniform(9, 20)), "travel", 1.0, city, new=1.0)]
    for offset in range(days + 1):
        day = start + timedelta(days=offset)
        for _ in range(rng.randint(2, 6)):
            hour = rng.gauss(15, 4.5)
            events.append(spend(rng, holder, at_hour(day, hour), rng.choice(TRIP_CATEGORIES), 1.3, city, new=0.8))
    return events


def legitimate_life(rng: random.Random, holder: Holder, first: date, days: int) -> list[Spend]:
    trips = {rng.randrange(days) for _ in range(holder.trips)}
    events = []
    for offset in range(days):
        day = first + timedelta(days=offset)
        paid = (day.day - holder.payday) % 31 if holder.payday > 1 else min((day.day - 1) % 31, (day.day - 15) % 31)
        events += routine_day(rng, holder, day, 1.5 if paid <= 1 else 1.0)
        events += occasions(rng, holder, day)
        if offset in trips:
            events += trip(rng, holder, day)
    return events
