"""Replay of history: transactions in file order through the same use case as the processor, on in-memory adapters.

One decision per distinct identity (customer_id, transaction_id), in input order: the same id under two customers
is two transactions. A repeated identity with the same content is a duplicate: no second decision, and it does not
count twice in the profile. A repeated identity with other content is rejected as a `conflicting_resubmission`,
like any bad line: reported with its line number and field, counted, and the run goes on. So every line is a
decision, a duplicate or a rejection.

Each transaction is received at its own timestamp (a replay of history), unless the caller gives receipt times
(`run_received`, as the differential harness does with the stream's arrival times).
"""

from __future__ import annotations

import gc
import re
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import TypeVar

from attrs import define, field, frozen

from adapters.memory import (
    DiscardingRawArchive,
    FixedClock,
    InMemoryProfileRepository,
    InMemoryTransactionRepository,
    RecordingMetrics,
    StaticMerchantRiskSource,
    StaticPolicySource,
)
from adapters.records import parse_record
from adapters.serialization import loads
from domain.labels import Label, Labels
from domain.merchant_risk import NO_MERCHANT_RISK, MerchantLedger, MerchantRisk
from domain.model import (
    CustomerId,
    InvalidTransaction,
    Transaction,
    TransactionId,
    TransactionKey,
    is_identifier,
)
from domain.policy import FraudPolicy
from domain.ports import BatchRef, RawArchive, ScoredTransaction
from domain.process_batch import BatchPorts, process_batch
from domain.receipt import Received
from domain.tuning import Counts
from securebank.lab.unlabelled import score

T = TypeVar("T")
BATCH_SIZE = 10_000
"""Larger batches amortise the per-customer commit; decisions do not depend on the batch size."""


@frozen
class Rejection:
    line: int
    field: str
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.field}: {self.reason}"


@define
class Backtest:
    """Replays transactions; `decisions` holds one ScoredTransaction per distinct id, in input order."""

    policy: FraudPolicy
    merchants: MerchantRisk = NO_MERCHANT_RISK
    """What the merchant rule may know of confirmed fraud (see `merchant_feed`); none by default."""
    decisions: list[ScoredTransaction] = field(factory=list)
    rejections: list[Rejection] = field(factory=list)
    duplicates: int = 0
    seconds: float = 0.0
    _profiles: InMemoryProfileRepository = field(factory=InMemoryProfileRepository)
    repository: InMemoryTransactionRepository = field()
    metrics: RecordingMetrics = field(factory=RecordingMetrics)

    @repository.default
    def _repository(self) -> InMemoryTransactionRepository:
        return InMemoryTransactionRepository(self._profiles)

    @property
    def profiles(self) -> InMemoryProfileRepository:
        return self._profiles

    def run(self, lines: Iterable[tuple[int, str | bytes]]) -> Backtest:
        """Replay numbered JSON lines, each received at its own timestamp."""
        return self.run_received(
            (number, Received(txn, txn.timestamp)) for number, txn in parse_numbered(lines, self.rejections)
        )

    def run_received(self, received: Iterable[tuple[int, Received]], archive: RawArchive | None = None) -> Backtest:
        """Replay numbered received transactions (already parsed) in order."""
        ports = BatchPorts(
            profiles=self._profiles,
            transactions=self.repository,
            archive=archive or DiscardingRawArchive(),
            metrics=self.metrics,
            clock=FixedClock(),
            policy=StaticPolicySource(self.policy),
            merchants=StaticMerchantRiskSource(self.merchants),
        )
        started = time.perf_counter()
        with _without_cyclic_gc():
            for number, batch in enumerate(_batches(received, BATCH_SIZE)):
                self._replay(number, batch, ports)
        self.seconds = time.perf_counter() - started
        return self

    def _replay(self, number: int, batch: list[tuple[int, Received]], ports: BatchPorts) -> None:
        ref = BatchRef("backtest", str(number), str(number))
        outcome = process_batch([r for _, r in batch], ports, ref)
        if outcome.failed:  # an in-memory replay has no throttling, concurrent writers or archive outage
            raise RuntimeError(f"replay could not apply {len(outcome.failed)} transactions")
        self.decisions.extend(outcome.scored)
        self.duplicates += len(outcome.duplicates)
        for position, reason in sorted(outcome.rejected.items()):
            field_name, _, why = reason.partition(": ")
            self.rejections.append(Rejection(batch[position][0], field_name, why))

    @property
    def flagged(self) -> int:
        return sum(1 for d in self.decisions if d.decision.is_fraud)

    def verdicts(self, since: datetime | None = None) -> Iterator[tuple[TransactionKey, bool, bool]]:
        """(transaction key, flagged, scored) of every decision, in input order; `scored` is whether the
        transaction's time is at or after `since` (always, without one)."""
        for scored in self.decisions:
            txn = scored.transaction
            yield txn.key, scored.decision.is_fraud, since is None or txn.timestamp >= since

    def confusion(self, labels: Labels) -> Counts:
        """The confusion matrix of the labelled decisions."""
        return score(self.verdicts(), labels).counts


