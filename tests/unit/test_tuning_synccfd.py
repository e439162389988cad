"""The SynCCFD converter maps the generator's rows onto valid POST bodies and labels (needs pandas)."""

from __future__ import annotations

import json
from datetime import date

import pytest

from adapters.serialization import parse_transaction

pd = pytest.importorskip("pandas")


def _frame():
    return pd.DataFrame(
        {
            "TRANSACTION_ID": [1, 0, 2],
            "TX_DATETIME": pd.to_datetime(["2025-04-01 10:00:05", "2025-03-31 23:59:59", "2025-04-02 00:00:00"]),
            "CUSTOMER_ID": [7, 7, 8],
            "TERMINAL_ID": [11, 12, 13],
            "TX_AMOUNT": [1250.0, 12.5, 0.0],
            "TX_TYPE": ["CNP", "CP", "CP"],
            "TX_TERM_LAT": [-23.5, -22.9, -10.0],
            "TX_TERM_LONG": [-46.6, -43.2, -50.0],
            "TX_SHIPP_LAT": [-3.7, -22.9, -10.0],
            "TX_SHIPP_LONG": [-38.5, -43.2, -50.0],
            "TX_FRAUD": [1, 0, 0],
            "TX_FRAUD_SCENARIO": [3, 0, 0],
        }
    )


def test_rows_become_valid_post_bodies_in_time_order_and_zero_amounts_are_dropped():
    from securebank.lab.synccfd import bodies

    rows = list(bodies(_frame()))

    assert [(b["transaction_id"], fraud, scenario) for b, fraud, scenario in rows] == [
        ("tx0", False, 0),
        ("tx1", True, 3),
    ]
    present, remote = (parse_transaction(b) for b, _, _ in rows)
    assert (present.merchant_category, present.location.latitude) == ("card_present", -22.9)
    assert (remote.merchant_category, remote.location.latitude) == ("card_not_present", -3.7)  # shipping address
    assert str(remote.amount) == "1250.00" and remote.timestamp.isoformat() == "2025-04-01T10:00:05+00:00"


def test_the_split_gives_tuning_only_the_first_months(tmp_path):
    from securebank.lab.synccfd import write_split

    counts = write_split(_frame(), tmp_path, date(2025, 4, 1))

    assert (counts["dropped_zero_amount"], counts["train"], counts["test_frauds"]) == (1, 1, 1)
    read = lambda name: [json.loads(line) for line in (tmp_path / name).read_text().splitlines()]  # noqa: E731
    assert [b["transaction_id"] for b in read("all/transactions.jsonl")] == ["tx0", "tx1"]
    assert [b["transaction_id"] for b in read("train/transactions.jsonl")] == ["tx0"]
    assert read("train/labels.jsonl") == [{"transaction_id": "tx0", "is_fraud": False}]
    assert read("test/labels.jsonl") == [{"transaction_id": "tx1", "is_fraud": True}]
    assert read("all/labels.jsonl") == read("train/labels.jsonl") + read("test/labels.jsonl")  # for --feed-labels
