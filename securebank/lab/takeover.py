"""OUR generator of account-takeover-shaped labelled history, for development and tests (it is NOT external).

Written from the specification's description of its held-out data, without that data: card holders with habits,
legitimate life with noise, and compromised cards that make runs of purchases. It must never be the evidence that
the learned policy generalizes: only generators this project did not write are (`securebank/lab/synccfd.py`,
`securebank/lab/finforge.py`).

Each holder has a home city (an IANA zone or a fixed offset, its currency), waking hours, a few categories with
their own amount scale and rate (grocery, gas, restaurants, coffee, online shopping, pharmacy, entertainment,
travel, utilities), two to four usual merchants per category and a monthly bill. Legitimate noise: new merchants
(7 %), late-night payments (0.5-8 % per holder, 25 % for one in six), sprees (1 % of days: 4-10 payments in a few
hours, 0.7-3x), occasional big purchases (4-15x), payments 10-150 miles from home (4 %) and trips (domestic or
abroad, timestamps in the destination's zone). Fraud: a compromised card makes a run of 3 to 40 purchases over 1
hour to 4 days, often at night (each payment at night with probability 0.6), mostly 2-8x the holder's usual amount
in the category (a fifth only 0.8-2x), at merchants new to the holder, in mixed categories, in the holder's city
(online purchases shipped 5-60 miles away; never 500 miles); the holder's own payments go on around the run. Fraud
merchants are drawn from the city's pool, so no merchant concentrates fraud (no compromised terminal). Seeded and
deterministic (stdlib `random` only).

    python -m securebank.lab.takeover --output-dir D --seed N [--holders 300 --months 6]

writes the layout of `securebank/lab/split.py`: all/ (six months in time order), train/ (first three months),
test/labels.jsonl (the next three); the scenario of a fraudulent payment is its run ("run0007").
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from securebank.lab.draws import poisson
from securebank.lab.split import Row, write_split


@dataclass(frozen=True)
class City:
    name: str
    zone: str
    lat: float
    lon: float
    currency: str
    scale: float  # amounts in this currency per US dollar


CITIES = (  # (city, weight): most holders in the US
    (City("new_york", "America/New_York", 40.7128, -74.0060, "USD", 1), 5),
    (City("chicago", "America/Chicago", 41.8781, -87.6298, "USD", 1), 3),
    (City("denver", "America/Denver", 39.7392, -104.9903, "USD", 1), 2),
    (City("los_angeles", "America/Los_Angeles", 34.0522, -118.2437, "USD", 1), 4),
    (City("london", "Europe/London", 51.5074, -0.1278, "GBP", 0.8), 2),
    (City("berlin", "Europe/Berlin", 52.5200, 13.4050, "EUR", 0.9), 2),
    (City("tokyo", "Asia/Tokyo", 35.6762, 139.6503, "JPY", 150), 1),
    (City("mumbai", "+05:30", 19.0760, 72.8777, "INR", 80), 1),
    (City("sao_paulo", "-03:00", -23.5505, -46.6333, "BRL", 5), 1),
)
# category: (median USD, log-sd, payments a week, the local hours it is usually paid in)
CATEGORIES = {
    "grocery": (45.0, 0.5, 3.5, (9, 21)),
    "gas": (40.0, 0.3, 1.5, (7, 20)),
    "restaurants": (28.0, 0.6, 3.5, (11, 22)),
    "coffee": (5.0, 0.3, 4.6, (6, 11)),
    "online_shopping": (35.0, 0.9, 2.5, (8, 22)),
    "pharmacy": (18.0, 0.6, 0.8, (9, 20)),
    "entertainment": (20.0, 0.6, 1.5, (12, 22)),
    "travel": (120.0, 0.8, 0.3, (8, 20)),
    "electronics": (150.0, 0.8, 0.15, (10, 20)),
}
FRAUD_MIX = {"online_shopping": 4, "electronics": 3, "restaurants": 1, "grocery": 1, "gas": 1, "travel": 1,
             "entertainment": 2}  # fmt: skip
MERCHANTS_PER_CATEGORY = 40
NEW_MERCHANT = 0.07  # share of a holder's own payments at a merchant new to them
BIG_PURCHASE = 0.004  # chance that a holder's own payment is 4-15x their usual
NIGHT_IN_RUN = 0.6  # chance that a payment of a run is at night
CATEGORY_HABIT = 0.8  # chance that a holder pays in a given category
SPREE = 0.01  # chance a day that a holder goes on a spree (4 to 10 payments in a few hours)
SPREE_CATEGORIES = ("online_shopping", "restaurants", "entertainment", "electronics", "coffee")
SPREE_NEW = 0.4  # share of a spree's payments at merchants new to the holder
REGIONAL = 0.04  # share of a holder's own payments 10 to 150 miles from home
ABROAD = 0.3  # chance that a trip may go to a city of another currency
FAR_ABOVE = 0.8  # share of a run's payments 2-8x the holder's usual (the rest 0.8-2x)
MILES_PER_DEGREE = 69.0


@dataclass
class Holder:
    ident: str
    city: City
    wake: int
    sleep: int
    late_share: float
    wealth: float
    habits: dict[str, tuple[float, float, list[int]]]  # category -> (median, rate/day, usual merchant numbers)
    bill: tuple[int, float]  # day of month, amount (USD)
    trips: list[tuple[datetime, datetime, City]] = field(default_factory=list)


class Generator:
    def __init__(self, seed: int, start: date, days: int) -> None:
        self.rng = random.Random(seed)
        self.start = datetime(start.year, start.month, start.day, tzinfo=UTC)
        self.days = days
        self.events: list[tuple[datetime, dict[str, object], bool, str]] = []

    def holder(self, number: int) -> Holder:
        rng = self.rng
        city = rng.choices([c for c, _ in CITIES], [w for _, w in CITIES])[0]
        wealth = math.exp(rng.gauss(0, 0.45))
        chosen = [c for c in CATEGORIES if rng.random() < CATEGORY_HABIT] or ["grocery"]
        habits = {}
        for name in chosen:
            median, _, weekly, _ = CATEGORIES[name]
            usual = rng.sample(range(MERCHANTS_PER_CATEGORY), rng.randint(2, 4))
            habits[name] = (median * wealth * math.exp(rng.gauss(0, 0.3)), weekly / 7 * math.exp(rng.gauss(0, 0.4)),
                            usual)  # fmt: skip
        late = rng.choice((0.005, 0.01, 0.02, 0.04, 0.08, 0.25))  # the last: a night-shift worker
        holder = Holder(f"h{number:04d}", city, rng.randint(6, 9), rng.randint(21, 23), late, wealth, habits,
                        (rng.randint(1, 28), 60 * wealth * math.exp(rng.gauss(0, 0.3))))  # fmt: skip
        for _ in range(rng.choice((0, 0, 1, 1, 2))):
            leave = self.start + timedelta(days=rng.uniform(0, self.days - 8))
            others = [c for c, _ in CITIES if c != city]
            near = [c for c in others if c.currency == city.currency or rng.random() < ABROAD]
            away = rng.choice(near or others)
            holder.trips.append((leave, leave + timedelta(days=rng.uniform(2, 7)), away))
        return holder

    def life(self, h: Holder) -> None:
        """The holder's own payments, day by day."""
        rng = self.rng
        for day in range(self.days):
            midnight = self.start + timedelta(days=day)
            if (midnight + timedelta(hours=12)).day == h.bill[0]:
                self.pay(h, h.city, midnight, "utilities", h.bill[1] * rng.uniform(0.9, 1.1), 0, hours=(8, 20))
            for name, (median, rate, usual) in h.habits.items():
                for _ in range(poisson(rng, rate)):
                    amount = median * math.exp(rng.gauss(0, CATEGORIES[name][1]))
                    if rng.random() < BIG_PURCHASE:
                        amount *= rng.uniform(4, 15)
                    new = rng.random() < NEW_MERCHANT
                    merchant = rng.randrange(MERCHANTS_PER_CATEGORY) if new else rng.choice(usual)
                    self.pay(h, h.city, midnight, name, amount, merchant, hours=CATEGORIES[name][3])
            if rng.random() < SPREE:
                self.spree(h, midnight)

    def spree(self, h: Holder, midnight: datetime) -> None:
        """A day out: 4 to 10 of the holder's own payments within a few hours, at shops new and known."""
        rng = self.rng
        first = midnight + timedelta(hours=rng.uniform(max(h.wake, 10), max(h.sleep - 4, 11)))
        for _ in range(rng.randint(4, 10)):
            name = rng.choice([c for c in SPREE_CATEGORIES if c in h.habits] or list(h.habits))
            median, _, usual = h.habits[name]
            merchant = rng.randrange(MERCHANTS_PER_CATEGORY) if rng.random() < SPREE_NEW else rng.choice(usual)
            at = first + timedelta(hours=rng.uniform(0, 4))
            self.pay(h, h.city, midnight, name, median * rng.uniform(0.7, 3), merchant, hours=(0, 24), at=at)

    def pay(self, h: Holder, city: City, midnight: datetime, category: str, usd: float, merchant: int, *,
            hours: tuple[int, int], fraud: str = "", at: datetime | None = None) -> None:  # fmt: skip
        rng = self.rng
        if at is None:
            low, high = max(hours[0], h.wake), min(hours[1], h.sleep)
            hour = rng.uniform(low, max(high, low + 1))
            if rng.random() < h.late_share:
                hour = rng.uniform(22, 29) % 24
            at = midnight + timedelta(hours=hour)
        for leave, back, away in h.trips:
            if not fraud and leave <= at < back:
                city, merchant = away, rng.randrange(MERCHANTS_PER_CATEGORY)
        local = at.replace(tzinfo=None)  # the wall-clock time, placed in the city's zone
        moment = local.replace(tzinfo=zone(city.zone))
        lat, lon = _merchant_place(city, category, merchant)
        if fraud and category == "online_shopping":  # shipped to the fraudster, 5 to 60 miles away
            lat, lon = _offset(city.lat, city.lon, rng.uniform(5, 60), rng.uniform(0, 2 * math.pi))
        elif not fraud and rng.random() < REGIONAL:  # a day out, a commute, a parcel sent to family
            lat, lon = _offset(city.lat, city.lon, rng.uniform(10, 150), rng.uniform(0, 2 * math.pi))
        unit = Decimal(1) if city.currency == "JPY" else Decimal("0.01")
        amount = Decimal(str(max(usd * city.scale, 1.0))).quantize(unit)
        body: dict[str, object] = {
            "customer_id": h.ident,
            "amount": str(amount),
            "currency": city.currency,
            "merchant_id": f"m_{city.name}_{category}_{merchant:02d}",
            "merchant_category": category,
            "timestamp": moment.isoformat(timespec="seconds"),
            "location": {"latitude": round(lat, 5), "longitude": round(lon, 5)},
        }
        self.events.append((moment.astimezone(UTC), body, bool(fraud), fraud))

    def run(self, h: Holder, number: int) -> int:
        """A compromised card's run of purchases; returns how many."""
        rng = self.rng
        first = self.start + timedelta(days=rng.uniform(14, self.days - 5))
        hours = min(max(math.exp(rng.gauss(math.log(10), 1.0)), 1.0), 96.0)
        count = min(3 + int(rng.expovariate(1 / 8)), 40)
        for _ in range(count):
            at = first + timedelta(hours=rng.uniform(0, hours))
            if rng.random() < NIGHT_IN_RUN:
                local_midnight = at.replace(hour=0, minute=0, second=0)
                at = local_midnight + timedelta(hours=rng.uniform(22, 29))
            category = rng.choices(list(FRAUD_MIX), list(FRAUD_MIX.values()))[0]
            median = h.habits[category][0] if category in h.habits else CATEGORIES[category][0] * h.wealth
            far = rng.random() < FAR_ABOVE
            scale = math.exp(rng.gauss(math.log(4), 0.45)) if far else rng.uniform(0.8, 2)
            usual = h.habits[category][2] if category in h.habits else []
            merchant = rng.choice([m for m in range(MERCHANTS_PER_CATEGORY) if m not in usual])
            self.pay(h, h.city, at, category, median * scale, merchant, hours=(0, 24), fraud=f"run{number:04d}", at=at)
        return count


