"""A Kinesis event source mapping emulator that follows Lambda's documented semantics.

Per shard, one batch at a time, at most `batch_size` records, after at most `maximum_batching_window_seconds`:
- the handler gets the event Lambda sends (Records[].kinesis.{data, sequenceNumber, partitionKey, ...});
- ReportBatchItemFailures: the checkpoint moves to the lowest failed sequence number and the batch is retried from
  there; an empty or unknown itemIdentifier, or an exception, fails the whole batch;
- BisectBatchOnFunctionError: a failed batch of n > 1 records is split in two halves retried one after the other.
  Splits do not consume retries; a batch that can no longer be split (or any batch without bisect) consumes one;
- after `maximum_retry_attempts` retries, or when its oldest record is older than `maximum_record_age_seconds`, the
  batch is discarded and an on-failure record with its KinesisBatchInfo goes to the SQS destination.
The checkpoint lives in memory: after a restart the mapping starts again from `starting_position`.
"""

from __future__ import annotations

import base64
import json
import logging
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from contracts.aws import EVENT_SOURCE, EventSourceSettings

Handler = Callable[[dict[str, Any], Any], Any]
log = logging.getLogger(__name__)


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
class _Record:
    sequence_number: str
    partition_key: str
    data: bytes
    arrival: datetime
    fetched_at: float


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def first_failed_index(response: Any, batch: list[_Record]) -> int | None:
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


class ShardConsumer:
    """One shard's poller and checkpoint. `step` invokes at most one batch; it is the unit the tests drive."""

    def __init__(self, mapping: KinesisEventSourceMapping, shard_id: str) -> None:
        self.mapping = mapping
        self.shard_id = shard_id
        self.pending: deque[_Record] = deque()
        self.split_sizes: deque[int] = deque()
        self.attempts = 0
        self.invoke_count = 0
        self._iterator: str | None = mapping.kinesis.get_shard_iterator(
            StreamName=mapping.stream_name, ShardId=shard_id, ShardIteratorType=mapping.settings.starting_position
        )["ShardIterator"]

    def poll(self) -> int:
        """Fetch new records into the pending buffer; returns how many arrived."""
        if self._iterator is None or len(self.pending) >= 10 * self.mapping.settings.batch_size:
            return 0
        page = self.mapping.kinesis.get_records(ShardIterator=self._iterator, Limit=1000)
        self._iterator = page.get("NextShardIterator")
        now = self.mapping.clock()
        for raw in page["Records"]:
            arrival = raw["ApproximateArrivalTimestamp"]
            self.pending.append(_Record(raw["SequenceNumber"], raw["PartitionKey"], raw["Data"], arrival, now))
        return len(page["Records"])

    def _limit(self) -> int:
        return self.split_sizes[0] if self.split_sizes else self.mapping.settings.batch_size

    def ready(self, flush: bool = False) -> bool:
        if not self.pending:
            return False
        if flush or len(self.pending) >= self._limit():
            return True
        return (
            self.mapping.clock() - self.pending[0].fetched_at >= self.mapping.settings.maximum_batching_window_seconds
        )

    def _expire_old_records(self) -> None:
        max_age = self.mapping.settings.maximum_record_age_seconds
        if max_age < 0:
            return
        now = self.mapping.clock()
        expired = []
        while self.pending and now - self.pending[0].arrival.timestamp() > max_age:
            expired.append(self.pending.popleft())
        if expired:
            self.split_sizes.clear()
            self.attempts = 0
            self.mapping.discard(self.shard_id, expired, "RecordAgeExceeded", self.invoke_count)

    def step(self, flush: bool = False) -> bool:
        """Invoke the handler on the next batch if one is ready; returns whether it did."""
        self._expire_old_records()
        if not self.ready(flush):
            return False
        batch = list(self.pending)[: self._limit()]
        self.invoke_count += 1
        failed_at, function_error = self.mapping.invoke(self.shard_id, batch)
        if failed_at is None:
            self._checkpoint(len(batch))
            return True
        settings = self.mapping.settings
        if failed_at > 0:  # partial failure: everything before the lowest failed record is done
            self._checkpoint(failed_at, keep_split=True)
            if self.split_sizes:
                self.split_sizes[0] = len(batch) - failed_at
        if function_error and settings.bisect_batch_on_function_error and len(batch) > 1:
            half = (len(batch) + 1) // 2
            if self.split_sizes:
                self.split_sizes.popleft()
            self.split_sizes.extendleft([len(batch) - half, half])
            self.mapping.stats.add(bisections=1)
            return True
        self.attempts += 1
        self.mapping.stats.add(retries=1)
        retries = settings.maximum_retry_attempts
        if 0 <= retries < self.attempts:
            remaining = batch[failed_at:]
            for _ in remaining:
                self.pending.popleft()
            if self.split_sizes:
                self.split_sizes.popleft()
            self.attempts = 0
            self.mapping.discard(self.shard_id, remaining, "RetryAttemptsExhausted", self.invoke_count)
        return True

    def _checkpoint(self, count: int, keep_split: bool = False) -> None:
        for _ in range(count):
            self.pending.popleft()
        self.attempts = 0
        self.invoke_count = 0
        if self.split_sizes and not keep_split:
            self.split_sizes.popleft()
        self.mapping.stats.add(records_checkpointed=count)


