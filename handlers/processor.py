"""Kinesis -> process_batch -> `{"batchItemFailures": [...]}` (ReportBatchItemFailures).

Why not Powertools' BatchProcessor: it calls a handler per record, while the use case takes the whole batch (one
BatchGetItem, <= 2 TransactWriteItems and one PutObject per 100 records). So the partial-failure response is built
here, in the same shape. The record fields used (eventID, eventSourceARN, kinesis.sequenceNumber, kinesis.data) are
read from the event directly: Powertools' data-classes package imports every event type and added about 55 ms to
the cold import, for four dictionary lookups.

Records that cannot be decoded or validated, whose timestamp is out of bounds around their receipt
(`approximateArrivalTimestamp`), that resubmit a stored identity with other content, or on which the domain raised,
go to the quarantine with the reason and are not reported as failures (they would fail again on every retry); those
behind a failed record are quarantined when they come back with the redelivery, so a bad record is normally
quarantined once (at least once if the quarantine itself fails and the batch is retried).

Failed records (throttling, a concurrent writer) are reported by sequence number, lowest first: the event source
mapping checkpoints at the lowest, so everything after it, every later record of the failed customers included, is
redelivered; what was already committed is then recognised as a duplicate. If the profile read raises, or the raw
archive fails after the commit, the whole invocation fails (ArchiveUnavailable) and the batch is retried and
bisected by the event source mapping, as for any outage (bisecting spends no retry until a single record is left);
the redelivery finds the committed records stored and archives them then. The processor sends no event for a flag:
the committed item is the outbox, and a pipe on the table's stream sends it (components/outbox.py).

While the policy in force uses the merchant rule, each invocation reports MerchantRiskSnapshotAgeDays (EMF on
stdout, no API call), so a daily merchant-risk job that stops publishing raises an alarm instead of going unnoticed.
"""

from __future__ import annotations

import base64
import binascii
import functools
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, NamedTuple

from adapters.records import parse_record
from domain.model import InvalidTransaction, Transaction
from domain.ports import BatchRef
from domain.process_batch import process_batch
from domain.receipt import Received
from handlers.bootstrap import ProcessorDependencies, bootstrap
from handlers.settings import Settings


class ArchiveUnavailable(RuntimeError):
    """The raw archive failed after the commit: the whole batch is redelivered, found stored, and archived then."""


class KinesisRecord(NamedTuple):
    event_id: str
    event_source_arn: str
    sequence_number: str
    data: str
    arrival: datetime | None
    """`approximateArrivalTimestamp`: when Kinesis received the record, the same on every redelivery."""

    @classmethod
    def of(cls, record: dict[str, Any]) -> KinesisRecord:
        kinesis = record["kinesis"]
        arrival = kinesis.get("approximateArrivalTimestamp")
        at = datetime.fromtimestamp(arrival, UTC) if isinstance(arrival, int | float) else None
        return cls(record["eventID"], record.get("eventSourceARN", ""), kinesis["sequenceNumber"], kinesis["data"], at)


@functools.cache
def _dependencies() -> ProcessorDependencies:
    return bootstrap(Settings.from_env())


def lambda_handler(event: dict[str, Any], context: object) -> dict[str, Any]:
    return handle(event, _dependencies())


def handle(event: dict[str, Any], deps: ProcessorDependencies) -> dict[str, Any]:
    records = [KinesisRecord.of(r) for r in event.get("Records") or []]
    if not records:
        return {"batchItemFailures": []}
    log = deps.logger
    batch = BatchRef(_shard(records[0]), records[0].sequence_number, records[-1].sequence_number)
    valid: list[Received] = []
    accepted: list[KinesisRecord] = []  # parallel to `valid`
    poison: list[tuple[KinesisRecord, str]] = []
    now = deps.ports.clock.now()
    for record in records:
        try:
            txn = _decode(record.data)
        except InvalidTransaction as exc:
            poison.append((record, str(exc)))
            continue
        except Exception as exc:  # a record no retry can fix must not block its shard
            deps.logger.exception("record could not be parsed", extra={"sequence_number": record.sequence_number})
            poison.append((record, f"record: could not be parsed ({type(exc).__name__})"))
            continue
        valid.append(Received(txn, record.arrival or now))
        accepted.append(record)

    log.info("batch received", extra={"batch": _ref(batch), "records": len(records),
                                       "transaction_ids": [r.transaction.transaction_id for r in valid]})  # fmt: skip
    outcome = process_batch(valid, deps.ports, batch, deps.time_bounds)
    if not outcome.archived:  # a function error: the mapping bisects and retries, as for any outage
        log.error("raw archive failed after the commit", extra={"batch": _ref(batch), "failed": len(outcome.failed)})
        raise ArchiveUnavailable(f"{_ref(batch)}: {next(iter(outcome.failed.values()))}")
    poison += [(accepted[position], reason) for position, reason in outcome.rejected.items()]
    failures = [accepted[position].sequence_number for position in outcome.failed]
    if failures:  # bad records after the checkpoint come back with the redelivery: quarantine them then, once
        checkpoint = min(int(seq) for seq in failures)
        poison = [p for p in poison if int(p[0].sequence_number) < checkpoint]
    failures += _quarantine(sorted(poison, key=lambda p: int(p[0].sequence_number)), deps, batch)
    failures = sorted(set(failures), key=int)
    log.info(
        "batch processed",
        extra={
            "batch": _ref(batch),
            "processed": len(outcome.scored),
            "flagged_ids": [s.transaction.transaction_id for s in outcome.scored if s.decision.is_fraud],
            "duplicates": len(outcome.duplicates),
            "failed": {accepted[p].sequence_number: reason for p, reason in outcome.failed.items()},
            "quarantined": len(poison),
        },
    )
    return {"batchItemFailures": [{"itemIdentifier": seq} for seq in failures]}


def _decode(data: str) -> Transaction:
    try:
        raw = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidTransaction("record", "data is not base64") from None
    return parse_record(raw)  # the backtest's reader too: the same reason for the same bad record


def _payload(data: str) -> str:
    """The record as text if it is UTF-8, else its base64 exactly as Kinesis delivered it."""
    try:
        return base64.b64decode(data, validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        return data


def _quarantine(poison: Sequence[tuple[KinesisRecord, str]], deps: ProcessorDependencies, batch: BatchRef) -> list[str]:
    """Quarantine each bad record, in sequence order. When one cannot be quarantined now, it and every bad record
    after it are reported failed, so they are retried (the checkpoint stops at it anyway: sending those after it
    now would only send them twice)."""
    for index, (record, reason) in enumerate(poison):
        source = f"{record.event_source_arn}/{batch.source}/{record.sequence_number}"
        try:
            deps.quarantine.put(_payload(record.data), reason, source)
        except Exception:
            deps.logger.exception("quarantine failed", extra={"sequence_number": record.sequence_number})
            deps.metrics.record_quarantined(index)
            return [r.sequence_number for r, _ in poison[index:]]
        deps.logger.warning("record quarantined", extra={"source": source, "reason": reason})
    if poison:
        deps.metrics.record_quarantined(len(poison))
    return []


def _shard(record: KinesisRecord) -> str:
    return record.event_id.split(":", 1)[0]


def _ref(batch: BatchRef) -> str:
    return f"{batch.source}/{batch.first_sequence}-{batch.last_sequence}"