def generate(seed: int, holders: int, months: int, start: date, fraud_share: float = 0.022) -> list[Row]:
    """Rows in time order, ids assigned in that order."""
    end = date(start.year + (start.month - 1 + months) // 12, (start.month - 1 + months) % 12 + 1, 1)
    gen = Generator(seed, start, (end - start).days)
    people = [gen.holder(n) for n in range(holders)]
    for h in people:
        gen.life(h)
    legit, frauds, runs = len(gen.events), 0, 0
    while frauds < fraud_share * legit / (1 - fraud_share):
        runs += 1
        frauds += gen.run(gen.rng.choice(people), runs)
    gen.events.sort(key=lambda e: (e[0], e[1]["customer_id"], e[1]["timestamp"]))
    kept = [e for e in gen.events if start.isoformat() <= _utc_day(e[1]) < end.isoformat()]
    return [Row({"transaction_id": f"tk{n:07d}"} | body, fraud, run) for n, (_, body, fraud, run) in enumerate(kept)]


def _utc_day(body: dict[str, object]) -> str:
    return datetime.fromisoformat(str(body["timestamp"])).astimezone(UTC).date().isoformat()


def zone(name: str) -> tzinfo:
    """An IANA zone name, or a fixed offset written "+HH:MM" / "-HH:MM"."""
    if name[:1] in "+-":
        delta = timedelta(hours=int(name[1:3]), minutes=int(name[4:6]))
        return timezone(-delta if name[0] == "-" else delta)
    return ZoneInfo(name)


def _merchant_place(city: City, category: str, merchant: int) -> tuple[float, float]:
    """A merchant's fixed place, up to 15 miles from its city's centre."""
    spot = random.Random(f"{city.name}/{category}/{merchant}")
    return _offset(city.lat, city.lon, spot.uniform(0, 15), spot.uniform(0, 2 * math.pi))


def _offset(lat: float, lon: float, miles: float, bearing: float) -> tuple[float, float]:
    north = miles * math.cos(bearing) / MILES_PER_DEGREE
    east = miles * math.sin(bearing) / (MILES_PER_DEGREE * math.cos(math.radians(lat)))
    return lat + north, lon + east


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m securebank.lab.takeover", description=__doc__.splitlines()[0])
    parser.add_argument("--output-dir", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--holders", type=int, default=300)
    parser.add_argument("--months", type=int, default=6)
    parser.add_argument("--start", type=date.fromisoformat, default=date(2025, 1, 1))
    parser.add_argument("--test-from", type=date.fromisoformat, help="default: after half of the months")
    args = parser.parse_args(argv)
    rows = generate(args.seed, args.holders, args.months, args.start)
    half = args.start.month - 1 + args.months // 2
    test_from = args.test_from or date(args.start.year + half // 12, half % 12 + 1, 1)
    counts = write_split(rows, args.output_dir, test_from)
    print(json.dumps(counts | {"runs": len({r.scenario for r in rows if r.is_fraud})}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
