"""The local stack's outbox pipe: the Transactions table's stream -> filter -> enrichment -> the fraud bus.

It stands for the deployed EventBridge Pipe (components/outbox.py) as esm.py stands for the Kinesis event source
mapping. A thread polls every shard of the table's stream (moto keeps stream records for PutItem, UpdateItem and
TransactWriteItems), keeps the records FLAGGED_STREAM_FILTER matches (the same pattern the pipe is given), calls
handlers.flag_events.lambda_handler with batches of at most FLAGGED_PIPE_BATCH_SIZE records, and puts what it returns
on the bus with one PutEvents a batch (Source FLAGGED_EVENT_SOURCE, DetailType FLAGGED_DETAIL_TYPE).

At least once, like the pipe: a batch whose enrichment or PutEvents fails (a call error or any failed entry) is sent
again, whole, on the next poll; the shard's position moves past records only once they are all delivered. Unlike
the pipe, there is no retry limit, no bisection and no DLQ, and reading starts at TRIM_HORIZON: the pipe emulator
starts with the table, so that is the deployed pipe's LATEST at creation without a race on the first records.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from adapters.flag_detail import detail_text, matches
from contracts.aws import FLAGGED_DETAIL_TYPE, FLAGGED_EVENT_SOURCE, FLAGGED_PIPE_BATCH_SIZE, FLAGGED_STREAM_FILTER
from handlers import flag_events

Enrichment = Callable[[list[dict[str, Any]], object], list[dict[str, Any]]]
POLL_SECONDS = 0.1
GET_RECORDS_LIMIT = 1000


@dataclass
class PipeStats:
    records_read: int = 0
    records_matched: int = 0
    events_put: int = 0
    put_events_calls: int = 0
    failed_batches: int = 0
    last_error: str | None = None


@dataclass
class _Shard:
    iterator: str | None
    pending: list[dict[str, Any]] = field(default_factory=list)


class OutboxPipe:
    def __init__(self, streams: Any, events: Any, stream_arn: str, bus_name: str,
                 enrichment: Enrichment = flag_events.lambda_handler) -> None:  # fmt: skip
        self._streams, self._events = streams, events
        self._stream_arn, self._bus_name, self._enrich = stream_arn, bus_name, enrichment
        self._shards: dict[str, _Shard] = {}
        self._caught_up = False
        self._passes = 0  # completed passes: a wait counts only a pass that began after it
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.stats = PipeStats()

    def poll_once(self) -> int:
        """One pass over every shard: read what is new, deliver what matches. Returns the events put; raises (and
        keeps the failed batch pending) when a batch cannot be delivered."""
        put = 0
        read = 0
        for shard_id in self._shard_ids():
            shard = self._shards[shard_id]
            if not shard.pending and shard.iterator is not None:
                response = self._streams.get_records(ShardIterator=shard.iterator, Limit=GET_RECORDS_LIMIT)
                shard.iterator = response.get("NextShardIterator")
                records = response["Records"]
                read += len(records)
                shard.pending = [record for record in records if matches(FLAGGED_STREAM_FILTER, record)]
                self.stats.records_read += len(records)
                self.stats.records_matched += len(shard.pending)
            while shard.pending:
                batch = shard.pending[:FLAGGED_PIPE_BATCH_SIZE]
                put += self._deliver(batch)
                del shard.pending[: len(batch)]
        self._caught_up = read == 0 and not any(shard.pending for shard in self._shards.values())
        self._passes += 1
        return put

    def _shard_ids(self) -> list[str]:
        shards = self._streams.describe_stream(StreamArn=self._stream_arn)["StreamDescription"]["Shards"]
        for shard in shards:
            if shard["ShardId"] not in self._shards:
                iterator = self._streams.get_shard_iterator(
                    StreamArn=self._stream_arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
                )["ShardIterator"]
                self._shards[shard["ShardId"]] = _Shard(iterator)
        return list(self._shards)

    def _deliver(self, batch: list[dict[str, Any]]) -> int:
        details = self._enrich(batch, None)
        if not details:
            return 0
        entries = [{"EventBusName": self._bus_name, "Source": FLAGGED_EVENT_SOURCE,
                    "DetailType": FLAGGED_DETAIL_TYPE, "Detail": detail_text(d)} for d in details]  # fmt: skip
        self.stats.put_events_calls += 1
        response = self._events.put_events(Entries=entries)
        if response.get("FailedEntryCount"):
            raise RuntimeError(f"{response['FailedEntryCount']} of {len(entries)} TransactionFlagged not accepted")
        self.stats.events_put += len(entries)
        return len(entries)

    def start(self) -> OutboxPipe:
        self._thread = threading.Thread(target=self._run, name="outbox-pipe", daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.poll_once()
            except Exception as error:  # the pipe retries any failure; the stats name the last
                self.stats.failed_batches += 1
                self.stats.last_error = f"{type(error).__name__}: {error}"
                self._caught_up = False
                self._passes += 1
            if self._caught_up:
                self._stop.wait(POLL_SECONDS)

    def wait_caught_up(self, timeout: float) -> bool:
        """True once a pass found nothing new and nothing pending (the events written so far are on the bus)."""
        deadline, first = time.monotonic() + timeout, self._passes + 2
        while time.monotonic() < deadline:
            if self._passes >= first and self._caught_up:
                return True
            time.sleep(POLL_SECONDS / 2)
        return False

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
