"""What Lambda's Kinesis event source mapping hands over and writes: the invocation event and context, the
partial-batch response it reads, the on-failure destination record, and the mapping's counters."""

from __future__ import annotations

import base64
import json
import threading
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any


@dataclass
class LambdaContext:
    function_name: str
    aws_request_id: str
    invoked_function_arn: str
    memory_limit_in_mb: int = 512
    deadline: float = field(default_factory=lambda: time.time() + 60)

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.deadline - time.time()) * 1000))


@dataclass
class MappingStats:
    invocations: int = 0
    records_delivered: int = 0
    records_checkpointed: int = 0
    function_errors: int = 0
    partial_failures: int = 0
    bisections: int = 0
    retries: int = 0
    records_discarded: int = 0
    on_failure_messages: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, **counts: int) -> None:
        with self._lock:
            for name, value in counts.items():
                setattr(self, name, getattr(self, name) + value)

    def as_dict(self) -> dict[str, int]:
        with self._lock:
            return {k: v for k, v in vars(self).items() if not k.startswith("_")}


@dataclass(frozen=True)
class StreamRecord:
    sequence_number: str
    partition_key: str
    data: bytes
    arrival: datetime
    fetched_at: float


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def first_failed_index(response: Any, batch: list[StreamRecord]) -> int | None:
    """None when the handler's response reports success, else the index of the lowest failed record (0 = all)."""
    if not isinstance(response, dict) or not response.get("batchItemFailures"):
        return None
    positions = {record.sequence_number: index for index, record in enumerate(batch)}
    failed = []
    for failure in response["batchItemFailures"]:
        identifier = failure.get("itemIdentifier") if isinstance(failure, dict) else None
        if not identifier or identifier not in positions:
            return 0  # Lambda treats an empty or unknown identifier as a failure of the whole batch
        failed.append(positions[identifier])
    return min(failed)


def kinesis_event(batch: list[StreamRecord], shard_id: str, stream_arn: str, region: str) -> dict[str, Any]:
    """The event Lambda sends for a Kinesis batch (data base64, eventID "<shard>:<sequence number>")."""
    return {
        "Records": [
            {
                "kinesis": {
                    "kinesisSchemaVersion": "1.0",
                    "partitionKey": record.partition_key,
                    "sequenceNumber": record.sequence_number,
                    "data": base64.b64encode(record.data).decode("ascii"),
                    "approximateArrivalTimestamp": record.arrival.timestamp(),
                },
                "eventSource": "aws:kinesis",
                "eventVersion": "1.0",
                "eventID": f"{shard_id}:{record.sequence_number}",
                "eventName": "aws:kinesis:record",
                "invokeIdentityArn": "arn:aws:iam::123456789012:role/processor",
                "awsRegion": region,
                "eventSourceARN": stream_arn,
            }
            for record in batch
        ]
    }


def stream_records(
    payloads: Sequence[bytes | Mapping[str, Any]],
    first_sequence: int,
    arrival: datetime = datetime(2024, 3, 1, 12, tzinfo=UTC),
) -> list[StreamRecord]:
    """Records as if read from a stream: POST bodies (JSON, keyed by customer_id) or raw bytes (key "x"), with
    increasing sequence numbers from `first_sequence`; for tests and benchmarks that feed the handler directly."""
    return [
        StreamRecord(
            sequence_number=str(first_sequence + i),
            partition_key=str(payload.get("customer_id", "x")) if not isinstance(payload, bytes) else "x",
            data=payload if isinstance(payload, bytes) else json.dumps(payload).encode(),
            arrival=arrival,
            fetched_at=0.0,
        )
        for i, payload in enumerate(payloads)
    ]


def on_failure_message(
    records: list[StreamRecord], shard_id: str, stream_arn: str, function_arn: str, condition: str, invoke_count: int
) -> dict[str, Any]:
    """The record Lambda sends to an on-failure destination for a discarded Kinesis batch."""
    return {
        "requestContext": {
            "requestId": str(uuid.uuid4()),
            "functionArn": function_arn,
            "condition": condition,
            "approximateInvokeCount": invoke_count,
        },
        "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
        "version": "1.0",
        "timestamp": _iso(datetime.now(UTC)),
        "KinesisBatchInfo": {
            "shardId": shard_id,
            "startSequenceNumber": records[0].sequence_number,
            "endSequenceNumber": records[-1].sequence_number,
            "approximateArrivalOfFirstRecord": _iso(records[0].arrival),
            "approximateArrivalOfLastRecord": _iso(records[-1].arrival),
            "batchSize": len(records),
            "streamArn": stream_arn,
        },
    }
