"""Flags out, at least once, whatever PutEvents does: a workload processed while PutEvents fails at random (the
failed batches redelivered whole, as the event source mapping does after a function error) publishes every flagged
transaction (duplicates allowed) and leaves the tables exactly as a run without faults."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from itertools import pairwise

from hypothesis import given, settings
from hypothesis import strategies as st

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
from domain.model import CustomerId, Location, Transaction, TransactionId, TransactionKey
from domain.parameters import LargeAmountRule
from domain.policy import FraudPolicy
from domain.ports import BatchRef, ScoredTransaction
from domain.process_batch import BatchPorts, process_batch
from domain.receipt import Received

T0 = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)
POLICY = FraudPolicy(version=2, large_amount=LargeAmountRule(weight=Decimal("0.9"), limit=Decimal("1000")))
MAX_REDELIVERIES = 50


class FlakyFlagEvents(RecordingFlagEvents):
    """Fails the calls whose number is in `failing` (counted from 0), recording only those that succeed."""

    def __init__(self, failing: set[int]) -> None:
        super().__init__()
        self.failing, self.attempts = failing, 0

    def publish(self, flags: Sequence[ScoredTransaction]) -> None:
        attempt, self.attempts = self.attempts, self.attempts + 1
        if attempt in self.failing:
            raise ConnectionError("PutEvents unavailable")
        super().publish(flags)


class Run:
    def __init__(self, events: RecordingFlagEvents) -> None:
        self.profiles = InMemoryProfileRepository()
        self.transactions = InMemoryTransactionRepository(self.profiles)
        self.events = events
        self.ports = BatchPorts(profiles=self.profiles, transactions=self.transactions, archive=InMemoryRawArchive(),
                                metrics=RecordingMetrics(), clock=FixedClock(T0 + timedelta(days=1)),
                                policy=StaticPolicySource(POLICY), merchants=StaticMerchantRiskSource(),
                                flags=events)  # fmt: skip

    def deliver(self, batches: Sequence[Sequence[Transaction]]) -> None:
        for n, batch in enumerate(batches):
            for _ in range(MAX_REDELIVERIES):  # redelivered whole until the invocation succeeds
                outcome = process_batch([Received(t, t.timestamp) for t in batch], self.ports,
                                        BatchRef("shard", str(n), str(n)))  # fmt: skip
                if outcome.published and outcome.archived and not outcome.failed:
                    break
            else:
                raise AssertionError("never published")


@st.composite
def workloads(draw: st.DrawFn) -> list[list[Transaction]]:
    rows = draw(st.lists(st.tuples(st.sampled_from("abc"), st.sampled_from(["25.00", "990.00", "1500.00"])),
                         min_size=1, max_size=30))  # fmt: skip
    txns = [Transaction(TransactionId(f"t{n}"), CustomerId(c), Decimal(a), "USD", "m1", "grocery",
                        T0 + timedelta(minutes=n), Location(40.7, -74.0)) for n, (c, a) in enumerate(rows)]  # fmt: skip
    cuts = sorted(draw(st.sets(st.integers(1, max(1, len(txns) - 1)), max_size=5)))
    bounds = [0, *cuts, len(txns)]
    batches = [txns[a:b] for a, b in pairwise(bounds) if txns[a:b]]
    repeat = draw(st.booleans())  # a client's retry of a whole batch, later: its flags may be published again
    return batches + batches[:1] if repeat else batches


@settings(max_examples=60, deadline=None)
@given(workloads(), st.sets(st.integers(0, 40), max_size=20))
def test_every_flag_is_published_at_least_once_and_the_tables_are_as_without_faults(batches, failing):
    clean, faulty = Run(RecordingFlagEvents()), Run(FlakyFlagEvents(failing))
    clean.deliver(batches)
    faulty.deliver(batches)

    flagged: set[TransactionKey] = {k for k, s in faulty.transactions.items.items() if s.decision.is_fraud}
    assert {s.transaction.key for s in faulty.events.published} == flagged
    assert {s.transaction.key for s in clean.events.published} == flagged
    assert all(s.decision.is_fraud for s in faulty.events.published)
    assert faulty.transactions.items == clean.transactions.items
    assert faulty.profiles.items == clean.profiles.items
