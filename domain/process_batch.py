"""Use case: score a batch of transactions and record them exactly once.

Profiles are read once for the batch. Each customer's transactions are scored in input order and applied to their
profile; each customer's new transactions and profile are then committed as one atomic update. Redelivered
transactions are recognised (by the profile's recent ids, or by the repository's conditional write) and neither
decided nor counted again.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from attrs import frozen

from domain.merchant_risk import NO_MERCHANT_RISK, MerchantRisk
from domain.model import CustomerId, Transaction, TransactionId
from domain.policy import FraudPolicy
from domain.ports import (
    BatchRef,
    Clock,
    CustomerUpdate,
    Metrics,
    ProfileRepository,
    RawArchive,
    ScoredTransaction,
    TransactionRepository,
)
from domain.profile import CustomerProfile, apply_unseen
from domain.rules import Scorer

MAX_COMMIT_ROUNDS = 3


@frozen
class BatchPorts:
    profiles: ProfileRepository
    transactions: TransactionRepository
    archive: RawArchive
    metrics: Metrics
    clock: Clock


@frozen
class BatchOutcome:
    scored: tuple[ScoredTransaction, ...]
    """Committed transactions with their decisions, in input order."""
    duplicates: frozenset[TransactionId]
    """Already recorded before this batch (or twice in it): skipped."""
    failed: Mapping[TransactionId, str]
    """Not applied, with the reason; the caller must have them redelivered."""

    @property
    def flagged(self) -> int:
        return sum(1 for s in self.scored if s.decision.is_fraud)


def process_batch(
    transactions: Sequence[Transaction],
    policy: FraudPolicy,
    ports: BatchPorts,
    batch: BatchRef,
    merchants: MerchantRisk = NO_MERCHANT_RISK,
) -> BatchOutcome:
    if not transactions:
        return BatchOutcome((), frozenset(), {})
    ports.archive.store(batch, transactions)
    by_customer: dict[CustomerId, list[Transaction]] = {}
    for txn in transactions:
        by_customer.setdefault(txn.customer_id, []).append(txn)
    before = ports.profiles.get_many(list(by_customer))
    now = ports.clock.now()

    duplicates: set[TransactionId] = set()
    failed: dict[TransactionId, str] = {}
    committed: dict[TransactionId, ScoredTransaction] = {}
    pending = by_customer
    scorer = Scorer(policy, merchants)
    for round_ in range(MAX_COMMIT_ROUNDS):
        updates = [_score_customer(before.get(c), txns, scorer, now, duplicates) for c, txns in pending.items()]
        updates = [u for u in updates if u.transactions]
        result = ports.transactions.commit(updates)
        retry: dict[CustomerId, list[Transaction]] = {}
        for update in updates:
            customer = update.profile.customer_id
            if customer in result.failed:
                failed.update(dict.fromkeys((s.transaction.transaction_id for s in update.transactions),
                                            result.failed[customer]))  # fmt: skip
            elif customer in result.duplicates:
                duplicates.update(result.duplicates[customer])
                if round_ + 1 == MAX_COMMIT_ROUNDS:
                    failed.update(dict.fromkeys(_ids(update), "still conflicting after retries"))
                else:
                    retry[customer] = by_customer[customer]
            else:
                committed.update((s.transaction.transaction_id, s) for s in update.transactions)
        if not retry:
            break
        pending = retry

    scored = tuple(committed[i] for i in dict.fromkeys(t.transaction_id for t in transactions) if i in committed)
    outcome = BatchOutcome(scored, frozenset(duplicates - committed.keys()), failed)
    ports.metrics.record_batch(len(scored), outcome.flagged, len(outcome.duplicates), len(failed))
    return outcome


def _ids(update: CustomerUpdate) -> list[TransactionId]:
    return [s.transaction.transaction_id for s in update.transactions]


def _score_customer(
    profile: CustomerProfile | None,
    txns: Sequence[Transaction],
    scorer: Scorer,
    now: datetime,
    skip: set[TransactionId],
) -> CustomerUpdate:
    """Score one customer's transactions in order against their evolving profile."""
    expected = 0 if profile is None else profile.version
    scored: list[ScoredTransaction] = []
    seen: set[TransactionId] = set()  # the profile's recent ids are bounded; within a batch, remember them all
    for txn in txns:
        txn_id = txn.transaction_id
        if txn_id in skip or txn_id in seen or (profile is not None and txn_id in profile.recent_ids):
            skip.add(txn_id)
            continue
        seen.add(txn_id)
        decision = scorer.score(profile, txn)
        profile = apply_unseen(profile or CustomerProfile.open(txn), txn, decision.is_fraud)
        scored.append(ScoredTransaction(txn, decision, now))
    assert profile is not None
    return CustomerUpdate(profile, expected, tuple(scored))
