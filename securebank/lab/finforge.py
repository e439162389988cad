"""Labelled history from a second generator this project did not write: FinForge (PyPI `finforge`, MIT licence).

FinForge simulates persona-driven bank accounts (student, salaried, freelancer, business owner, household,
retired): income, bills, subscriptions and discretionary card spending per merchant and category, then injects
fraud scenarios after the fact. The two card-payment scenarios are used by default: `card_fraud` (a burst of 3-4
high-value payments minutes apart from 22:00, at gift-card, gaming, wallet top-up and electronics merchants) and
`account_takeover` (4-6 payments 10-25 minutes apart from 22:00, transfers, crypto and electronics). Its other
scenarios (mule accounts, refund abuse, business invoices) are mostly credits and transfers, not card payments;
`--fraud-types` can add them.

This module only maps its debits onto our POST bodies and labels, and splits them by month:

    transaction_id  transaction_id             merchant_id        the merchant's name, as an identifier
    customer_id     user_id                    merchant_category  category
    amount          -amount (a debit), 2 dp    location           Bengaluru (every FinForge user lives there)
    currency        INR                        timestamp          read as Bengaluru time, written with +05:30

Credits (income, refunds, transfers in) are not card payments: they are dropped and counted, as are debits that
round to 0.00.

    python -m securebank.lab.finforge --output-dir ff --users 1000 --seed 42

writes the layout of `securebank/lab/split.py` (all/, train/ = January-March, test/labels.jsonl = April-June).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import date, datetime, timedelta, timezone
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path
from typing import Any

from securebank.lab.split import Row, write_split

BENGALURU = {"latitude": 12.9716, "longitude": 77.5946}
IST = timezone(timedelta(hours=5, minutes=30))
CARD_FRAUD_TYPES = ("card_fraud", "account_takeover")
_CENTS = Decimal("0.01")


def merchant_id(name: str) -> str:
    """A merchant's name as an API identifier ([A-Za-z0-9_-], at most 64 characters)."""
    return re.sub(r"[^A-Za-z0-9_-]+", "_", name.strip()).strip("_")[:64] or "unknown"


def rows(records: Iterable[Mapping[str, Any]]) -> Iterator[Row | None]:
    """A Row per FinForge debit, None per dropped record (a credit, or an amount that rounds to 0.00)."""
    for record in records:
        amount = -Decimal(str(record["amount"])).quantize(_CENTS, ROUND_HALF_EVEN)
        if amount <= 0:
            yield None
            continue
        moment = datetime.fromisoformat(str(record["timestamp"])[:19])  # a pandas Timestamp or a datetime
        body = {
            "transaction_id": str(record["transaction_id"]),
            "customer_id": str(record["user_id"]),
            "amount": str(amount),
            "currency": "INR",
            "merchant_id": merchant_id(str(record["merchant"])),
            "merchant_category": str(record["category"]),
            "timestamp": moment.replace(tzinfo=IST).isoformat(),
            "location": dict(BENGALURU),
        }
        fraud = bool(record["is_fraud"])
        yield Row(body, fraud, str(record["fraud_type"]) if fraud else "")


def in_time_order(records: Iterable[Mapping[str, Any]]) -> tuple[list[Row], int]:
    """The kept rows in time order (then by id), and how many records were dropped."""
    mapped = list(rows(records))
    kept = [r for r in mapped if r is not None]
    kept.sort(key=lambda r: (r.body["timestamp"], r.body["transaction_id"]))
    return kept, len(mapped) - len(kept)


def generate(users: int, months: int, start: date, seed: int, fraud_rate: float, fraud_types: Sequence[str]) -> Any:
    """FinForge's DataFrame for a mixed population of `users` (needs `pip install -r requirements-external.txt`)."""
    from finforge import DatasetGenerator

    generator = DatasetGenerator(seed=seed).with_users(users).with_persona("mixed").for_months(months)
    generator = generator.starting(start.isoformat()).with_fraud(rate=fraud_rate, types=list(fraud_types))
    return generator.generate()


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m securebank.lab.finforge", description=__doc__.splitlines()[0])
    parser.add_argument("--output-dir", type=Path, required=True)
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--months", type=int, default=6)
    parser.add_argument("--start", type=date.fromisoformat, default=date(2025, 1, 1))
    parser.add_argument("--test-from", type=date.fromisoformat, default=date(2025, 4, 1))
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--fraud-rate", type=float, default=0.03, help="FinForge's rate (its README's example)")
    parser.add_argument("--fraud-types", nargs="+", default=list(CARD_FRAUD_TYPES))
    args = parser.parse_args(argv)
    frame = generate(args.users, args.months, args.start, args.seed, args.fraud_rate, args.fraud_types)
    kept, dropped = in_time_order(frame.to_dict("records"))
    counts = write_split(kept, args.output_dir, args.test_from)
    scenarios: dict[str, int] = {}
    for row in kept:
        scenarios[row.scenario or "legitimate"] = scenarios.get(row.scenario or "legitimate", 0) + 1
    print(json.dumps({"generated": len(frame), "dropped_credits_or_zero": dropped} | counts | {"scenarios": scenarios},
                     indent=2))  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
