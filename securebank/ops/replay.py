"""`ops replay-failures`: the batches the event source mapping gave up on, fetched again from Kinesis and processed.

Each on-failure message (securebank/emulator/lambda_shapes.py `on_failure_message`, Lambda's format) points at a
range of one shard: KinesisBatchInfo's shardId, startSequenceNumber, endSequenceNumber and streamArn. The range is
read with GetShardIterator AT_SEQUENCE_NUMBER + GetRecords while the stream still retains it
(STREAM_RETENTION_HOURS), and handed to the processor's own code in batches of the mapping's size
(securebank/ops/processor.py), with the records' own sequence numbers and arrival times: the same time bounds, the
same raw-lake keys, and what was stored meanwhile is recognised as a duplicate. With a parallelization factor above
1 a range also holds the other lanes' records: they come back as duplicates.

A message is deleted only when its whole range was fetched and processed with no record failed. When the range's
first record is gone (past retention, or the stream was replaced) it says so and keeps the message: those records can
only come from the raw lake or the client now.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from adapters.memory import RecordingMetrics
from contracts.aws import EVENT_SOURCE
from securebank.emulator.lambda_shapes import StreamRecord
from securebank.ops.processor import LocalProcessor
from securebank.ops.queues import Message, delete, receive_all, release
from securebank.ops.target import Target

GET_RECORDS_LIMIT = 1000
MAX_GET_RECORDS_CALLS = 10_000
"""A bound on the reads of one range (a shard's tip keeps answering empty pages)."""


@dataclass(frozen=True)
class Pointer:
    shard_id: str
    start: str
    end: str
    batch_size: int
    stream_arn: str

    @classmethod
    def of(cls, body: str) -> Pointer | None:
        try:
            info = json.loads(body)["KinesisBatchInfo"]
            return cls(
                str(info["shardId"]),
                str(info["startSequenceNumber"]),
                str(info["endSequenceNumber"]),
                int(info.get("batchSize", 0)),
                str(info["streamArn"]),
            )
        except (ValueError, KeyError, TypeError):
            return None

    @property
    def stream_name(self) -> str:
        return self.stream_arn.rsplit(":stream/", 1)[-1]


@dataclass
class PointerResult:
    pointer: Pointer | None
    status: str
    """replayed, past retention, incomplete, failed, or unreadable."""
    records: int = 0
    failed: int = 0
    detail: str = ""

    def as_json(self) -> dict[str, Any]:
        where = self.pointer
        return {
            "shard_id": where and where.shard_id,
            "start": where and where.start,
            "end": where and where.end,
            "stream_arn": where and where.stream_arn,
            "status": self.status,
            "records": self.records,
            "failed": self.failed,
            "detail": self.detail,
        }


@dataclass
class ReplayReport:
    results: list[PointerResult] = field(default_factory=list)
    counts: RecordingMetrics = field(default_factory=RecordingMetrics)

    @property
    def deleted(self) -> int:
        return sum(r.status == "replayed" for r in self.results)

    def as_json(self) -> dict[str, Any]:
        return {
            "messages": len(self.results),
            "deleted": self.deleted,
            "kept": len(self.results) - self.deleted,
            "stored": self.counts.processed,
            "duplicates": self.counts.duplicates,
            "failed": self.counts.failed,
            "quarantined": self.counts.quarantined,
            "pointers": [r.as_json() for r in self.results],
        }


def replay_failures(target: Target, *, wait_seconds: int = 1) -> ReplayReport:
    sqs, kinesis = target.client("sqs"), target.client("kinesis")
    processor = LocalProcessor(target)
    report = ReplayReport(counts=processor.counts)
    url = target.queue_url(target.names.on_failure_queue)
    done: list[Message] = []
    kept: list[Message] = []
    for message in receive_all(sqs, url, wait_seconds):
        result = _replay(kinesis, processor, Pointer.of(message.body))
        report.results.append(result)
        (done if result.status == "replayed" else kept).append(message)
    delete(sqs, done)
    release(sqs, kept)
    return report


def _replay(kinesis: Any, processor: LocalProcessor, pointer: Pointer | None) -> PointerResult:
    if pointer is None:
        return PointerResult(None, "unreadable", detail="not an on-failure record (no KinesisBatchInfo)")
    try:
        records, complete = fetch_range(kinesis, pointer)
    except ClientError as exc:
        return PointerResult(pointer, "past retention", detail=f"{exc.response['Error']['Code']}: {exc}")
    if records is None:
        return PointerResult(pointer, "past retention", detail="its first record is no longer on the stream")
    if not complete:
        return PointerResult(pointer, "incomplete", len(records), detail="the range's last record was not found")
    failed = 0
    size = EVENT_SOURCE.batch_size
    for start in range(0, len(records), size):
        failed += len(processor.run(records[start : start + size], pointer.shard_id, pointer.stream_arn))
    return PointerResult(pointer, "failed" if failed else "replayed", len(records), failed)


def fetch_range(kinesis: Any, pointer: Pointer) -> tuple[list[StreamRecord] | None, bool]:
    """(the records from start to end, whether end was reached); None when the start record is not retained."""
    iterator = kinesis.get_shard_iterator(
        StreamName=pointer.stream_name,
        ShardId=pointer.shard_id,
        ShardIteratorType="AT_SEQUENCE_NUMBER",
        StartingSequenceNumber=pointer.start,
    )["ShardIterator"]
    start, end = int(pointer.start), int(pointer.end)
    records: list[StreamRecord] = []
    for _ in range(MAX_GET_RECORDS_CALLS):
        response = kinesis.get_records(ShardIterator=iterator, Limit=GET_RECORDS_LIMIT)
        for raw in response["Records"]:
            sequence = int(raw["SequenceNumber"])
            if not records and sequence != start:
                return None, False  # trimmed: the iterator starts at the oldest record retained
            if sequence > end:
                return records, False
            records.append(stream_record(raw))
            if sequence == end:
                return records, True
        iterator = response.get("NextShardIterator")
        if not iterator or (not response["Records"] and not response.get("MillisBehindLatest")):
            break
    return (records or None), False


def stream_record(raw: dict[str, Any]) -> StreamRecord:
    return StreamRecord(
        sequence_number=raw["SequenceNumber"],
        partition_key=raw["PartitionKey"],
        data=bytes(raw["Data"]),
        arrival=raw["ApproximateArrivalTimestamp"],
        fetched_at=0.0,
    )
