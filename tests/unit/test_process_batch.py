"""The use case against in-memory fakes: exactly once by identity, per-record isolation, per-customer failure."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import attrs

from adapters.memory import (
    FixedClock,
    InMemoryProfileRepository,
    InMemoryRawArchive,
    InMemoryTransactionRepository,
    RecordingMetrics,
    StaticMerchantRiskSource,
    StaticPolicySource,
)
from domain.merchant_risk import MerchantRisk
from domain.model import CustomerId, Location, Transaction, TransactionId, TransactionKey
from domain.policy import FraudPolicy, MerchantRiskRule
from domain.ports import BatchRef, CommitResult, CustomerUpdate
from domain.process_batch import CONFLICTING_RESUBMISSION, BatchOutcome, BatchPorts, process_batch
from domain.receipt import Received

T0 = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)
BATCH = BatchRef("shardId-000000000000", "100", "199")


def txn(n: int, customer: str = "alice", minutes: int = 0, amount: str = "25.00") -> Transaction:
    return Transaction(TransactionId(f"t{n}"), CustomerId(customer), Decimal(amount), "USD", "m1", "grocery",
                       T0 + timedelta(minutes=minutes or n), Location(40.7, -74.0))  # fmt: skip


class Fixture:
    def __init__(self) -> None:
        self.profiles = InMemoryProfileRepository()
        self.transactions = InMemoryTransactionRepository(self.profiles)
        self.archive = InMemoryRawArchive()
        self.metrics = RecordingMetrics()
        self.ports = self.with_ports()

    def with_ports(self, transactions=None, archive=None) -> BatchPorts:
        return BatchPorts(profiles=self.profiles, transactions=transactions or self.transactions,
                          archive=archive or self.archive, metrics=self.metrics, clock=FixedClock(),
                          policy=StaticPolicySource(), merchants=StaticMerchantRiskSource())  # fmt: skip

    def process(
        self,
        batch: Sequence[Transaction],
        at: datetime | None = None,
        policy: FraudPolicy | None = None,
        merchants: MerchantRisk | None = None,
    ) -> BatchOutcome:
        received = [Received(t, at or t.timestamp) for t in batch]
        ports = attrs.evolve(self.ports, policy=StaticPolicySource(policy),
                             merchants=StaticMerchantRiskSource(merchants or MerchantRisk()))  # fmt: skip
        return process_batch(received, ports, BATCH)

    def stored_ids(self) -> set[TransactionKey]:
        return set(self.transactions.items)


class ThrottledFor:
    """A transaction repository whose writes fail for some customers, as DynamoDB throttling would."""

    def __init__(self, inner: InMemoryTransactionRepository, customers: set[str]) -> None:
        self.inner, self.customers = inner, customers
        self.max_transactions_per_update = inner.max_transactions_per_update

    def get_many(self, keys: Collection[TransactionKey]):
        return self.inner.get_many(keys)

    def find(self, transaction_id: TransactionId, limit: int = 2):
        return self.inner.find(transaction_id, limit)

    def commit(self, updates: Sequence[CustomerUpdate]) -> CommitResult:
        blocked = [u for u in updates if u.profile.customer_id in self.customers]
        result = self.inner.commit([u for u in updates if u not in blocked])
        failed = {u.profile.customer_id: "throttled" for u in blocked}
        return CommitResult(result.duplicates, {**result.failed, **failed})


class FailingArchive:
    def store(self, batch, transactions) -> None:
        raise ConnectionError("S3 is throttling")


def ids(outcome: BatchOutcome) -> list[str]:
    return [s.transaction.transaction_id for s in outcome.scored]


def test_a_batch_is_scored_stored_archived_and_counted():
    f = Fixture()
    outcome = f.process([txn(1), txn(2, "bob"), txn(3)])
    assert ids(outcome) == ["t1", "t2", "t3"]
    assert f.profiles.items[CustomerId("alice")].total_transactions == 2
    assert f.archive.batches[BATCH] == (txn(1), txn(2, "bob"), txn(3))
    assert (f.metrics.processed, f.metrics.duplicates, f.metrics.failed) == (3, 0, 0)


def test_a_redelivered_batch_changes_nothing_and_decides_nothing_but_is_archived_again():
    f = Fixture()
    f.process([txn(1), txn(2, "bob")])
    profiles, stored = dict(f.profiles.items), dict(f.transactions.items)
    again = f.process([txn(1), txn(2, "bob"), txn(3)])
    assert ids(again) == ["t3"]
    assert again.duplicates == {0, 1}
    assert f.profiles.items[CustomerId("bob")] == profiles[CustomerId("bob")]
    assert {k: v for k, v in f.transactions.items.items() if k[1] != "t3"} == stored
    assert f.archive.batches[BATCH] == (txn(1), txn(2, "bob"), txn(3))  # at least once: what is stored


def test_a_transaction_repeated_inside_one_batch_counts_once():
    f = Fixture()
    outcome = f.process([txn(1), txn(1), txn(2)])
    assert ids(outcome) == ["t1", "t2"]
    assert outcome.duplicates == {1}
    assert f.profiles.items[CustomerId("alice")].total_transactions == 2


def test_a_duplicate_older_than_the_profile_remembers_is_caught_by_the_repository():
    f = Fixture()
    f.process([txn(i, minutes=i) for i in range(70)])  # more than the profile's recent-id memory
    outcome = f.process([txn(0), txn(100, minutes=100)])
    assert ids(outcome) == ["t100"]
    assert outcome.duplicates == {0}
    assert f.profiles.items[CustomerId("alice")].total_transactions == 71


def test_the_same_id_under_two_customers_is_two_transactions():
    f = Fixture()
    outcome = f.process([txn(1, "alice"), txn(1, "bob")])
    assert ids(outcome) == ["t1", "t1"]
    assert f.stored_ids() == {("alice", "t1"), ("bob", "t1")}


def test_a_redelivery_of_one_customers_id_never_skips_another_customers_transaction_with_that_id():
    """Regression: one set of skipped ids was shared across customers; bob's t1 got a 201 and was never stored
    (and, bob being new with this as his only record, the batch failed an assertion)."""
    f = Fixture()
    f.process([txn(1, "alice")])
    outcome = f.process([txn(1, "alice"), txn(1, "bob")])
    assert outcome.duplicates == {0}
    assert ids(outcome) == ["t1"] and outcome.scored[0].transaction.customer_id == "bob"
    assert ("bob", "t1") in f.stored_ids()
    assert f.profiles.items[CustomerId("bob")].total_transactions == 1


def test_a_resubmission_with_other_content_is_a_visible_conflict_never_stored_nor_archived():
    f = Fixture()
    f.process([txn(1)])
    outcome = f.process([txn(1, amount="999.00"), txn(2)])
    assert outcome.rejected[0].startswith(CONFLICTING_RESUBMISSION)
    assert ids(outcome) == ["t2"]
    assert f.transactions.items[("alice", "t1")].transaction.amount == Decimal("25.00")
    assert f.archive.batches[BATCH] == (txn(2),)
    assert f.metrics.conflicts == 1


def test_a_conflict_inside_one_batch_keeps_the_first():
    f = Fixture()
    outcome = f.process([txn(1), txn(1, amount="26.00")])
    assert ids(outcome) == ["t1"]
    assert outcome.rejected[1].startswith(CONFLICTING_RESUBMISSION)


def test_a_conflict_older_than_the_profile_remembers_is_caught_by_the_repository():
    f = Fixture()
    f.process([txn(i, minutes=i) for i in range(70)])
    outcome = f.process([txn(0, amount="1.00", minutes=200), txn(100, minutes=100)])
    assert outcome.rejected[0].startswith(CONFLICTING_RESUBMISSION)
    assert ids(outcome) == ["t100"]


def test_a_timestamp_out_of_bounds_around_its_receipt_is_rejected_naming_the_field():
    f = Fixture()
    late, early = txn(1, minutes=1), txn(2, minutes=2)
    outcome = f.process([late], at=T0 + timedelta(days=31))
    assert outcome.rejected[0].startswith("timestamp: must be at most 30 days before")
    outcome = f.process([early], at=T0 - timedelta(days=2))
    assert outcome.rejected[0].startswith("timestamp: must be at most 1 day after")
    assert f.transactions.items == {}


def test_one_payment_dated_ahead_does_not_blind_the_velocity_rule():
    """Regression: the profile's 24 h memory was anchored at the newest client timestamp, so after one payment dated
    2099 (which a replay of history receives at its own time) the velocity rule could never fire again."""
    f = Fixture()
    f.process([attrs.evolve(txn(0), timestamp=datetime(2099, 1, 1, tzinfo=UTC))])
    burst = f.process([txn(i, minutes=i) for i in range(1, 7)])
    assert "velocity_check" in burst.scored[-1].decision.triggered_rules
    within_bounds = Fixture()
    within_bounds.process([attrs.evolve(txn(0), timestamp=T0 + timedelta(hours=23))], at=T0)
    burst = within_bounds.process([txn(i, minutes=i) for i in range(1, 7)], at=T0 + timedelta(minutes=10))
    assert "velocity_check" in burst.scored[-1].decision.triggered_rules


def test_a_domain_error_on_one_record_quarantines_it_and_the_batch_goes_on():
    class Exploding(MerchantRisk):
        def counts(self, merchant_id, day, window_days, lag_days):
            if merchant_id == "boom":
                raise OverflowError("date value out of range")
            return super().counts(merchant_id, day, window_days, lag_days)

    policy = attrs.evolve(FraudPolicy.default(), merchant_risk=MerchantRiskRule(Decimal("0.1"), 7, 7, 2, Decimal(1)))
    f = Fixture()
    bad = attrs.evolve(txn(2, "bob"), merchant_id="boom")
    outcome = f.process([txn(1), bad, txn(3, "bob")], policy=policy, merchants=Exploding({"m1": {}}))
    assert outcome.rejected == {1: "processing: OverflowError: date value out of range"}
    assert ids(outcome) == ["t1", "t3"]


def test_a_failed_customer_is_not_applied_and_others_are():
    f = Fixture()
    f.ports = f.with_ports(transactions=ThrottledFor(f.transactions, {"bob"}))
    outcome = f.process([txn(1), txn(2, "bob"), txn(3, "bob"), txn(4)])
    assert dict(outcome.failed) == {1: "throttled", 2: "throttled"}
    assert ids(outcome) == ["t1", "t4"]
    assert CustomerId("bob") not in f.profiles.items
    assert f.metrics.failed == 2


def test_after_a_failure_a_redelivery_converges_to_a_single_delivery():
    once = Fixture()
    once.process([txn(1), txn(2, "bob"), txn(3, "bob"), txn(4)])
    f = Fixture()
    f.ports = f.with_ports(transactions=ThrottledFor(f.transactions, {"bob"}))
    f.process([txn(1), txn(2, "bob"), txn(3, "bob"), txn(4)])
    f.ports = f.with_ports()
    f.process([txn(2, "bob"), txn(3, "bob"), txn(4)])  # Kinesis redelivers from the lowest failed record
    assert f.profiles.items == once.profiles.items
    assert f.transactions.items.keys() == once.transactions.items.keys()


def test_an_archive_outage_after_the_commit_fails_the_records_and_their_redelivery_archives_them():
    """Regression: the raw-lake put ran before the DynamoDB commit, so an S3 outage stored nothing."""
    f = Fixture()
    f.ports = f.with_ports(archive=FailingArchive())
    outcome = f.process([txn(1), txn(2, "bob")])
    assert f.stored_ids() == {("alice", "t1"), ("bob", "t2")}  # the system of record is written first
    assert set(outcome.failed) == {0, 1}
    assert outcome.failed[0] == "archive: ConnectionError"
    f.ports = f.with_ports()
    again = f.process([txn(1), txn(2, "bob")])
    assert again.duplicates == {0, 1} and not again.failed
    assert f.archive.batches[BATCH] == (txn(1), txn(2, "bob"))
    assert f.profiles.items[CustomerId("alice")].total_transactions == 1


def test_an_empty_batch_touches_nothing():
    f = Fixture()
    assert f.process([]).scored == ()
    assert f.archive.batches == {}


def test_a_repeat_after_the_profile_forgot_the_id_within_one_batch_counts_once():
    day_later = Transaction(TransactionId("t9"), CustomerId("alice"), Decimal("5.00"), "USD", "m1", "grocery",
                            T0 + timedelta(days=1, minutes=5), Location(40.7, -74.0))  # fmt: skip
    f = Fixture()
    outcome = f.process([txn(1), day_later, txn(1)])  # t1 leaves the 24 h recent window when t9 arrives
    assert ids(outcome) == ["t1", "t9"]
    assert f.profiles.items[CustomerId("alice")].total_transactions == 2


def test_a_retried_round_decides_each_record_once_from_what_is_known_stored():
    """A record refused in the first round (the domain raised on it) but found stored in the retry is a duplicate,
    and only that: each position ends in exactly one outcome."""

    class ExplodingOn(MerchantRisk):
        def counts(self, merchant_id, day, window_days, lag_days):
            if merchant_id == "boom":
                raise OverflowError("date value out of range")
            return super().counts(merchant_id, day, window_days, lag_days)

    policy = attrs.evolve(FraudPolicy.default(), merchant_risk=MerchantRiskRule(Decimal("0.1"), 7, 7, 2, Decimal(1)))
    f = Fixture()
    old = [attrs.evolve(txn(i, minutes=i), merchant_id="boom" if i == 0 else "m1") for i in range(70)]
    f.process(old)  # stored while the feed was fine; t0 and t1 have left the profile's memory since
    outcome = f.process([old[0], old[1], txn(100, minutes=100)], policy=policy, merchants=ExplodingOn({"m1": {}}))
    assert outcome.rejected == {}
    assert outcome.duplicates == {0, 1}
    assert ids(outcome) == ["t100"]


def test_one_customers_records_beyond_one_atomic_write_wait_for_the_redelivery_in_order():
    f = Fixture()
    f.transactions.max_transactions_per_update = 3
    outcome = f.process([txn(1), txn(2), txn(3, "bob"), txn(4), txn(5), txn(6)])
    assert ids(outcome) == ["t1", "t2", "t3", "t4"]
    assert set(outcome.failed) == {4, 5}
    assert outcome.failed[4] == "deferred: at most 3 transactions of one customer per batch"


def test_the_merchant_feed_is_read_only_while_the_policy_uses_the_merchant_rule_and_its_age_is_reported():
    from datetime import date

    class Counting(StaticMerchantRiskSource):
        reads = 0

        def current(self):
            Counting.reads += 1
            return super().current()

    f = Fixture()
    f.ports = attrs.evolve(f.ports, merchants=Counting(MerchantRisk(), published_on=date(2023, 12, 29)))
    received = [Received(txn(1), txn(1).timestamp)]
    process_batch(received, f.ports, BATCH)
    assert (Counting.reads, f.metrics.merchant_risk_ages) == (0, [])
    on = attrs.evolve(FraudPolicy.default(), merchant_risk=MerchantRiskRule(Decimal("0.1"), 7, 7, 2, Decimal(1)))
    process_batch(received, attrs.evolve(f.ports, policy=StaticPolicySource(on)), BATCH)
    assert (Counting.reads, f.metrics.merchant_risk_ages) == (1, [3])  # FixedClock: 2024-01-01
