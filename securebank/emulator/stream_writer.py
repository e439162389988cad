"""Batch accepted requests into Kinesis PutRecords calls, as the local API's stand-in for API Gateway's PutRecord.

One PutRecord per request costs moto 5-8 ms of CPU; one PutRecords of many records costs about 0.1 ms a record.
Requests queue up while a call is in flight and go out together in the next one (after a short linger when the
queue was empty). Each request's future resolves only once its own record is on the stream, or with the error
API Gateway would map: throughput exceeded -> 429, any other rejection -> 502. A failed record never reads as put.
"""

from __future__ import annotations

import asyncio
import contextlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

MAX_RECORDS_PER_CALL = 500
MAX_BYTES_PER_CALL = 4 * 1024 * 1024  # PutRecords allows 5 MiB; keep a margin for partition keys
THROTTLE_CODES = frozenset({"ProvisionedThroughputExceededException", "LimitExceededException", "ThrottlingException"})


@dataclass(frozen=True)
class Accepted:
    sequence_number: str
    shard_id: str


class StreamRejected(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def _rejection(error_code: str, message: str, http_status: int | None) -> StreamRejected:
    if error_code in THROTTLE_CODES:
        return StreamRejected(429, "throttled", "The stream is over its throughput; retry with backoff")
    detail = (
        "rejected the record"
        if http_status is not None and HTTPStatus.BAD_REQUEST <= http_status < HTTPStatus.INTERNAL_SERVER_ERROR
        else "is unavailable"
    )
    return StreamRejected(502, "upstream_error", f"The stream {detail} ({error_code})")


@dataclass
class _Pending:
    data: bytes
    partition_key: str
    future: asyncio.Future[Accepted]


class StreamWriter:
    def __init__(self, kinesis: Any, stream_name: str, *, linger_seconds: float = 0.005) -> None:
        self._kinesis = kinesis
        self._stream_name = stream_name
        self._linger = linger_seconds
        self._queue: asyncio.Queue[_Pending] | None = None
        self._executor: ThreadPoolExecutor | None = None
        self._task: asyncio.Task[None] | None = None
        self.calls = 0
        """PutRecords calls made (batching is observable in tests)."""

    async def start(self) -> None:
        """Bind to the running event loop (an app can be started again on another loop)."""
        self._queue = asyncio.Queue()
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="put-records")
        self._task = asyncio.create_task(self._run(self._queue, self._executor))

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._executor is not None:
            self._executor.shutdown(wait=False)

    async def put(self, data: bytes, partition_key: str) -> Accepted:
        """Resolves when the record is on the stream; raises StreamRejected otherwise."""
        if self._queue is None or self._task is None:
            raise RuntimeError("StreamWriter.start() was not called")
        if self._task.done():
            raise StreamRejected(502, "upstream_error", "The stream writer has stopped")
        future: asyncio.Future[Accepted] = asyncio.get_running_loop().create_future()
        await self._queue.put(_Pending(data, partition_key, future))
        return await future

    async def _run(self, queue: asyncio.Queue[_Pending], executor: ThreadPoolExecutor) -> None:
        loop = asyncio.get_running_loop()
        carry: _Pending | None = None
        while True:
            batch = [carry if carry is not None else await queue.get()]
            carry = None
            if queue.empty():
                await asyncio.sleep(self._linger)
            size = len(batch[0].data)
            while not queue.empty() and len(batch) < MAX_RECORDS_PER_CALL:
                nxt = queue.get_nowait()
                if size + len(nxt.data) > MAX_BYTES_PER_CALL:
                    carry = nxt  # first of the next call, so the order within a partition key is kept
                    break
                batch.append(nxt)
                size += len(nxt.data)
            try:
                outcomes = await loop.run_in_executor(executor, self._put_records, batch)
                if len(outcomes) != len(batch):
                    raise ValueError(f"{len(outcomes)} results for {len(batch)} records")
            except Exception as exc:  # never leave a request waiting: an unexpected answer fails this batch only
                failed = StreamRejected(502, "upstream_error", f"The stream gave an unexpected answer ({exc!r})")
                outcomes = [failed] * len(batch)
            for pending, outcome in zip(batch, outcomes, strict=True):
                if pending.future.done():
                    continue
                if isinstance(outcome, StreamRejected):
                    pending.future.set_exception(outcome)
                else:
                    pending.future.set_result(outcome)

    def _put_records(self, batch: list[_Pending]) -> list[Accepted | StreamRejected]:
        entries = [{"Data": p.data, "PartitionKey": p.partition_key} for p in batch]
        self.calls += 1
        try:
            response = self._kinesis.put_records(StreamName=self._stream_name, Records=entries)
        except ClientError as exc:
            error = exc.response.get("Error", {})
            status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            return [_rejection(error.get("Code", "Unknown"), error.get("Message", ""), status)] * len(batch)
        except (BotoCoreError, OSError) as exc:
            return [StreamRejected(502, "upstream_error", f"The stream is unavailable ({type(exc).__name__})")] * len(
                batch
            )
        results: list[Accepted | StreamRejected] = []
        for record in response["Records"]:
            if record.get("ErrorCode"):
                results.append(_rejection(record["ErrorCode"], record.get("ErrorMessage", ""), 400))
            else:
                results.append(Accepted(record["SequenceNumber"], record["ShardId"]))
        return results