@contextmanager
def _without_cyclic_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector for a replay, then freeze what the replay kept.

    A replay allocates millions of small acyclic values (transactions, decisions, profiles) that reference counting
    frees; the collector's passes over the ever-growing set of live ones cost about 40 % of the run. What survives
    (the decisions and profiles) is long-lived and acyclic, so it is moved to the permanent generation
    (`gc.freeze`) instead of being traversed by the next collection.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if enabled:
            gc.enable()


def parse_lines(lines: Iterable[tuple[int, str | bytes]], rejections: list[Rejection]) -> Iterator[Transaction]:
    """The valid transactions of numbered lines; each bad line is appended to `rejections` and skipped."""
    return (txn for _, txn in parse_numbered(lines, rejections))


def parse_numbered(
    lines: Iterable[tuple[int, str | bytes]], rejections: list[Rejection]
) -> Iterator[tuple[int, Transaction]]:
    """`parse_lines`, each valid transaction with its line number. Read as the processor reads a stream record
    (`parse_record`), so a bad line is rejected for the reason the processor would quarantine it."""
    for number, text in lines:
        try:
            yield number, parse_record(text)
        except InvalidTransaction as exc:
            rejections.append(Rejection(number, exc.field, exc.reason))


def _batches(items: Iterable[T], size: int) -> Iterator[list[T]]:
    batch: list[T] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


_TEXT = r"[ !#-\[\]-~]*"  # printable ASCII but '"' and '\\': a JSON string's characters, none escaped
PLAIN_LABEL = re.compile(
    rf'[ \t\n\r]*\{{"transaction_id":"({_TEXT})","is_fraud":(true|false)(?:,"pattern":"{_TEXT}")?\}}[ \t\n\r]*'
)
"""The common label line (the lab generators' shape): a transaction id and a verdict, perhaps a pattern, no customer
id or labelled_at; `read_labels` reads it as `loads` would, by this match alone."""


def read_labels(lines: Iterable[tuple[int, str]]) -> tuple[Labels, list[Rejection]]:
    """The labels of a labels file (`{transaction_id, is_fraud[, customer_id][, labelled_at]}` per line), kept by
    the label rule (`domain.labels`, as the Spark jobs' `jobs.labels`), and its bad lines."""
    labels = Labels()
    rejections: list[Rejection] = []
    for number, text in lines:
        plain = PLAIN_LABEL.fullmatch(text)
        if plain is not None:  # read without the JSON parser: the label it gives (tests/property/test_read_labels.py)
            labels.add(TransactionId(plain[1]), None, Label(plain[2] == "true", None))
            continue
        try:
            row = loads(text)
            txn_id, is_fraud = row["transaction_id"], row["is_fraud"]
        except (ValueError, KeyError, TypeError) as exc:
            rejections.append(Rejection(number, "label", f"needs transaction_id and is_fraud ({exc!r})"))
            continue
        if type(is_fraud) is not bool or type(txn_id) is not str:
            rejections.append(Rejection(number, "is_fraud", "must be true or false with a string transaction_id"))
            continue
        customer_id = row.get("customer_id")
        if customer_id is not None and not is_identifier(customer_id):
            rejections.append(Rejection(number, "customer_id", "must be 1 to 64 letters, digits, '-' or '_'"))
            continue
        at = None if row.get("labelled_at") is None else _aware(row["labelled_at"])
        if at is None and row.get("labelled_at") is not None:
            rejections.append(Rejection(number, "labelled_at", "must be an ISO 8601 time with a zone"))
            continue
        labels.add(TransactionId(txn_id), None if customer_id is None else CustomerId(customer_id), Label(is_fraud, at))
    return labels, rejections


def _aware(value: object) -> datetime | None:
    try:
        at = datetime.fromisoformat(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return at if at.utcoffset() is not None else None


def merchant_feed(transactions: Iterable[Transaction], labels: Labels, delay: timedelta) -> MerchantRisk:
    """What the merchant rule knows, day by day, from these transactions and the confirmed frauds among these
    labels (see MerchantLedger)."""
    return MerchantLedger(delay).add(transactions, labels).risk()
