"""`ops redrive-quarantine`: put quarantined records back on the stream, so that the deployed processor takes them
again through the event source mapping.

Why the stream and not a processor run here: it is what the deployed system does with any record, with the code
that is deployed (not the operator's checkout), its IAM role and its retries; the processor's idempotency recognises a
record that was stored meanwhile (a duplicate changes nothing), and a record that is still invalid is quarantined
again, with its reason, by the processor itself: nothing is lost. A message is deleted only once Kinesis has accepted
its record (PutRecords answers per record); the others are released, visible again at once.

The quarantine message is adapters/sqs_quarantine.py's `{"reason", "source", "payload"}`. A payload cut to fit SQS
(`truncated_from_chars`) cannot be re-driven: it is kept and counted. The partition key is the payload's customer_id
(the API's key, contracts PARTITION_KEY_FIELD), else the message's source. Redriven records arrive now: the
processor's timestamp bounds apply to them from their new arrival.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from contracts.aws import PARTITION_KEY_FIELD
from securebank.ops.queues import Message, delete, receive_all, release
from securebank.ops.target import Target

PUT_RECORDS_MAX = 500
PUT_RECORDS_MAX_BYTES = 4 * 1024 * 1024
"""PutRecords takes at most 500 records and 5 MiB a call; 4 MiB leaves room for the keys."""
PARTITION_KEY_MAX_CHARS = 256
DEFAULT_PARTITION_KEY = "quarantine-redrive"


@dataclass
class RedriveReport:
    dry_run: bool
    reason_filter: str | None
    by_reason: Counter[str] = field(default_factory=Counter)
    """Every message read, by its reason."""
    matched: int = 0
    redriven: int = 0
    put_failed: int = 0
    truncated_kept: int = 0
    unreadable_kept: int = 0
    by_queue: Counter[str] = field(default_factory=Counter)

    def as_json(self) -> dict[str, Any]:
        return {
            "dry_run": self.dry_run,
            "reason": self.reason_filter,
            "by_reason": dict(self.by_reason),
            "by_queue": dict(self.by_queue),
            "matched": self.matched,
            "redriven": self.redriven,
            "put_failed": self.put_failed,
            "truncated_kept": self.truncated_kept,
            "unreadable_kept": self.unreadable_kept,
        }


@dataclass(frozen=True)
class Quarantined:
    message: Message
    reason: str
    payload: str | None
    """None when the payload was cut to fit SQS."""
    partition_key: str


def parse(message: Message) -> Quarantined | None:
    """The quarantine message's fields; None for a body the quarantine never writes."""
    try:
        body = json.loads(message.body)
        reason, payload = str(body["reason"]), body["payload"]
    except (ValueError, KeyError, TypeError):
        return None
    if not isinstance(payload, str):
        return None
    return Quarantined(
        message, reason, None if "truncated_from_chars" in body else payload, _partition_key(payload, body)
    )


def _partition_key(payload: str, body: dict[str, Any]) -> str:
    try:
        customer = json.loads(payload).get(PARTITION_KEY_FIELD)
    except (ValueError, AttributeError):
        customer = None
    key = customer if isinstance(customer, str) and customer else str(body.get("source") or DEFAULT_PARTITION_KEY)
    return key[:PARTITION_KEY_MAX_CHARS]


def redrive_quarantine(
    target: Target, reason: str | None = None, *, dry_run: bool = False, wait_seconds: int = 1
) -> RedriveReport:
    """Re-drive the quarantine's and its DLQ's messages whose reason starts with `reason` (all when None)."""
    sqs, kinesis = target.client("sqs"), target.client("kinesis")
    report = RedriveReport(dry_run, reason)
    for queue in (target.names.quarantine_queue, target.names.quarantine_dlq):
        url = target.queue_url(queue)
        to_redrive: list[Quarantined] = []
        kept: list[Message] = []
        for message in receive_all(sqs, url, wait_seconds):
            report.by_queue[queue] += 1
            quarantined = parse(message)
            if quarantined is None:
                report.by_reason["(not a quarantine message)"] += 1
                report.unreadable_kept += 1
                kept.append(message)
                continue
            report.by_reason[quarantined.reason] += 1
            if reason is not None and not quarantined.reason.startswith(reason):
                kept.append(message)
                continue
            report.matched += 1
            if quarantined.payload is None:
                report.truncated_kept += 1
                kept.append(message)
            else:
                to_redrive.append(quarantined)
        if dry_run:
            kept += [q.message for q in to_redrive]
        else:
            accepted, refused = _put(kinesis, target.names.stream, to_redrive)
            delete(sqs, accepted)
            kept += refused
            report.redriven += len(accepted)
            report.put_failed += len(refused)
        release(sqs, kept)
    return report


def _put(kinesis: Any, stream: str, records: list[Quarantined]) -> tuple[list[Message], list[Message]]:
    """(messages whose record Kinesis accepted, those it refused)."""
    accepted: list[Message] = []
    refused: list[Message] = []
    for chunk in _chunks(records):
        entries = [
            {"Data": q.payload.encode(), "PartitionKey": q.partition_key} for q in chunk if q.payload is not None
        ]
        response = kinesis.put_records(StreamName=stream, Records=entries)
        for quarantined, result in zip(chunk, response["Records"], strict=True):
            (refused if result.get("ErrorCode") else accepted).append(quarantined.message)
    return accepted, refused


def _chunks(records: list[Quarantined]) -> list[list[Quarantined]]:
    chunks: list[list[Quarantined]] = [[]]
    size = 0
    for record in records:
        record_bytes = len((record.payload or "").encode()) + len(record.partition_key.encode())
        if chunks[-1] and (len(chunks[-1]) >= PUT_RECORDS_MAX or size + record_bytes > PUT_RECORDS_MAX_BYTES):
            chunks.append([])
            size = 0
        chunks[-1].append(record)
        size += record_bytes
    return [chunk for chunk in chunks if chunk]
