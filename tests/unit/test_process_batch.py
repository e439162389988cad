"""The use case against in-memory fakes: exactly-once effects and per-customer failure."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from adapters.memory import (
    FixedClock,
    InMemoryProfileRepository,
    InMemoryRawArchive,
    InMemoryTransactionRepository,
    RecordingMetrics,
)
from domain.model import CustomerId, Location, Transaction, TransactionId
from domain.policy import FraudPolicy
from domain.ports import BatchRef, CommitResult, CustomerUpdate
from domain.process_batch import BatchPorts, process_batch

T0 = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)
BATCH = BatchRef("shardId-000000000000", "100", "199")


def txn(n: int, customer: str = "alice", minutes: int = 0) -> Transaction:
    return Transaction(TransactionId(f"t{n}"), CustomerId(customer), Decimal("25.00"), "USD", "m1", "grocery",
                       T0 + timedelta(minutes=minutes or n), Location(40.7, -74.0))  # fmt: skip


class Fixture:
    def __init__(self) -> None:
        self.profiles = InMemoryProfileRepository()
        self.transactions = InMemoryTransactionRepository(self.profiles)
        self.archive = InMemoryRawArchive()
        self.metrics = RecordingMetrics()
        self.ports = BatchPorts(self.profiles, self.transactions, self.archive, self.metrics, FixedClock())

    def process(self, batch: Sequence[Transaction]):
        return process_batch(batch, FraudPolicy.default(), self.ports, BATCH)


class ThrottledFor:
    """A transaction repository whose writes fail for some customers, as DynamoDB throttling would."""

    def __init__(self, inner: InMemoryTransactionRepository, customers: set[str]) -> None:
        self.inner, self.customers = inner, customers

    def get(self, transaction_id):
        return self.inner.get(transaction_id)

    def commit(self, updates: Sequence[CustomerUpdate]) -> CommitResult:
        blocked = [u for u in updates if u.profile.customer_id in self.customers]
        result = self.inner.commit([u for u in updates if u not in blocked])
        failed = {u.profile.customer_id: "throttled" for u in blocked}
        return CommitResult(result.duplicates, {**result.failed, **failed})


def test_a_batch_is_scored_stored_archived_and_counted():
    f = Fixture()
    outcome = f.process([txn(1), txn(2, "bob"), txn(3)])
    assert [s.transaction.transaction_id for s in outcome.scored] == ["t1", "t2", "t3"]
    assert f.profiles.items[CustomerId("alice")].total_transactions == 2
    assert f.archive.batches[BATCH] == (txn(1), txn(2, "bob"), txn(3))
    assert (f.metrics.processed, f.metrics.duplicates, f.metrics.failed) == (3, 0, 0)


def test_a_redelivered_batch_changes_nothing_and_decides_nothing():
    f = Fixture()
    f.process([txn(1), txn(2, "bob")])
    profiles, stored = dict(f.profiles.items), dict(f.transactions.items)
    again = f.process([txn(1), txn(2, "bob"), txn(3)])
    assert [s.transaction.transaction_id for s in again.scored] == ["t3"]
    assert again.duplicates == {"t1", "t2"}
    assert f.profiles.items[CustomerId("bob")] == profiles[CustomerId("bob")]
    assert {k: v for k, v in f.transactions.items.items() if k != "t3"} == stored


def test_a_transaction_repeated_inside_one_batch_counts_once():
    f = Fixture()
    outcome = f.process([txn(1), txn(1), txn(2)])
    assert [s.transaction.transaction_id for s in outcome.scored] == ["t1", "t2"]
    assert f.profiles.items[CustomerId("alice")].total_transactions == 2


def test_a_duplicate_older_than_the_profile_remembers_is_caught_by_the_repository():
    f = Fixture()
    f.process([txn(i, minutes=i) for i in range(70)])  # more than the profile's recent-id memory
    outcome = f.process([txn(0), txn(100, minutes=100)])
    assert [s.transaction.transaction_id for s in outcome.scored] == ["t100"]
    assert "t0" in outcome.duplicates
    assert f.profiles.items[CustomerId("alice")].total_transactions == 71


def test_a_failed_customer_is_not_applied_and_others_are():
    f = Fixture()
    f.ports = BatchPorts(f.profiles, ThrottledFor(f.transactions, {"bob"}), f.archive, f.metrics, FixedClock())
    outcome = f.process([txn(1), txn(2, "bob"), txn(3, "bob"), txn(4)])
    assert dict(outcome.failed) == {"t2": "throttled", "t3": "throttled"}
    assert [s.transaction.transaction_id for s in outcome.scored] == ["t1", "t4"]
    assert CustomerId("bob") not in f.profiles.items
    assert f.metrics.failed == 2


def test_after_a_failure_a_redelivery_converges_to_a_single_delivery():
    once = Fixture()
    once.process([txn(1), txn(2, "bob"), txn(3, "bob"), txn(4)])
    f = Fixture()
    f.ports = BatchPorts(f.profiles, ThrottledFor(f.transactions, {"bob"}), f.archive, f.metrics, FixedClock())
    f.process([txn(1), txn(2, "bob"), txn(3, "bob"), txn(4)])
    f.ports = BatchPorts(f.profiles, f.transactions, f.archive, f.metrics, FixedClock())
    f.process([txn(2, "bob"), txn(3, "bob"), txn(4)])  # Kinesis redelivers from the lowest failed record
    assert f.profiles.items == once.profiles.items
    assert f.transactions.items.keys() == once.transactions.items.keys()


def test_an_empty_batch_touches_nothing():
    f = Fixture()
    assert f.process([]).scored == ()
    assert f.archive.batches == {}


def test_a_repeat_after_the_profile_forgot_the_id_within_one_batch_counts_once():
    day_later = Transaction(TransactionId("t9"), CustomerId("alice"), Decimal("5.00"), "USD", "m1", "grocery",
                            T0 + timedelta(days=1, minutes=5), Location(40.7, -74.0))  # fmt: skip
    f = Fixture()
    outcome = f.process([txn(1), day_later, txn(1)])  # t1 leaves the 24 h recent window when t9 arrives
    assert [s.transaction.transaction_id for s in outcome.scored] == ["t1", "t9"]
    assert f.profiles.items[CustomerId("alice")].total_transactions == 2
