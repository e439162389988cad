"""Working in-memory implementations of every port. Held to the same contract tests as the AWS adapters."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import UTC, date, datetime

from adapters.stored_decisions import as_stored
from domain.merchant_risk import NO_MERCHANT_RISK, MerchantRisk
from domain.model import CustomerId, Transaction, TransactionId, TransactionKey
from domain.policy import FraudPolicy
from domain.ports import BatchRef, CommitResult, CustomerUpdate, ScoredTransaction
from domain.profile import CustomerProfile


class InMemoryProfileRepository:
    def __init__(self) -> None:
        self.items: dict[CustomerId, CustomerProfile] = {}

    def get_many(self, customer_ids: Collection[CustomerId]) -> Mapping[CustomerId, CustomerProfile]:
        items = self.items
        return {c: items[c] for c in customer_ids if c in items}


class InMemoryTransactionRepository:
    """Commits atomically per customer update, with the same conditions as the DynamoDB adapter."""

    def __init__(self, profiles: InMemoryProfileRepository, max_transactions_per_update: int = 1_000_000) -> None:
        self.profiles = profiles
        self.max_transactions_per_update = max_transactions_per_update
        self.items: dict[TransactionKey, ScoredTransaction] = {}

    def get_many(self, keys: Collection[TransactionKey]) -> Mapping[TransactionKey, ScoredTransaction]:
        """What an item keeps of each decision (adapters/stored_decisions.py), like the DynamoDB adapter; `items`
        holds them whole (projected when read: off a replay's hot path)."""
        items = self.items
        return {k: as_stored(items[k]) for k in keys if k in items}

    def find(self, transaction_id: TransactionId, limit: int = 2) -> Sequence[ScoredTransaction]:
        """By customer, like the DynamoDB index's order (undefined there; sorted here so tests are stable)."""
        found = sorted((k, s) for k, s in self.items.items() if k[1] == transaction_id)
        return [as_stored(s) for _, s in found[:limit]]

    def commit(self, updates: Sequence[CustomerUpdate]) -> CommitResult:
        duplicates: dict[CustomerId, frozenset[TransactionId]] = {}
        failed: dict[CustomerId, str] = {}
        for update in updates:
            customer = update.profile.customer_id
            stored = self.profiles.items.get(customer)
            seen = frozenset(s.transaction.transaction_id for s in update.transactions
                             if s.transaction.key in self.items)  # fmt: skip
            if seen:
                duplicates[customer] = seen
            elif (0 if stored is None else stored.version) != update.expected_version:
                failed[customer] = "profile version conflict"
            else:
                self.items.update((s.transaction.key, s) for s in update.transactions)
                self.profiles.items[customer] = update.profile
        return CommitResult(duplicates, failed)

    def by_customer(self, customer_id: CustomerId) -> list[ScoredTransaction]:
        return [as_stored(s) for s in self.items.values() if s.transaction.customer_id == customer_id]


class InMemoryRawArchive:
    def __init__(self) -> None:
        self.batches: dict[BatchRef, tuple[Transaction, ...]] = {}

    def store(self, batch: BatchRef, transactions: Sequence[Transaction]) -> None:
        self.batches[batch] = tuple(transactions)


class DiscardingRawArchive:
    """For replays of history that is already archived (the backtest)."""

    def store(self, batch: BatchRef, transactions: Sequence[Transaction]) -> None:
        return None


class RecordingMetrics:
    def __init__(self) -> None:
        self.processed = self.flagged = self.duplicates = self.failed = self.quarantined = self.conflicts = 0
        self.shadow_scored = self.shadow_agreed = self.shadow_flagged = 0
        self.merchant_risk_ages: list[int] = []
        self.config_refused: list[str] = []

    def record_batch(self, processed: int, flagged: int, duplicates: int, failed: int, conflicts: int = 0) -> None:
        self.processed += processed
        self.flagged += flagged
        self.duplicates += duplicates
        self.failed += failed
        self.conflicts += conflicts

    def record_shadow(self, scored: int, agreed: int, flagged: int) -> None:
        self.shadow_scored += scored
        self.shadow_agreed += agreed
        self.shadow_flagged += flagged

    def record_quarantined(self, count: int) -> None:
        self.quarantined += count

    def record_merchant_risk_age(self, days: int) -> None:
        self.merchant_risk_ages.append(days)

    def record_config_refused(self, config: str) -> None:
        self.config_refused.append(config)


class StaticPolicySource:
    def __init__(self, policy: FraudPolicy | None = None, shadow: FraudPolicy | None = None) -> None:
        self.policy = policy or FraudPolicy.default()
        self.shadow_policy = shadow

    def current(self) -> FraudPolicy:
        return self.policy

    def shadow(self) -> FraudPolicy | None:
        return self.shadow_policy


class StaticMerchantRiskSource:
    def __init__(self, risk: MerchantRisk = NO_MERCHANT_RISK, published_on: date | None = None) -> None:
        self.risk = risk
        self.published_on = published_on

    def current(self) -> MerchantRisk:
        return self.risk


class RecordingQuarantine:
    def __init__(self) -> None:
        self.records: list[tuple[str, str, str]] = []

    def put(self, payload: str, reason: str, source: str) -> None:
        self.records.append((payload, reason, source))


class FixedClock:
    def __init__(self, at: datetime | None = None) -> None:
        self.at = at or datetime(2024, 1, 1, tzinfo=UTC)

    def now(self) -> datetime:
        return self.at
