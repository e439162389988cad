"""The label rule (domain/labels.py): which label a transaction has when ids repeat across customers."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from domain.labels import Label, Labels
from securebank.lab.backtest import read_labels


def lines(*rows: dict) -> list[tuple[int, str]]:
    return [(n, json.dumps(row)) for n, row in enumerate(rows, 1)]


def test_a_label_naming_a_customer_applies_to_that_customers_transaction_only():
    labels, rejected = read_labels(lines({"transaction_id": "card-1", "customer_id": "ann", "is_fraud": True}))
    assert not rejected
    assert labels.get(("ann", "card-1")) is True
    assert labels.get(("bob", "card-1")) is None
    assert ("bob", "card-1") not in labels


def test_a_label_naming_no_customer_applies_to_every_customers_transaction_with_that_id():
    labels, _ = read_labels(lines({"transaction_id": "card-1", "is_fraud": True}))
    assert labels.get(("ann", "card-1")) is labels.get(("bob", "card-1")) is True


def test_a_newer_named_verdict_overrides_an_older_unnamed_one_for_that_customer_only():
    labels, _ = read_labels(
        lines(
            {"transaction_id": "card-1", "is_fraud": True, "labelled_at": "2025-01-01T00:00:00Z"},
            {
                "transaction_id": "card-1",
                "customer_id": "ann",
                "is_fraud": False,
                "labelled_at": "2025-01-02T00:00:00Z",
            },
        )
    )
    assert labels.get(("ann", "card-1")) is False
    assert labels.get(("bob", "card-1")) is True
    assert labels.label(("bob", "card-1")) == Label(True, datetime(2025, 1, 1, tzinfo=UTC))
    assert (len(labels), labels.frauds) == (2, 1)


def test_a_label_with_a_malformed_customer_id_is_rejected_naming_it():
    labels, rejected = read_labels(lines({"transaction_id": "t", "customer_id": "no spaces", "is_fraud": True}))
    assert [(r.line, r.field) for r in rejected] == [(1, "customer_id")]
    assert len(labels) == 0


def test_feeds_read_as_one_keep_the_winner_of_each_transaction():
    first = Labels.frauds_by_id({"t1": datetime(2025, 1, 1, tzinfo=UTC)})
    second = Labels.by_id({"t1": False, "t2": False})
    first.update(second)
    assert first.get(("ann", "t1")) is True  # a dated label beats an undated one
    assert first.get(("ann", "t2")) is False
