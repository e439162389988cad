"""The FinForge converter maps the generator's debits onto valid POST bodies and labels, in time order."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from adapters.serialization import parse_transaction
from securebank.lab.finforge import in_time_order, merchant_id


def _record(tid, when, amount, merchant="City Grocer", category="groceries", fraud="none"):
    return {"transaction_id": tid, "user_id": "user_000007", "timestamp": datetime.fromisoformat(when),
            "merchant": merchant, "category": category, "amount": amount, "is_fraud": fraud != "none",
            "fraud_type": fraud}  # fmt: skip


def test_debits_become_valid_post_bodies_in_time_order_and_credits_are_dropped():
    records = [
        _record("txn_000002", "2025-01-03 23:10:00", -1234.5, "Luxury Electronics", "shopping", "card_fraud"),
        _record("txn_000001", "2025-01-02 09:00:00", -42.0),
        _record("txn_000003", "2025-01-01 08:00:00", 5000.0, "Acme Payroll", "income"),  # a credit
        _record("txn_000004", "2025-01-04 10:00:00", -0.004),  # rounds to 0.00
    ]

    kept, dropped = in_time_order(records)

    assert dropped == 2
    assert [(r.body["transaction_id"], r.is_fraud, r.scenario) for r in kept] == [
        ("txn_000001", False, ""),
        ("txn_000002", True, "card_fraud"),
    ]
    fraud = parse_transaction(kept[1].body)
    assert (str(fraud.amount), fraud.currency, fraud.merchant_id) == ("1234.50", "INR", "Luxury_Electronics")
    assert kept[1].body["timestamp"] == "2025-01-03T23:10:00+05:30"  # Bengaluru wall-clock time, kept as such
    assert fraud.timestamp == datetime(2025, 1, 3, 17, 40, tzinfo=UTC)


def test_merchant_names_become_identifiers():
    assert merchant_id("Joe's Café & Bar") == "Joe_s_Caf_Bar"
    assert merchant_id("  ") == "unknown"
    assert len(merchant_id("x" * 100)) == 64  # the API's identifier limit


def test_a_small_generated_history_is_deterministic_and_every_line_parses(tmp_path):
    pytest.importorskip("finforge")
    from datetime import date

    from securebank.lab.finforge import generate

    frames = [generate(8, 2, date(2025, 1, 1), 3, 0.05, ("card_fraud", "account_takeover")) for _ in range(2)]
    first, _ = in_time_order(frames[0].to_dict("records"))
    second, _ = in_time_order(frames[1].to_dict("records"))

    assert first == second and any(r.is_fraud for r in first)
    assert all(parse_transaction(r.body) for r in first)
