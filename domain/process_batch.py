"""Use case: score a batch of received transactions and record each identity exactly once.

Identity is (customer_id, transaction_id). Per record, in input order, exactly one of:
- scored: committed now, with its decision;
- duplicate: its identity is already stored (or earlier in the batch) with the same content: a redelivery or a
  client's retry, neither decided nor counted again;
- rejected: set aside with a reason, for the quarantine: a timestamp out of bounds around its receipt, a
  `conflicting_resubmission` (its identity is stored with other content), or any error raised by the domain while
  scoring it. One bad record never fails the batch;
- failed: not applied because of the infrastructure (throttling, a concurrent writer, an archive outage), or
  deferred because one atomic write holds at most `max_transactions_per_update` of a customer's transactions; the
  caller must have it redelivered.

The policy in force and the merchant-risk feed come from their ports: the feed is read only while the policy uses
the merchant rule (or its model a merchant feature), and then the age of its snapshot is reported.

The system of record is written first: profiles are read once, each customer's new transactions and profile are
committed as one atomic update, and only then is what is stored (scored now, or found stored with the same content)
archived to the raw lake. If the archive fails, those records are also failed (a committed one stays in `scored`):
their redelivery is recognised as duplicates and archived then, so the lake holds what was committed, at least once.

Flags out: nothing to send here. A flagged transaction is committed as an open case (its item carries review_status),
and the Transactions table's stream is its outbox: a pipe turns each committed case into a TransactionFlagged event
(components/outbox.py), so an event exists iff its item was committed, and the processor makes no call for it.
While a policy is in shadow, each transaction is also scored with it (domain/shadow.py), which changes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC

from attrs import frozen

from domain.merchant_risk import NO_MERCHANT_RISK
from domain.model import CustomerId, Transaction, TransactionKey
from domain.ports import (
    BatchRef,
    Clock,
    CustomerUpdate,
    MerchantRiskSource,
    Metrics,
    PolicySource,
    ProfileRepository,
    RawArchive,
    ScoredTransaction,
    TransactionRepository,
)
from domain.profile import CustomerProfile, apply_unseen
from domain.receipt import Received, TimeBounds
from domain.rules import Scorer
from domain.scoring import reads_merchant_feed
from domain.shadow import ShadowScorer, record_shadow

MAX_COMMIT_ROUNDS = 3
DEFAULT_BOUNDS = TimeBounds()
NO_SNAPSHOT_AGE_DAYS = 999
"""MerchantRiskSnapshotAgeDays while the merchant rule is on but no snapshot is loaded: far above the alarm's 2 days."""
CONFLICTING_RESUBMISSION = "conflicting_resubmission"
"""The reason code of a record whose identity is already stored with other content."""


@frozen(kw_only=True)
class BatchPorts:
    profiles: ProfileRepository
    transactions: TransactionRepository
    archive: RawArchive
    metrics: Metrics
    clock: Clock
    policy: PolicySource
    """The fraud policy in force."""
    merchants: MerchantRiskSource
    """What is known of confirmed fraud per merchant: read only while the policy in force uses the merchant rule."""


@frozen
class BatchOutcome:
    """What became of each record, by its position in the batch."""

    scored: tuple[ScoredTransaction, ...]
    """Committed by this batch, with their decisions, in input order."""
    duplicates: frozenset[int]
    """Already stored (or earlier in the batch) with the same content: skipped."""
    rejected: Mapping[int, str]
    """Never to be retried, with the reason: for the quarantine."""
    failed: Mapping[int, str]
    """To be redelivered, with the reason: not applied (throttling, a concurrent writer), or committed (and so also
    in `scored`) but not archived."""
    archived: bool = True
    """False when the raw archive failed: every stored record of the batch is then in `failed`."""

    @property
    def flagged(self) -> int:
        return sum(1 for s in self.scored if s.decision.is_fraud)

    @property
    def conflicts(self) -> int:
        return sum(1 for reason in self.rejected.values() if reason.startswith(CONFLICTING_RESUBMISSION))


def process_batch(
    records: Sequence[Received], ports: BatchPorts, batch: BatchRef, bounds: TimeBounds = DEFAULT_BOUNDS
) -> BatchOutcome:
    if not records:
        return BatchOutcome((), frozenset(), {}, {})
    policy, shadow = ports.policy.current(), ports.policy.shadow()
    merchants = NO_MERCHANT_RISK
    if reads_merchant_feed(policy) or (shadow is not None and reads_merchant_feed(shadow)):
        merchants = ports.merchants.current()
        ports.metrics.record_merchant_risk_age(_snapshot_age(ports))
    shadow_scorer = None if shadow is None else ShadowScorer(shadow, merchants)
    run = _Batch(records, Scorer(policy, merchants), ports, bounds, shadow_scorer)
    run.commit()
    run.archive(batch)
    outcome = run.outcome()
    ports.metrics.record_batch(
        len(outcome.scored), outcome.flagged, len(outcome.duplicates), len(outcome.failed), outcome.conflicts
    )
    if shadow is not None:
        record_shadow(ports.metrics, outcome.scored)
    return outcome


def _snapshot_age(ports: BatchPorts) -> int:
    """Whole days from the merchant-risk snapshot in force to today (UTC) by the batch's clock, so that a daily job
    that stops publishing raises an alarm instead of going unnoticed."""
    published_on = ports.merchants.published_on
    if published_on is None:
        return NO_SNAPSHOT_AGE_DAYS
    return (ports.clock.now().astimezone(UTC).date() - published_on).days


