"""Ports: what the use cases need from the outside world, as structural Protocols. Adapters do not inherit them."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Protocol

from attrs import field, frozen

from domain.merchant_risk import MerchantRisk
from domain.model import CustomerId, Transaction, TransactionId, TransactionKey
from domain.policy import FraudPolicy
from domain.profile import CustomerProfile
from domain.rules import Decision


@frozen
class ShadowDecision:
    """What the policy in shadow decided on a transaction, kept compact: its score, its verdict and its version.
    Its explanations are those of a backtest of that version (`policy diff`), not stored on every item."""

    risk_score: Decimal
    is_fraud: bool
    policy_version: int

    @classmethod
    def of(cls, decision: Decision) -> ShadowDecision:
        return cls(decision.risk_score, decision.is_fraud, decision.policy_version)


@frozen
class ScoredTransaction:
    transaction: Transaction
    decision: Decision
    processed_at: datetime
    shadow: ShadowDecision | None = None
    """The shadow policy's decision, while one is in shadow: stored beside the active one's, changing nothing."""


@frozen
class CustomerUpdate:
    """One customer's share of a batch: written atomically, or not at all.

    `profile.version` is `expected_version + 1` per transaction applied; `expected_version` 0 means a new customer.
    """

    profile: CustomerProfile
    expected_version: int
    transactions: tuple[ScoredTransaction, ...]


@frozen
class CommitResult:
    """What a commit did not write. Every update not named here was written whole."""

    duplicates: Mapping[CustomerId, frozenset[TransactionId]] = field(factory=dict)
    """Updates not written because these transactions were already stored (a redelivery)."""
    failed: Mapping[CustomerId, str] = field(factory=dict)
    """Updates not written for another reason (version conflict, throttling), with the reason."""


@frozen
class BatchRef:
    """Where a batch came from; the raw archive derives its object key from it, so a retry overwrites."""

    source: str
    first_sequence: str
    last_sequence: str


class ProfileRepository(Protocol):
    def get_many(self, customer_ids: Collection[CustomerId]) -> Mapping[CustomerId, CustomerProfile]: ...


class TransactionRepository(Protocol):
    max_transactions_per_update: int
    """How many transactions of one customer one atomic commit can write (with the profile)."""

    def get_many(self, keys: Collection[TransactionKey]) -> Mapping[TransactionKey, ScoredTransaction]:
        """The stored transactions of these identities (customer_id, transaction_id); absent ones are left out."""
        ...

    def find(self, transaction_id: TransactionId, limit: int = 2) -> Sequence[ScoredTransaction]:
        """Up to `limit` stored transactions with this id, of any customer (ids may repeat across customers)."""
        ...

    def commit(self, updates: Sequence[CustomerUpdate]) -> CommitResult:
        """Write each update's transactions (only if its identity is not stored yet) and its profile (only at its
        expected version), atomically per update."""
        ...


class RawArchive(Protocol):
    def store(self, batch: BatchRef, transactions: Sequence[Transaction]) -> None:
        """Archive what was committed (at least once: a redelivery archives it again). May raise on an outage."""
        ...


class Metrics(Protocol):
    def record_batch(self, processed: int, flagged: int, duplicates: int, failed: int, conflicts: int = 0) -> None: ...

    def record_shadow(self, scored: int, agreed: int, flagged: int) -> None:
        """Of the transactions scored by the policy in shadow: how many, how many it decided as the active one did
        (same is_fraud), how many it flagged."""
        ...

    def record_merchant_risk_age(self, days: int) -> None:
        """Days from the merchant-risk snapshot in force to the batch's processing date (UTC)."""
        ...


class PolicySource(Protocol):
    def current(self) -> FraudPolicy:
        """The active policy: the one whose decisions count."""
        ...

    def shadow(self) -> FraudPolicy | None:
        """The policy in shadow, if one is: every transaction is scored with it too, and its decision is stored
        beside the active one's, but changes nothing (the governed lifecycle: candidate, shadow, active, retired)."""
        ...


class MerchantRiskSource(Protocol):
    def current(self) -> MerchantRisk:
        """The newest published confirmed-fraud counts per merchant (empty when none is published)."""
        ...

    @property
    def published_on(self) -> date | None:
        """The `as_of` date of the snapshot `current()` last returned; None while none is loaded."""
        ...


class Quarantine(Protocol):
    def put(self, payload: str, reason: str, source: str) -> None:
        """Set aside a record that cannot be processed, with why; it must never be dropped or retried forever."""
        ...


class Clock(Protocol):
    def now(self) -> datetime: ...
