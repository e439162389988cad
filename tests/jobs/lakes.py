"""Small raw lakes for the job tests, laid out exactly as the S3 archive adapter writes them."""

from __future__ import annotations

import gzip
import json
import random
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

from contracts.aws import raw_object_key
from domain.model import CustomerId, Location, Transaction, TransactionId

START = datetime(2025, 1, 6, tzinfo=UTC)
HOME = Location(latitude=40.7, longitude=-74.0)


def write_raw_batch(lake: Path, partition: str, lines: Iterable[str | dict[str, Any]], shard: str = "shard-0") -> Path:
    """One archived batch as the S3 archive adapter lays it out: gzip JSON Lines at contracts.aws.raw_object_key."""
    text = [line if isinstance(line, str) else json.dumps(line) for line in lines]
    path = lake / raw_object_key(partition, shard, f"{hash(tuple(text)) & 0xFFFF:05d}", "9")
    path.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        handle.write("\n".join(text) + "\n")
    return path


def write_labels(path: Path, labels: Mapping[str, bool], labelled_at: datetime | None = None) -> Path:
    """A labels file as the label feed delivers it: JSON Lines of {transaction_id, is_fraud[, labelled_at]}."""
    when = {} if labelled_at is None else {"labelled_at": labelled_at.isoformat()}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps({"transaction_id": t, "is_fraud": f, **when}) + "\n" for t, f in labels.items()))
    return path


def labelled_history(seed: int = 3, customers: int = 30, days: int = 28, fraud_share: float = 0.03):
    """Customers with very different usual amounts; a fraud is ~10x the customer's usual amount, nothing else."""
    rng = random.Random(seed)
    rows: list[tuple[Transaction, bool]] = []
    for c in range(customers):
        usual = Decimal(rng.choice([8, 20, 60, 150, 400]))
        at = START + timedelta(minutes=rng.randrange(600))
        n = 0
        while at < START + timedelta(days=days):
            fraud = n >= 5 and rng.random() < fraud_share
            factor = Decimal(rng.randrange(80, 120)) / 10 if fraud else Decimal(rng.randrange(50, 150)) / 100
            txn = Transaction(
                transaction_id=TransactionId(f"t{c}-{n}"),
                customer_id=CustomerId(f"c{c}"),
                amount=(usual * factor).quantize(Decimal("0.01")),
                currency="USD",
                merchant_id="m1",
                merchant_category="grocery",
                timestamp=at,
                location=HOME,
            )
            rows.append((txn, fraud))
            at += timedelta(hours=rng.randrange(3, 30))
            n += 1
    rows.sort(key=lambda row: row[0].timestamp)
    return [t for t, _ in rows], {t.transaction_id: f for t, f in rows}


def write_label_rows(path: Path, rows: Iterable[Mapping[str, Any]]) -> Path:
    """A labels file of arbitrary rows (each its own optional `labelled_at`), as JSON Lines."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(dict(row)) + "\n" for row in rows))
    return path


def compromised_merchant_history(
    seed: int = 5,
    customers: int = 16,
    days: int = 14,
    compromised: tuple[int, int] = (3, 12),
    labelled_at_share: float = 0.5,
) -> tuple[list[Transaction], dict[TransactionId, bool], list[dict[str, Any]]]:
    """Ordinary payments at five merchants; every payment at `m-bad` on the days [compromised) (day 0 = START) is
    fraud, and nothing else tells it apart (same amounts, hours, place and category). Every transaction is
    labelled; a share of the labels carry a `labelled_at` (6 to 60 hours after the payment, in a zone that is not
    always UTC), the others none. Returns the transactions in time order, the labels and the label rows."""
    rng = random.Random(seed)
    zones = (UTC, timezone(timedelta(hours=-5)), timezone(timedelta(hours=9)))
    merchants = ("m-1", "m-2", "m-3", "m-4", "m-bad")
    rows: list[tuple[Transaction, bool]] = []
    for c in range(customers):
        usual = Decimal(rng.choice([15, 40, 90]))
        for day in range(days):
            for _ in range(rng.choice([1, 1, 2])):
                at = START + timedelta(days=day, hours=rng.randrange(9, 18), minutes=rng.randrange(60))
                merchant = rng.choice(merchants)
                txn = Transaction(
                    transaction_id=TransactionId(f"t{c}-{day}-{len(rows)}"),
                    customer_id=CustomerId(f"c{c}"),
                    amount=(usual * Decimal(rng.randrange(70, 130)) / 100).quantize(Decimal("0.01")),
                    currency="USD",
                    merchant_id=merchant,
                    merchant_category="grocery",
                    timestamp=at,
                    location=HOME,
                )
                rows.append((txn, merchant == "m-bad" and compromised[0] <= day < compromised[1]))
    rows.sort(key=lambda row: (row[0].timestamp, row[0].transaction_id))
    label_rows: list[dict[str, Any]] = []
    for txn, fraud in rows:
        row: dict[str, Any] = {"transaction_id": txn.transaction_id, "is_fraud": fraud}
        if rng.random() < labelled_at_share:
            arrived = txn.timestamp + timedelta(hours=rng.randrange(6, 60))
            row["labelled_at"] = arrived.astimezone(rng.choice(zones)).isoformat()
        label_rows.append(row)
    return [t for t, _ in rows], {t.transaction_id: f for t, f in rows}, label_rows
