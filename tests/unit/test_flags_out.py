"""Flags out and shadow scoring in the use case, against in-memory fakes: exactly the flagged transactions are
published, at least once (a publish failure fails them and their redelivery publishes them, never committing twice),
and a shadow policy's decision is stored and counted without changing anything."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from adapters.memory import (
    FixedClock,
    InMemoryProfileRepository,
    InMemoryRawArchive,
    InMemoryTransactionRepository,
    RecordingFlagEvents,
    RecordingMetrics,
    StaticMerchantRiskSource,
    StaticPolicySource,
)
from domain.model import CustomerId, Location, Transaction, TransactionId
from domain.parameters import LargeAmountRule
from domain.policy import FraudPolicy
from domain.ports import BatchRef, ScoredTransaction, ShadowDecision
from domain.process_batch import BatchOutcome, BatchPorts, process_batch
from domain.receipt import Received

T0 = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)
BATCH = BatchRef("shardId-000000000000", "100", "199")
ACTIVE = FraudPolicy(version=2, large_amount=LargeAmountRule(weight=Decimal("0.9"), limit=Decimal("1000")))
"""Flags every payment above 1000 USD (0.9 > 0.8), and nothing else in these workloads."""
SHADOW = FraudPolicy(version=3, large_amount=LargeAmountRule(weight=Decimal("0.9"), limit=Decimal("500")))
"""Flags every payment above 500 USD."""


def txn(n: int, amount: str = "25.00", customer: str = "alice") -> Transaction:
    return Transaction(TransactionId(f"t{n}"), CustomerId(customer), Decimal(amount), "USD", "m1", "grocery",
                       T0 + timedelta(minutes=n), Location(40.7, -74.0))  # fmt: skip


class FailingFlagEvents:
    def publish(self, flags: Sequence[ScoredTransaction]) -> None:
        raise ConnectionError("bus unreachable")


class Fixture:
    def __init__(self, shadow: FraudPolicy | None = None) -> None:
        self.profiles = InMemoryProfileRepository()
        self.transactions = InMemoryTransactionRepository(self.profiles)
        self.archive = InMemoryRawArchive()
        self.metrics = RecordingMetrics()
        self.events = RecordingFlagEvents()
        self.policy = StaticPolicySource(ACTIVE, shadow)

    def process(self, batch: Sequence[Transaction], events: object = None) -> BatchOutcome:
        ports = BatchPorts(profiles=self.profiles, transactions=self.transactions, archive=self.archive,
                           metrics=self.metrics, clock=FixedClock(), policy=self.policy,
                           merchants=StaticMerchantRiskSource(), flags=events or self.events)  # fmt: skip
        return process_batch([Received(t, t.timestamp) for t in batch], ports, BATCH)


def published_ids(events: RecordingFlagEvents) -> list[str]:
    return [flag.transaction.transaction_id for flag in events.published]


def test_exactly_the_flagged_transactions_are_published_once_with_their_decisions():
    f = Fixture()
    outcome = f.process([txn(1), txn(2, "1500.00"), txn(3, "20.00", "bob"), txn(4, "2500.00", "bob")])
    assert outcome.flagged == 2
    assert published_ids(f.events) == ["t2", "t4"]
    assert len(f.events.calls) == 1  # one call per batch; the adapter splits it by PutEvents' limit
    assert all(flag.decision.is_fraud for flag in f.events.published)


def test_a_batch_without_flags_publishes_nothing():
    f = Fixture()
    f.process([txn(1), txn(2, "900.00")])
    assert f.events.calls == []


def test_a_publish_failure_fails_the_flagged_records_and_their_redelivery_publishes_them_without_a_second_commit():
    f = Fixture()
    batch = [txn(1), txn(2, "1500.00"), txn(3, "2500.00", "bob")]
    first = f.process(batch, events=FailingFlagEvents())
    assert not first.published
    assert first.failed == {1: "flag events: ConnectionError", 2: "flag events: ConnectionError"}
    assert len(first.scored) == len(batch)  # committed: they stay in `scored`
    stored = dict(f.transactions.items)
    versions = {c: p.version for c, p in f.profiles.items.items()}

    again = f.process(batch)
    assert again.published
    assert again.scored == ()
    assert again.duplicates == frozenset({0, 1, 2})
    assert published_ids(f.events) == ["t2", "t3"]
    assert dict(f.transactions.items) == stored  # found stored: never committed twice
    assert {c: p.version for c, p in f.profiles.items.items()} == versions


def test_nothing_is_published_while_the_archive_fails_and_the_redelivery_publishes_it():
    class FailingArchive:
        def store(self, batch: BatchRef, transactions: Sequence[Transaction]) -> None:
            raise ConnectionError("s3 down")

    f = Fixture()
    f.archive = FailingArchive()  # type: ignore[assignment]
    outcome = f.process([txn(1, "1500.00")])
    assert not outcome.archived
    assert f.events.calls == []
    f.archive = InMemoryRawArchive()
    f.process([txn(1, "1500.00")])
    assert published_ids(f.events) == ["t1"]


def test_a_flag_repeated_inside_one_batch_is_published_once():
    f = Fixture()
    f.process([txn(1, "1500.00"), txn(1, "1500.00")])
    assert published_ids(f.events) == ["t1"]


def test_the_shadow_decision_is_stored_beside_the_active_one_and_changes_nothing():
    plain, shadowed = Fixture(), Fixture(SHADOW)
    batch = [txn(1), txn(2, "700.00"), txn(3, "1500.00"), txn(4, "800.00", "bob")]
    plain.process(batch)
    outcome = shadowed.process(batch)
    assert [s.shadow for s in outcome.scored] == [
        ShadowDecision(Decimal("0"), False, 3),
        ShadowDecision(Decimal("0.9"), True, 3),
        ShadowDecision(Decimal("0.9"), True, 3),
        ShadowDecision(Decimal("0.9"), True, 3),
    ]
    assert [s.decision for s in outcome.scored] == [s.decision for s in plain.transactions.items.values()]
    assert shadowed.profiles.items == plain.profiles.items
    assert published_ids(shadowed.events) == published_ids(plain.events) == ["t3"]
    m = shadowed.metrics
    assert (m.shadow_scored, m.shadow_agreed, m.shadow_flagged) == (4, 2, 3)


def test_without_a_shadow_policy_nothing_is_shadowed_or_counted():
    f = Fixture()
    outcome = f.process([txn(1, "700.00")])
    assert outcome.scored[0].shadow is None
    assert f.metrics.shadow_scored == 0


@pytest.mark.parametrize("size", [0, 1, 3])
def test_the_default_ports_publish_nowhere(size: int):
    f = Fixture()
    ports = BatchPorts(profiles=f.profiles, transactions=f.transactions, archive=f.archive, metrics=f.metrics,
                       clock=FixedClock(), policy=f.policy, merchants=StaticMerchantRiskSource())  # fmt: skip
    outcome = process_batch([Received(t, t.timestamp) for t in [txn(n, "1500.00") for n in range(size)]], ports, BATCH)
    assert outcome.published
    assert outcome.flagged == size
