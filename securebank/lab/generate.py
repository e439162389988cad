"""A seeded, labelled workload: customers with habits, their transactions, and the fraud patterns mixed in.

Deterministic: everything is drawn from one `random.Random(seed)`. Transactions come out in timestamp order, each
exactly the POST /v1/transactions body of contracts/openapi.yaml, and each has a label
`{"transaction_id", "is_fraud", "pattern"}`.
"""

from __future__ import annotations

import gzip
import io
import json
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from domain.currency import MINOR_UNITS

PATTERNS = ("velocity_attack", "impossible_travel", "amount_anomaly", "unusual_time", "category_deviation")
NORMAL = "none"

# city, latitude, longitude, UTC offset in hours, currency
CITIES: tuple[tuple[str, float, float, int, str], ...] = (
    ("london", 51.5072, -0.1276, 0, "GBP"),
    ("paris", 48.8566, 2.3522, 1, "EUR"),
    ("berlin", 52.5200, 13.4050, 1, "EUR"),
    ("madrid", 40.4168, -3.7038, 1, "EUR"),
    ("new_york", 40.7128, -74.0060, -5, "USD"),
    ("chicago", 41.8781, -87.6298, -6, "USD"),
    ("san_francisco", 37.7749, -122.4194, -8, "USD"),
    ("tokyo", 35.6762, 139.6503, 9, "JPY"),
    ("singapore", 1.3521, 103.8198, 8, "SGD"),
    ("sydney", -33.8688, 151.2093, 10, "AUD"),
)
EVERYDAY_CATEGORIES = ("grocery", "restaurant", "fuel", "transport", "pharmacy", "coffee", "clothing", "utilities")
RISKY_CATEGORIES = ("jewelry", "electronics", "gambling", "crypto_exchange", "wire_transfer", "luxury_goods")
MERCHANTS_PER_CATEGORY = 40
USUAL_CATEGORY_SHARE = 0.92  # a normal payment is in one of the customer's usual categories this often
FAR_AWAY_DEGREES = 30  # impossible travel: a city this far (latitude + longitude degrees) from home


@dataclass(frozen=True)
class Customer:
    customer_id: str
    city: str
    latitude: float
    longitude: float
    utc_offset_hours: int
    currency: str
    usual_categories: tuple[str, ...]
    typical_amount: float

    @property
    def tz(self) -> timezone:
        return timezone(timedelta(hours=self.utc_offset_hours))

    def as_json(self) -> dict[str, Any]:
        return {
            "customer_id": self.customer_id,
            "city": self.city,
            "home": {"latitude": self.latitude, "longitude": self.longitude},
            "utc_offset": _offset_text(self.utc_offset_hours),
            "currency": self.currency,
            "usual_categories": list(self.usual_categories),
            "typical_amount": _amount_text(self.typical_amount, self.currency),
        }


@dataclass(frozen=True)
class Workload:
    """What `generate_workload` returns; `events()` yields (transaction body, label) pairs in timestamp order."""

    customers: tuple[Customer, ...]
    _events: tuple[tuple[datetime, dict[str, Any], dict[str, Any]], ...]

    def events(self) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
        return ((txn, label) for _, txn, label in self._events)

    def transactions(self) -> Iterator[dict[str, Any]]:
        return (txn for _, txn, _ in self._events)

    def labels(self) -> Iterator[dict[str, Any]]:
        return (label for _, _, label in self._events)


def _amount_text(amount: float, currency: str) -> str:
    """With exactly the currency's decimals (JPY none), and at least 0.50 (1 in a currency without decimals)."""
    places = MINOR_UNITS[currency]
    return f"{max(amount, 0.5, 10.0**-places):.{places}f}"


def _offset_text(hours: int) -> str:
    sign = "+" if hours >= 0 else "-"
    return f"{sign}{abs(hours):02d}:00"


