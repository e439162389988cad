"""moto as a server in its own process, with one lock per AWS service.

moto is not thread-safe: concurrent Kinesis PutRecord(s) race on sequence numbers and silently drop acknowledged
records, and concurrent DynamoDB transactions lose updates. The server still accepts connections on many threads,
but a request runs only while it holds its service's lock (the service is read from the SigV4 credential scope).
Its own process keeps moto's CPU off the GIL of the API and the event source mapping emulator.

`python -m securebank.emulator.moto_server` prints `PORT <n>` once it listens on 127.0.0.1 and serves until killed.
"""

from __future__ import annotations

import gc
import os
import re
import subprocess
import sys
import threading
from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any

_SCOPE = re.compile(r"Credential=[^/]+/[^/]+/[^/]+/([^/]+)/aws4_request")
_QUIET_ENV = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}


def service_of(environ: dict[str, Any]) -> str:
    """The AWS service a request is signed for, or "other" (moto-api, unsigned calls)."""
    match = _SCOPE.search(environ.get("HTTP_AUTHORIZATION", ""))
    return match.group(1) if match else "other"


class ServiceLockMiddleware:
    """WSGI middleware: requests of one service run one at a time, different services run side by side."""

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self._app = app
        self._locks: defaultdict[str, threading.Lock] = defaultdict(threading.Lock)
        self._guard = threading.Lock()

    def _lock(self, service: str) -> threading.Lock:
        with self._guard:
            return self._locks[service]

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        with self._lock(service_of(environ)):
            # consume the body inside the lock: moto builds responses lazily in some services
            return list(self._app(environ, start_response))


def serve(port: int = 0, ready: Callable[[int], None] | None = None) -> None:
    from moto.server import (  # type: ignore[attr-defined]  # moto re-exports these implicitly
        DomainDispatcherApplication,
        create_backend_app,
    )
    from werkzeug.serving import WSGIRequestHandler, make_server

    from securebank.emulator import moto_patches

    moto_patches.apply()

    class QuietHandler(WSGIRequestHandler):
        def log_request(self, *args: Any, **kwargs: Any) -> None:
            pass

    app = ServiceLockMiddleware(DomainDispatcherApplication(create_backend_app))
    server = make_server("127.0.0.1", port, app, threaded=True, request_handler=QuietHandler)
    # moto keeps every item as a tree of small objects; full collections over a growing heap stall requests
    gc.freeze()
    gc.set_threshold(50_000, 50, 1000)
    if ready is not None:
        ready(server.port)
    server.serve_forever()


class MotoServer:
    """A moto server subprocess on a loopback port chosen at run time."""

    def __init__(self) -> None:
        env = {**os.environ, **_QUIET_ENV}
        self._process = subprocess.Popen(
            [sys.executable, "-m", "securebank.emulator.moto_server"],
            stdout=subprocess.PIPE,
            env=env,
            text=True,
        )
        assert self._process.stdout is not None
        line = self._process.stdout.readline()
        if not line.startswith("PORT "):
            self._process.kill()
            raise RuntimeError(f"moto server did not start: {line!r}")
        self.port = int(line.split()[1])
        self.endpoint_url = f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        return self._process.pid

    def stop(self) -> None:
        if self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()

    def __enter__(self) -> MotoServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


SERVICE_GROUPS: tuple[tuple[str, ...], ...] = (("kinesis",), ("dynamodb", "dynamodbstreams"), ("s3", "sqs"))
"""One moto process per group. In one process, the API's many small Kinesis calls wait for the GIL behind
DynamoDB's CPU-heavy transactions (each socket read gives the GIL away); separate processes remove that convoy.
DynamoDB Streams reads the dynamodb backend's records: it must be served by the same process."""


class MotoCluster:
    """Several moto servers, one per service group; `service_endpoints` maps each service to its server."""

    def __init__(self, groups: tuple[tuple[str, ...], ...] = SERVICE_GROUPS) -> None:
        self.servers: list[MotoServer] = []
        try:
            for _ in groups:
                self.servers.append(MotoServer())
        except BaseException:
            self.stop()
            raise
        self.service_endpoints = {
            service: server.endpoint_url
            for group, server in zip(groups, self.servers, strict=True)
            for service in group
        }
        self.endpoint_url = self.servers[-1].endpoint_url  # anything not listed goes to the last group's server

    @property
    def pids(self) -> dict[str, int]:
        return {"+".join(group): server.pid for group, server in zip(SERVICE_GROUPS, self.servers, strict=False)}

    def stop(self) -> None:
        for server in self.servers:
            server.stop()

    def __enter__(self) -> MotoCluster:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


if __name__ == "__main__":
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole group; the parent stops us with SIGTERM
    serve(0, lambda port: print(f"PORT {port}", flush=True))
