"""Our account-takeover-shaped generator: deterministic, of the described shape, and every line a valid POST body."""

from __future__ import annotations

import json
import math
from collections import Counter
from datetime import UTC, date, datetime

import pytest

from adapters.serialization import parse_transaction
from securebank.lab.split import write_split
from securebank.lab.takeover import generate, main

START = date(2025, 1, 1)


def _night(body):
    hour = datetime.fromisoformat(body["timestamp"]).hour  # the local time of the payment
    return hour < 6 or hour >= 22  # the specification's day hours


def _miles(a, b):
    north = (a["latitude"] - b["latitude"]) * 69.0
    east = (a["longitude"] - b["longitude"]) * 69.0 * math.cos(math.radians(a["latitude"]))
    return math.hypot(north, east)


@pytest.fixture(scope="module")
def six_months():
    """A hundred holders over six months (a third of the default population)."""
    return generate(seed=5, holders=100, months=6, start=START)


def test_the_same_seed_gives_the_same_history_and_another_seed_another():
    first = generate(seed=3, holders=12, months=2, start=START)

    assert generate(seed=3, holders=12, months=2, start=START) == first
    assert generate(seed=4, holders=12, months=2, start=START) != first


def test_the_history_has_the_described_size_and_fraud_share(six_months):
    frauds = sum(r.is_fraud for r in six_months)

    assert 40_000 <= len(six_months) <= 48_000  # 132,000 for 300 holders, so about 44,000 for 100
    assert 0.020 <= frauds / len(six_months) <= 0.026
    assert [r.body["transaction_id"] for r in six_months] == [f"tk{n:07d}" for n in range(len(six_months))]


def test_runs_are_mostly_at_night_and_the_holders_own_life_mostly_is_not(six_months):
    fraud = [r.body for r in six_months if r.is_fraud]
    legit = [r.body for r in six_months if not r.is_fraud]

    assert sum(map(_night, fraud)) / len(fraud) >= 0.55
    assert sum(map(_night, legit)) / len(legit) <= 0.09


def test_runs_stay_near_home_at_new_merchants_well_above_the_holders_usual_amounts(six_months):
    seen: dict[str, set[str]] = {}
    spent: dict[tuple[str, str], list[float]] = {}
    new = high = compared = 0
    fraud = [r.body for r in six_months if r.is_fraud]
    for row in six_months:
        body, holder = row.body, row.body["customer_id"]
        if row.is_fraud:
            new += body["merchant_id"] not in seen.get(holder, set())
            usual = sorted(spent.get((holder, body["merchant_category"]), []))
            if len(usual) >= 3:  # the holder has a habit in this category
                compared += 1
                high += float(body["amount"]) > 2 * usual[len(usual) // 2]
            continue
        seen.setdefault(holder, set()).add(body["merchant_id"])
        spent.setdefault((holder, body["merchant_category"]), []).append(float(body["amount"]))
    assert new / len(fraud) >= 0.9
    assert high / compared >= 0.6  # above twice the holder's median in the category
    runs = Counter(r.scenario for r in six_months if r.is_fraud)
    assert len(runs) >= 50 and max(runs.values()) <= 40
    by_merchant = Counter(b["merchant_id"] for b in fraud)
    assert max(by_merchant.values()) <= 10  # no merchant concentrates fraud


def test_a_run_never_moves_the_card_500_miles_from_the_holders_home_city(six_months):
    city: dict[str, Counter[str]] = {}
    for row in six_months:
        if not row.is_fraud:
            name = row.body["merchant_id"].split("_")[1]
            city.setdefault(row.body["customer_id"], Counter())[name] += 1
    centre: dict[str, dict[str, float]] = {}
    for row in six_months:
        holder = row.body["customer_id"]
        if not row.is_fraud and row.body["merchant_id"].split("_")[1] == city[holder].most_common(1)[0][0]:
            centre.setdefault(holder, row.body["location"])

    far = [r for r in six_months if r.is_fraud and _miles(r.body["location"], centre[r.body["customer_id"]]) >= 500]

    assert far == []


def test_every_line_is_a_post_body_the_api_accepts_and_the_split_is_by_month(tmp_path):
    assert main(["--output-dir", str(tmp_path), "--seed", "2", "--holders", "20", "--months", "2"]) == 0

    read = lambda name: [json.loads(line) for line in (tmp_path / name).read_text().splitlines()]  # noqa: E731
    bodies = read("all/transactions.jsonl")
    parsed = [parse_transaction(b) for b in bodies]
    assert [t.timestamp for t in parsed] == sorted(t.timestamp for t in parsed)
    assert {b["currency"] for b in bodies} <= {"USD", "GBP", "EUR", "JPY", "INR", "BRL"}
    train, test = read("train/labels.jsonl"), read("test/labels.jsonl")
    assert read("all/labels.jsonl") == train + test and train and test
    assert [b["transaction_id"] for b in read("train/transactions.jsonl")] == [x["transaction_id"] for x in train]
    assert all(t.timestamp.astimezone(UTC).date() < date(2025, 2, 1) for t in parsed[: len(train)])
    assert all(t.timestamp.astimezone(UTC).date() >= date(2025, 2, 1) for t in parsed[len(train) :])
    assert any(label["is_fraud"] for label in read("all/labels.jsonl"))


def test_the_split_cuts_at_the_utc_date_of_each_payment(tmp_path):
    rows = generate(seed=1, holders=5, months=2, start=START)

    counts = write_split(rows, tmp_path, date(2025, 2, 1))

    assert counts["train"] + counts["test"] == len(rows) and counts["train"] > 0 and counts["test"] > 0