class KinesisEventSourceMapping:
    """Feeds a stream's shards to `handler(event, context)`; run it with `start()`/`stop()` or drive it with
    `drain()` (synchronous, for tests)."""

    def __init__(
        self,
        *,
        kinesis: Any,
        stream_name: str,
        stream_arn: str,
        handler: Handler,
        settings: EventSourceSettings = EVENT_SOURCE,
        sqs: Any = None,
        on_failure_queue_url: str | None = None,
        function_name: str = "processor",
        region: str = "us-east-1",
        clock: Callable[[], float] = time.time,
        poll_interval: float = 0.2,
    ) -> None:
        self.kinesis = kinesis
        self.stream_name = stream_name
        self.stream_arn = stream_arn
        self.handler = handler
        self.settings = settings
        self.sqs = sqs
        self.on_failure_queue_url = on_failure_queue_url
        self.function_name = function_name
        self.function_arn = f"arn:aws:lambda:{region}:123456789012:function:{function_name}"
        self.region = region
        self.clock = clock
        self.poll_interval = poll_interval
        self.stats = MappingStats()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        shards = kinesis.list_shards(StreamName=stream_name)["Shards"]
        self.consumers = [ShardConsumer(self, shard["ShardId"]) for shard in shards]

    def event(self, shard_id: str, batch: list[_Record]) -> dict[str, Any]:
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
                    "awsRegion": self.region,
                    "eventSourceARN": self.stream_arn,
                }
                for record in batch
            ]
        }

    def invoke(self, shard_id: str, batch: list[_Record]) -> tuple[int | None, bool]:
        """(index of the lowest failed record or None, whether it was a function error)."""
        context = LambdaContext(self.function_name, str(uuid.uuid4()), self.function_arn)
        self.stats.add(invocations=1, records_delivered=len(batch))
        try:
            response = self.handler(self.event(shard_id, batch), context)
        except Exception:  # a crashed invocation fails the whole batch, as in Lambda (and is logged, as there)
            log.exception("invocation failed on %s (%d records)", shard_id, len(batch))
            self.stats.add(function_errors=1)
            return 0, True
        failed_at = first_failed_index(response, batch)
        if failed_at is None:
            return None, False
        self.stats.add(partial_failures=1)
        whole = failed_at == 0 and not any(
            isinstance(f, dict) and f.get("itemIdentifier") == batch[0].sequence_number
            for f in response["batchItemFailures"]
        )
        return failed_at, whole

    def discard(self, shard_id: str, records: list[_Record], condition: str, invoke_count: int) -> None:
        self.stats.add(records_discarded=len(records))
        if self.sqs is None or self.on_failure_queue_url is None:
            return
        message = {
            "requestContext": {
                "requestId": str(uuid.uuid4()),
                "functionArn": self.function_arn,
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
                "streamArn": self.stream_arn,
            },
        }
        self.sqs.send_message(QueueUrl=self.on_failure_queue_url, MessageBody=json.dumps(message))
        self.stats.add(on_failure_messages=1)

    def drain(self, max_steps: int = 10_000) -> None:
        """Synchronously deliver everything on the stream now, ignoring the batching window (for tests)."""
        for _ in range(max_steps):
            busy = False
            for consumer in self.consumers:
                busy |= consumer.poll() > 0
                busy |= consumer.step(flush=True)
            if not busy:
                return
        raise RuntimeError(f"the stream did not drain in {max_steps} steps")

    def idle(self) -> bool:
        return all(not consumer.pending for consumer in self.consumers)

    def _run(self, consumer: ShardConsumer) -> None:
        while not self._stop.is_set():
            try:
                consumer.poll()
                if not consumer.step():
                    # Kinesis allows 5 GetRecords per second and shard; Lambda polls about once a second when idle
                    self._stop.wait(self.poll_interval)
            except Exception:  # Kinesis or SQS unreachable for a moment: back off and poll again
                log.exception("polling %s failed", consumer.shard_id)
                self._stop.wait(self.poll_interval * 4)

    def start(self) -> None:
        for consumer in self.consumers:
            thread = threading.Thread(target=self._run, args=(consumer,), name=f"esm-{consumer.shard_id}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=30)
