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

import itertools
import json
import logging
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from typing import Any

from contracts.aws import EVENT_SOURCE, EventSourceSettings
from securebank.emulator.lambda_shapes import (
    LambdaContext,
    MappingStats,
    StreamRecord,
    first_failed_index,
    kinesis_event,
    on_failure_message,
)

Handler = Callable[[dict[str, Any], Any], Any]
__all__ = ["KinesisEventSourceMapping", "ShardConsumer", "first_failed_index"]
log = logging.getLogger(__name__)
FILLING_POLL_INTERVAL = 0.05
"""The shortest wait between GetRecords while records wait for their batch to fill (idle: `poll_interval`). The
next poll is timed for when the batch should be full at the rate records arrived since the last one: a full batch
no longer waits up to a whole `poll_interval` (0.2 s) for the poll that finds it, for one or two more GetRecords a
batch."""


class ShardConsumer:
    """One shard's poller and checkpoint. `step` invokes at most one batch; it is the unit the tests drive."""

    def __init__(self, mapping: KinesisEventSourceMapping, shard_id: str) -> None:
        self.mapping = mapping
        self.shard_id = shard_id
        self.pending: deque[StreamRecord] = deque()
        self.split_sizes: deque[int] = deque()
        self.attempts = 0
        self.invoke_count = 0
        self.arrival_rate = 0.0  # records per second seen by the last poll
        self._polled_at: float | None = None
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
        if self._polled_at is not None and now > self._polled_at:
            self.arrival_rate = len(page["Records"]) / (now - self._polled_at)
        self._polled_at = now
        for raw in page["Records"]:
            arrival = raw["ApproximateArrivalTimestamp"]
            self.pending.append(StreamRecord(raw["SequenceNumber"], raw["PartitionKey"], raw["Data"], arrival, now))
        return len(page["Records"])

    def next_poll_in(self, idle: float) -> float:
        """Seconds until the next GetRecords: `idle` with nothing pending; else when the batch should be full (at the
        last arrival rate) or its window ends, whichever is first, but not sooner than FILLING_POLL_INTERVAL."""
        if not self.pending:
            return idle
        missing = self._limit() - len(self.pending)
        full_in = missing / self.arrival_rate if self.arrival_rate > 0 else idle
        window = self.mapping.settings.maximum_batching_window_seconds
        window_in = window - (self.mapping.clock() - self.pending[0].fetched_at)
        return max(FILLING_POLL_INTERVAL, min(idle, full_in, window_in))

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
        expired = list(itertools.takewhile(lambda r: now - r.arrival.timestamp() > max_age, self.pending))
        if expired:
            # The on-failure record first: if it cannot be sent, the records stay and are tried again.
            self.mapping.discard(self.shard_id, expired, "RecordAgeExceeded", self.invoke_count)
            for _ in expired:
                self.pending.popleft()
            self.split_sizes.clear()
            self.attempts = 0

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
            self.mapping.discard(self.shard_id, remaining, "RetryAttemptsExhausted", self.invoke_count)
            for _ in remaining:  # only once the on-failure record is sent
                self.pending.popleft()
            if self.split_sizes:
                self.split_sizes.popleft()
            self.attempts = 0
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
        shard_ids: list[str] | None = None,
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
        self.consumers = [
            ShardConsumer(self, shard["ShardId"])
            for shard in shards
            if shard_ids is None or shard["ShardId"] in shard_ids
        ]

    def event(self, shard_id: str, batch: list[StreamRecord]) -> dict[str, Any]:
        return kinesis_event(batch, shard_id, self.stream_arn, self.region)

    def invoke(self, shard_id: str, batch: list[StreamRecord]) -> tuple[int | None, bool]:
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

    def discard(self, shard_id: str, records: list[StreamRecord], condition: str, invoke_count: int) -> None:
        """Send the on-failure record for `records` (raises if it cannot; the caller keeps them then)."""
        if self.sqs is not None and self.on_failure_queue_url is not None:
            message = on_failure_message(records, shard_id, self.stream_arn, self.function_arn, condition, invoke_count)
            self.sqs.send_message(QueueUrl=self.on_failure_queue_url, MessageBody=json.dumps(message))
            self.stats.add(on_failure_messages=1)
        self.stats.add(records_discarded=len(records))

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
                    self._stop.wait(consumer.next_poll_in(self.poll_interval))
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
