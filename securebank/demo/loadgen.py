"""Paced HTTP load against a local API on 127.0.0.1: request i leaves at start + i / rate, whatever the latency.

Used by `demo` (the workload, with a progress callback) and `load` (a bounded load test). Client-side retries:
a 429 or a connection error is retried with backoff, as a well-behaved client would; the first 201 counts.
"""

from __future__ import annotations

import asyncio
import json
import math
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any
from urllib.parse import urlsplit

from contracts.aws import API_KEY_HEADER, TRANSACTIONS_PATH

RETRYABLE = frozenset({429, 502, 503})


@dataclass
class SendResult:
    transaction_id: str
    status: int
    sent_at: float  # wall clock (time.time) when the first attempt left
    latency_ms: float  # of the final attempt
    attempts: int
    error: dict[str, Any] | None = None


@dataclass
class LoadResult:
    results: list[SendResult] = field(default_factory=list)
    started: float = 0.0
    finished: float = 0.0

    @property
    def elapsed(self) -> float:
        return max(self.finished - self.started, 1e-9)


def ensure_loopback(url: str) -> None:
    host = urlsplit(url).hostname
    if host not in ("127.0.0.1", "localhost", "::1"):
        raise ValueError(f"load is only sent to the loopback interface, not {host}")


class _Connection:
    """One keep-alive HTTP/1.1 connection; httpx's pool costs milliseconds of CPU per request at this rate."""

    def __init__(self, host: str, port: int, api_key: str) -> None:
        self.host, self.port = host, port
        self.head = f"POST {TRANSACTIONS_PATH} HTTP/1.1\r\nHost: {host}:{port}\r\n{API_KEY_HEADER}: {api_key}\r\n"
        self.head += "Content-Type: application/json\r\n"
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def post(self, content: bytes) -> tuple[int, bytes]:
        if self.writer is None or self.writer.is_closing():
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        try:
            self.writer.write(f"{self.head}Content-Length: {len(content)}\r\n\r\n".encode() + content)
            status_line = await self.reader.readline()
            if not status_line:
                raise ConnectionError("connection closed by the server")
            status = int(status_line.split()[1])
            length, close = 0, False
            while (line := await self.reader.readline()) not in (b"\r\n", b""):
                name, _, value = line.decode("latin-1").partition(":")
                if name.lower() == "content-length":
                    length = int(value)
                elif name.lower() == "connection" and value.strip().lower() == "close":
                    close = True
            body = await self.reader.readexactly(length) if length else b""
        except (OSError, ValueError, IndexError, asyncio.IncompleteReadError):
            self.close()
            raise
        if close:
            self.close()
        return status, body

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.writer = None


async def _send(connection: _Connection, body: dict[str, Any], sent_at: float, max_attempts: int) -> SendResult:
    content = json.dumps(body, separators=(",", ":")).encode()
    status, latency, error = 0, 0.0, None
    attempt = 0
    for attempt in range(1, max_attempts + 1):
        begin = time.perf_counter()
        try:
            status, raw = await connection.post(content)
            error = None if status == HTTPStatus.CREATED else json.loads(raw).get("error")
        except (OSError, ValueError, IndexError, asyncio.IncompleteReadError) as exc:
            status, error = 0, {"code": type(exc).__name__, "message": str(exc)}
        latency = (time.perf_counter() - begin) * 1000
        if status not in RETRYABLE and status != 0:
            break
        await asyncio.sleep(min(0.05 * 2**attempt, 1.0))
    return SendResult(str(body.get("transaction_id")), status, sent_at, latency, attempt, error)


async def send_paced(
    base_url: str,
    api_key: str,
    bodies: Iterable[dict[str, Any]],
    rate: float,
    *,
    on_result: Callable[[SendResult], None] | None = None,
    max_attempts: int = 4,
    connections: int = 64,
    deadline_seconds: float | None = None,
) -> LoadResult:
    """Each request leaves when it is due on a free keep-alive connection; latency is measured from that moment
    (a request that waited for a connection in the client counts the wait too: `sent_at` is its due time)."""
    ensure_loopback(base_url)
    parts = urlsplit(base_url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    idle: asyncio.Queue[_Connection] = asyncio.Queue()
    for _ in range(connections):
        idle.put_nowait(_Connection(host, port, api_key))
    result = LoadResult(started=time.time())
    loop = asyncio.get_running_loop()
    start = loop.time()
    wall_start = time.time()
    tasks: list[asyncio.Task[SendResult]] = []

    async def one(body: dict[str, Any], due: float) -> SendResult:
        connection = await idle.get()
        try:
            outcome = await _send(connection, body, wall_start + due, max_attempts)
            outcome.latency_ms += max(0.0, (loop.time() - start - due) * 1000 - outcome.latency_ms)
            return outcome
        finally:
            idle.put_nowait(connection)

    def done(task: asyncio.Task[SendResult]) -> None:
        if on_result is not None and not task.cancelled() and task.exception() is None:
            on_result(task.result())

    for index, body in enumerate(bodies):
        due = index / rate
        if deadline_seconds is not None and due >= deadline_seconds:
            break
        delay = start + due - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        task = asyncio.create_task(one(body, due))
        task.add_done_callback(done)
        tasks.append(task)
    result.results = list(await asyncio.gather(*tasks))
    result.finished = time.time()
    while not idle.empty():
        idle.get_nowait().close()
    return result


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100); 0.0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, min(len(ordered), math.ceil(q / 100 * len(ordered))))
    return ordered[rank - 1]
