"""The weekly job's replay without a Spark session: a partition's customers, signed by one shared Signer, get the
plain `signature` of every example, merchant options included."""

from __future__ import annotations

from datetime import UTC, timedelta
from decimal import Decimal
from itertools import groupby

from adapters.serialization import dumps, transaction_to_body
from domain.labels import Labels
from domain.model import Transaction
from domain.policy import FraudPolicy
from domain.tuning import candidate_grid, signature
from securebank.lab.backtest import merchant_feed
from tests.jobs.lakes import START, compromised_merchant_history

CUTOFF = START + timedelta(days=10)


def _customers(transactions: list[Transaction], labels: dict) -> list[tuple[str, list[tuple]]]:
    """(customer_id, its (at, transaction_id, line, is_fraud) rows) in customer order, as `groupByKey` hands them;
    every third transaction unlabelled."""
    rows = sorted(
        (t.customer_id, t.timestamp.astimezone(UTC), t.transaction_id, dumps(transaction_to_body(t)),
         None if n % 3 == 0 else labels[t.transaction_id])
        for n, t in enumerate(transactions)
    )  # fmt: skip
    return [(customer, [row[1:] for row in group]) for customer, group in groupby(rows, key=lambda row: row[0])]


def test_a_partition_signed_by_one_signer_gets_every_customers_plain_signatures():
    from jobs.fraud_replay import replay_customer, replay_partition

    transactions, labels, _ = compromised_merchant_history(customers=8, days=14)
    merchants = merchant_feed(transactions, Labels.by_id(labels), timedelta(days=2))
    grid = candidate_grid(FraudPolicy.default(), (Decimal(20), Decimal(60)))
    customers = _customers(transactions, labels)

    shared = list(replay_partition(customers, grid, CUTOFF, merchants, step=2))

    def plain(example):
        return signature(grid, example)

    expected = [out for _, rows in customers for out in replay_customer(rows, plain, CUTOFF, merchants, step=2)]
    assert shared == expected
    tallied = [key for is_row, key, _ in shared if not is_row]
    assert len(tallied) == sum(1 for n in range(len(transactions)) if n % 3)  # each labelled transaction once
    assert len({bits for _, _, bits in tallied}) > 1 and any(holdout for holdout, _, _ in tallied)
    assert any(is_row for is_row, _, _ in shared)  # sampled feature rows carry the signature too
