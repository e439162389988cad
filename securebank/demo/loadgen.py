"""Paced HTTP load against a local API on 127.0.0.1: request i leaves at start + i / rate, whatever the latency.

`load --sigv4 --url URL` also sends to a deployed stack's URL, given explicitly, each request signed with SigV4.

Used by `demo` (the workload, with a progress callback) and `load` (a bounded load test). Client-side retries:
a 429 or a connection error is retried with backoff, as a well-behaved client would; the first 201 counts.
"""

from __future__ import annotations

import asyncio
import json
import math
import ssl
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any
from urllib.parse import urlsplit

from contracts.aws import API_KEY_HEADER, TRANSACTIONS_PATH
from securebank.demo.signing import Signer, host_header

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


@dataclass(frozen=True)
class Target:
    """Where the POSTs go: `<base_url>/v1/transactions`, with an API key, a SigV4 signer, or both."""

    host: str
    port: int
    path: str
    host_header: str
    tls: bool
    api_key: str | None = None
    sign: Signer | None = None

    @classmethod
    def of(cls, base_url: str, api_key: str | None, sign: Signer | None = None) -> Target:
        parts = urlsplit(base_url)
        tls = parts.scheme == "https"
        host = parts.hostname or "127.0.0.1"
        port = parts.port or (443 if tls else 80)
        path = parts.path.rstrip("/") + TRANSACTIONS_PATH
        return cls(host, port, path, host_header(host, port, parts.scheme or "http"), tls, api_key, sign)


class _Connection:
    """One keep-alive HTTP/1.1 connection; httpx's pool costs milliseconds of CPU per request at this rate.

    A `sign`ed connection adds each request's SigV4 headers (securebank/demo/signing.py) to the fixed head."""

    def __init__(self, target: Target) -> None:
        self.target = target
        self.head = f"POST {target.path} HTTP/1.1\r\nHost: {target.host_header}\r\n"
        if target.api_key:
            self.head += f"{API_KEY_HEADER}: {target.api_key}\r\n"
        self.head += "Content-Type: application/json\r\n"
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    def request(self, content: bytes) -> bytes:
        head = self.head
        if self.target.sign is not None:
            signed = self.target.sign(self.target.path, content)
            head += "".join(f"{name}: {value}\r\n" for name, value in signed.items())
        return f"{head}Content-Length: {len(content)}\r\n\r\n".encode() + content

    async def post(self, content: bytes) -> tuple[int, bytes]:
        if self.writer is None or self.writer.is_closing():
            tls = ssl.create_default_context() if self.target.tls else None
            self.reader, self.writer = await asyncio.open_connection(self.target.host, self.target.port, ssl=tls)
        assert self.reader is not None
        try:
            self.writer.write(self.request(content))
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
    api_key: str | None,
    bodies: Iterable[dict[str, Any]],
    rate: float,
    *,
    on_result: Callable[[SendResult], None] | None = None,
    max_attempts: int = 4,
    connections: int = 64,
    deadline_seconds: float | None = None,
    sign: Signer | None = None,
    remote: bool = False,
) -> LoadResult:
    """Each request leaves when it is due on a free keep-alive connection; latency is measured from that moment
    (a request that waited for a connection in the client counts the wait too: `sent_at` is its due time).

    Only the loopback interface is a target, unless `remote` (the caller's explicit URL of a deployed stack)."""
    if not remote:
        ensure_loopback(base_url)
    target = Target.of(base_url, api_key, sign)
    idle: asyncio.Queue[_Connection] = asyncio.Queue()
    for _ in range(connections):
        idle.put_nowait(_Connection(target))
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