class _Generator:
    def __init__(self, rng: random.Random, customers: tuple[Customer, ...], start: datetime, days: int) -> None:
        self.rng = rng
        self.customers = customers
        self.start = start
        self.days = days
        self.drafts: list[tuple[datetime, Customer, dict[str, Any], str]] = []

    # A draft is (UTC instant, customer, fields, pattern); ids and timestamps are assigned after sorting.
    def _local_time(self, customer: Customer, hour_lo: int, hour_hi: int) -> datetime:
        rng = self.rng
        day = self.start + timedelta(days=rng.randrange(self.days))
        local = datetime(day.year, day.month, day.day, tzinfo=customer.tz) + timedelta(
            seconds=rng.randrange(hour_lo * 3600, hour_hi * 3600)
        )
        return local.astimezone(UTC)

    def _fields(self, customer: Customer, category: str, amount: float, lat: float, lon: float) -> dict[str, Any]:
        merchant = f"m_{category}_{self.rng.randrange(MERCHANTS_PER_CATEGORY):03d}"
        amount_text = _amount_text(amount, customer.currency)
        return {"category": category, "merchant": merchant, "amount": amount_text, "lat": lat, "lon": lon}

    def _near_home(self, customer: Customer) -> tuple[float, float]:
        return (
            round(customer.latitude + self.rng.uniform(-0.05, 0.05), 4),
            round(customer.longitude + self.rng.uniform(-0.05, 0.05), 4),
        )

    def _usual_amount(self, customer: Customer) -> float:
        return customer.typical_amount * self.rng.lognormvariate(0, 0.5)

    def normal(self, customer: Customer, when: datetime | None = None) -> None:
        rng = self.rng
        when = when or self._local_time(customer, 8, 21)
        category = (
            rng.choice(customer.usual_categories)
            if rng.random() < USUAL_CATEGORY_SHARE
            else rng.choice(EVERYDAY_CATEGORIES)
        )
        fields = self._fields(customer, category, self._usual_amount(customer), *self._near_home(customer))
        self.drafts.append((when, customer, fields, NORMAL))

    def fraud(self, pattern: str, budget: int) -> int:
        """Add one incident of `pattern`; returns how many transactions it used (fraud and normal together)."""
        rng = self.rng
        customer = rng.choice(self.customers)
        if pattern == "velocity_attack":
            count = min(budget, rng.randint(5, 10))
            when = self._local_time(customer, 0, 24)
            for _ in range(count):
                when += timedelta(seconds=rng.randint(2, 40))
                category = rng.choice(RISKY_CATEGORIES + customer.usual_categories)
                fields = self._fields(customer, category, rng.uniform(20, 300), *self._near_home(customer))
                self.drafts.append((when, customer, fields, pattern))
            return count
        if pattern == "impossible_travel":
            when = self._local_time(customer, 8, 21)
            far = rng.choice(
                [c for c in CITIES if abs(c[1] - customer.latitude) + abs(c[2] - customer.longitude) > FAR_AWAY_DEGREES]
            )
            with_home_payment = budget > 1  # the payment at home, then the one far away
            if with_home_payment:
                self.normal(customer, when)
            lat, lon = round(far[1] + rng.uniform(-0.05, 0.05), 4), round(far[2] + rng.uniform(-0.05, 0.05), 4)
            category = rng.choice(customer.usual_categories)
            fields = self._fields(customer, category, self._usual_amount(customer) * 2, lat, lon)
            self.drafts.append((when + timedelta(minutes=rng.randint(5, 45)), customer, fields, pattern))
            return 1 + with_home_payment
        if pattern == "amount_anomaly":
            amount = customer.typical_amount * rng.uniform(15, 60)
            category = rng.choice(customer.usual_categories)
        elif pattern == "unusual_time":
            amount = self._usual_amount(customer) * 1.5
            category = rng.choice(customer.usual_categories)
        else:  # category_deviation
            amount = customer.typical_amount * rng.uniform(3, 10)
            category = rng.choice(RISKY_CATEGORIES)
        hours = (1, 5) if pattern == "unusual_time" else (8, 21)
        fields = self._fields(customer, category, amount, *self._near_home(customer))
        self.drafts.append((self._local_time(customer, *hours), customer, fields, pattern))
        return 1


def _customers(rng: random.Random, count: int) -> tuple[Customer, ...]:
    result = []
    for index in range(count):
        city, lat, lon, offset, currency = rng.choice(CITIES)
        usual = tuple(rng.sample(EVERYDAY_CATEGORIES, rng.randint(2, 4)))
        typical = round(rng.lognormvariate(3.3, 0.6), 2)  # median about 27
        result.append(Customer(f"cust_{index:06d}", city, lat, lon, offset, currency, usual, typical))
    return tuple(result)


def generate_workload(
    *,
    customers: int = 1000,
    transactions: int = 10_000,
    seed: int = 42,
    start: date = date(2026, 1, 1),
    days: int = 7,
    fraud_rate: float = 0.02,
) -> Workload:
    """Exactly `transactions` transactions, about `fraud_rate` of them fraud, in timestamp order."""
    if customers < 1 or transactions < 0 or days < 1 or not 0 <= fraud_rate <= 1:
        raise ValueError("customers >= 1, transactions >= 0, days >= 1 and 0 <= fraud_rate <= 1")
    rng = random.Random(seed)
    people = _customers(rng, customers)
    gen = _Generator(rng, people, datetime(start.year, start.month, start.day, tzinfo=UTC), days)
    remaining = transactions
    fraud_budget = round(transactions * fraud_rate)
    while fraud_budget > 0 and remaining > 0:
        used = gen.fraud(rng.choice(PATTERNS), min(fraud_budget, remaining))
        fraud_budget -= used
        remaining -= used
    for _ in range(remaining):
        gen.normal(rng.choice(people))
    gen.drafts.sort(key=lambda draft: draft[0])
    events = []
    for index, (when, customer, fields, pattern) in enumerate(gen.drafts):
        transaction_id = f"tx_{seed}_{index:09d}"
        local = when.astimezone(customer.tz).isoformat()
        body = {
            "transaction_id": transaction_id,
            "customer_id": customer.customer_id,
            "amount": fields["amount"],
            "currency": customer.currency,
            "merchant_id": fields["merchant"],
            "merchant_category": fields["category"],
            "timestamp": local.replace("+00:00", "Z") if customer.utc_offset_hours == 0 else local,
            "location": {"latitude": fields["lat"], "longitude": fields["lon"]},
        }
        label = {"transaction_id": transaction_id, "is_fraud": pattern != NORMAL, "pattern": pattern}
        events.append((when, body, label))
    return Workload(people, tuple(events))


def write_workload(workload: Workload, output_dir: Path, *, compress: bool = False) -> dict[str, Path]:
    """customers.jsonl, transactions.jsonl and labels.jsonl (with .gz when `compress`); returns the paths."""
    output_dir.mkdir(parents=True, exist_ok=True)
    suffix = ".jsonl.gz" if compress else ".jsonl"
    rows = {
        "customers": (c.as_json() for c in workload.customers),
        "transactions": workload.transactions(),
        "labels": workload.labels(),
    }
    paths = {}
    for name, items in rows.items():
        path = output_dir / f"{name}{suffix}"
        with path.open("wb") as raw:
            # mtime=0 keeps the .gz bytes a function of the seed alone
            binary = gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) if compress else raw
            with io.TextIOWrapper(binary, encoding="utf-8") as out:
                out.writelines(json.dumps(item, separators=(",", ":")) + "\n" for item in items)
        paths[name] = path
    return paths