class _Batch:
    """One batch's bookkeeping: each position ends in exactly one of scored, duplicate, rejected or failed, except
    that a committed record whose archiving failed is both scored and failed."""

    def __init__(
        self,
        records: Sequence[Received],
        scorer: Scorer,
        ports: BatchPorts,
        bounds: TimeBounds,
        shadow: ShadowScorer | None = None,
    ) -> None:
        self.records = records
        self.scorer = scorer
        self.shadow = shadow
        self.ports = ports
        self.now = ports.clock.now()
        self.scored: dict[int, ScoredTransaction] = {}
        self.duplicates: set[int] = set()
        self.rejected: dict[int, str] = {}
        self.failed: dict[int, str] = {}
        self.archived = True
        self.by_customer: dict[CustomerId, list[int]] = {}
        cap = ports.transactions.max_transactions_per_update
        for position, record in enumerate(records):
            try:
                bounds.check(record.transaction, record.at)
            except ValueError as exc:
                self.rejected[position] = str(exc)
                continue
            positions = self.by_customer.setdefault(record.transaction.customer_id, [])
            if len(positions) < cap:
                positions.append(position)
            else:  # one atomic write per customer: the rest wait for the redelivery, in order
                self.failed[position] = f"deferred: at most {cap} transactions of one customer per batch"
        self.stored: dict[TransactionKey, ScoredTransaction] = {}
        """Identities known to be stored before this batch, with their content and stored decision."""

    def commit(self) -> None:
        profiles = self.ports.profiles.get_many(list(self.by_customer))
        self._load_stored([p for c, ps in self.by_customer.items() if (profile := profiles.get(c)) is not None
                           for p in ps if profile.has_seen(self.records[p].transaction.transaction_id)])  # fmt: skip
        pending = self.by_customer
        for round_ in range(MAX_COMMIT_ROUNDS):
            updates = {c: self._score_customer(profiles.get(c), positions) for c, positions in pending.items()}
            result = self.ports.transactions.commit([u for u, _ in updates.values() if u is not None])
            retry: dict[CustomerId, list[int]] = {}
            for customer, (update, positions) in updates.items():
                if update is None:
                    continue
                if customer in result.failed:
                    self.failed.update(dict.fromkeys(positions, result.failed[customer]))
                elif customer in result.duplicates:  # stored meanwhile, or too old for the profile to remember
                    if round_ + 1 == MAX_COMMIT_ROUNDS:
                        self.failed.update(dict.fromkeys(positions, "still conflicting after retries"))
                    else:
                        retry[customer] = pending[customer]
                else:
                    self.scored.update(zip(positions, update.transactions, strict=True))
            if not retry:
                return
            self._load_stored([p for ps in retry.values() for p in ps])
            pending = retry

    def _load_stored(self, positions: list[int]) -> None:
        keys = {self.records[p].transaction.key for p in positions} - self.stored.keys()
        if keys:
            found = self.ports.transactions.get_many(keys)
            self.stored.update(found)

    def _score_customer(
        self, profile: CustomerProfile | None, positions: list[int]
    ) -> tuple[CustomerUpdate | None, list[int]]:
        """Score one customer's records in order against their evolving profile; returns the update (None when
        there is nothing to write) and the positions of its transactions. Duplicates and rejections are recorded
        as they are found."""
        expected = 0 if profile is None else profile.version
        for position in positions:  # a retried round decides each record afresh, from what is now known stored
            self.duplicates.discard(position)
            self.rejected.pop(position, None)
        scored: list[ScoredTransaction] = []
        applied: list[int] = []
        first: dict[TransactionKey, Transaction] = {}
        for position in positions:
            record = self.records[position]
            txn = record.transaction
            key = txn.key
            stored = self.stored.get(key)
            earlier = first.get(key) or (None if stored is None else stored.transaction)
            if earlier is not None:
                self._repeat(position, txn, earlier)
                continue
            try:
                decision = self.scorer.score(profile, txn)
                after = apply_unseen(profile or CustomerProfile.open(txn), txn, decision.is_fraud, record.at)
            except Exception as exc:  # a domain error on one record must not fail the batch
                self.rejected[position] = f"processing: {type(exc).__name__}: {exc}"[:500]
                continue
            shadow = None if self.shadow is None else self.shadow.decide(profile, txn)
            first[key] = txn
            profile = after
            scored.append(ScoredTransaction(txn, decision, self.now, shadow))
            applied.append(position)
        if profile is None or not scored:
            return None, []
        return CustomerUpdate(profile, expected, tuple(scored)), applied

    def _repeat(self, position: int, txn: Transaction, earlier: Transaction) -> None:
        if txn == earlier:
            self.duplicates.add(position)
        else:
            self.rejected[position] = (
                f"{CONFLICTING_RESUBMISSION}: transaction_id {txn.transaction_id} of customer {txn.customer_id} "
                "is already recorded with other content"
            )

    def archive(self, batch: BatchRef) -> None:
        """Archive, in input order, what is stored: scored now, or found stored with the same content."""
        positions = sorted(self.scored.keys() | self.duplicates)
        if not positions:
            return
        try:
            self.ports.archive.store(batch, [self.records[p].transaction for p in positions])
        except Exception as exc:  # an archive outage: have them redelivered, as duplicates then
            self.archived = False
            self.failed.update(dict.fromkeys(positions, f"archive: {type(exc).__name__}"))
            self.duplicates.difference_update(positions)

    def outcome(self) -> BatchOutcome:
        scored = tuple(self.scored[p] for p in sorted(self.scored))
        return BatchOutcome(scored, frozenset(self.duplicates), self.rejected, self.failed, self.archived)
