"""Small raw lakes for the job tests, laid out exactly as the S3 archive adapter writes them."""

from __future__ import annotations

import gzip
import json
import random
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
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
