"""Entry points of the local stack's child processes, and how the parent starts them.

`python -m securebank.emulator.processes esm|api` reads its configuration from the environment (SECUREBANK_LOCAL, a
JSON object), so that moto, the API and the event source mapping emulator each get their own interpreter (and GIL)
on a 2-core machine. Each child prints `READY <detail>` on stdout once it serves.
"""

from __future__ import annotations

import contextlib
import gc
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from contracts.aws import ENV_POLICY_CACHE_SECONDS
from handlers.settings import Settings
from securebank.emulator.instrumentation import Instrumentation, InstrumentationSpec, NoInstrumentation
from securebank.emulator.resources import LocalResources

CONFIG_ENV = "SECUREBANK_LOCAL"
PUT_LINGER_SECONDS = 0.05
"""How long the local API's stream writer gathers requests into one PutRecords when it was idle: at 300 requests/s
about 15 records a call instead of 3, which cuts the API's CPU per request by 40 % and moto's Kinesis CPU by 70 %
(measured 2026-11-30, 3,000 requests at 300/s); a 201 comes back up to 50 ms later."""
FAKE_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}


@dataclass(frozen=True)
class ChildConfig:
    resources: dict[str, Any]
    workdir: str
    api_key: str = ""
    api_port: int = 0
    instrumentation: dict[str, Any] | None = None  # an InstrumentationSpec, as a dict
    batching_window_seconds: float | None = None
    policy_cache_seconds: float | None = None  # the processor's POLICY_CACHE_SECONDS (default: the contracts value)
    shard_ids: list[str] | None = None
    instance: int = 0

    @property
    def instrumentation_spec(self) -> InstrumentationSpec | None:
        return InstrumentationSpec(**self.instrumentation) if self.instrumentation else None

    @property
    def local_resources(self) -> LocalResources:
        return LocalResources(**self.resources)


class ChildProcess:
    """A child started with the config in its environment; waits for its READY line."""

    def __init__(self, role: str, config: ChildConfig, log_path: Path, timeout: float = 60) -> None:
        env = {**os.environ, **FAKE_CREDENTIALS, **config.local_resources.processor_environment()}
        if config.policy_cache_seconds is not None:
            env[ENV_POLICY_CACHE_SECONDS] = str(config.policy_cache_seconds)
        env[CONFIG_ENV] = json.dumps(asdict(config))
        self._log = log_path.open("ab", buffering=0)
        self._process = subprocess.Popen(
            [sys.executable, "-m", "securebank.emulator.processes", role],
            stdout=subprocess.PIPE,
            stderr=self._log,
            env=env,
        )
        assert self._process.stdout is not None
        line = b""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            line = self._process.stdout.readline()
            if not line or line.startswith(b"READY"):
                break
        if not line.startswith(b"READY"):
            self.stop()
            raise RuntimeError(f"the {role} process did not start; see {log_path}")
        self.detail = line.decode().split(maxsplit=1)[1].strip() if len(line.split()) > 1 else ""
        # drain the rest of stdout (handler logs, EMF) so the child never blocks on a full pipe
        threading.Thread(target=self._drain, daemon=True).start()

    def _drain(self) -> None:
        assert self._process.stdout is not None
        for chunk in iter(lambda: self._process.stdout.read(65536), b""):  # type: ignore[union-attr]
            self._log.write(chunk)

    @property
    def pid(self) -> int:
        return self._process.pid

    def alive(self) -> bool:
        return self._process.poll() is None

    def stop(self, timeout: float = 15) -> None:
        if self._process.poll() is None:
            self._process.send_signal(signal.SIGTERM)
            try:
                self._process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        with contextlib.suppress(Exception):
            self._log.flush()


def _config() -> ChildConfig:
    raw = json.loads(os.environ[CONFIG_ENV])
    return ChildConfig(**{f.name: raw[f.name] for f in fields(ChildConfig) if f.name in raw})


def _wait_for_sigterm() -> threading.Event:
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    return stop


def run_esm() -> None:
    import dataclasses
    import logging

    import boto3

    from contracts.aws import EVENT_SOURCE
    from securebank.emulator.esm import KinesisEventSourceMapping

    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="%(asctime)s %(name)s %(message)s")
    config = _config()
    resources = config.local_resources
    stop = _wait_for_sigterm()
    session = boto3.Session(region_name=resources.region)
    kinesis = session.client("kinesis", endpoint_url=resources.endpoint_for("kinesis"))
    sqs = session.client("sqs", endpoint_url=resources.endpoint_for("sqs"))
    spec = config.instrumentation_spec
    instrumentation: Instrumentation = (
        spec.load(Path(config.workdir), config.instance) if spec is not None else NoInstrumentation()
    )
    instrumentation.install()
    from handlers.processor import lambda_handler

    settings = EVENT_SOURCE
    if config.batching_window_seconds is not None:
        # the local mapping takes sub-second windows (the contract's int is AWS's whole-second setting)
        window = config.batching_window_seconds
        settings = dataclasses.replace(settings, maximum_batching_window_seconds=window)  # type: ignore[arg-type]
    mapping = KinesisEventSourceMapping(
        kinesis=kinesis,
        stream_name=resources.stream_name,
        stream_arn=resources.stream_arn,
        handler=instrumentation.wrap(lambda_handler),
        settings=settings,
        sqs=sqs,
        on_failure_queue_url=resources.on_failure_queue_url,
        region=resources.region,
        shard_ids=config.shard_ids,
    )
    stats_path = Path(config.workdir) / f"esm-stats-{config.instance}.json"

    def write_stats() -> None:
        snapshot = {**instrumentation.snapshot(), "mapping": mapping.stats.as_dict(), "idle": mapping.idle()}
        snapshot["settings"] = dataclasses.asdict(settings)
        tmp = stats_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(snapshot))
        tmp.replace(stats_path)

    gc.freeze()  # the imported modules never become garbage; keep them out of every collection
    gc.set_threshold(50_000, 50, 1000)
    mapping.start()
    print("READY esm", flush=True)
    while not stop.wait(0.25):
        write_stats()
    mapping.stop()
    write_stats()


def run_api() -> None:
    import asyncio

    import boto3
    import uvicorn
    from botocore.config import Config

    from securebank.emulator.api import ApiConfig, QueryHandler, create_app
    from securebank.emulator.stream_writer import StreamWriter

    config = _config()
    resources = config.local_resources
    session = boto3.Session(region_name=resources.region)
    kinesis = session.client(
        "kinesis",
        endpoint_url=resources.endpoint_for("kinesis"),
        config=Config(retries={"mode": "standard", "max_attempts": 1}, max_pool_connections=4),
    )
    query_handler: QueryHandler | None = None
    cases_handler: QueryHandler | None = None
    with contextlib.suppress(ImportError):
        from handlers.query import lambda_handler as query_handler
    with contextlib.suppress(ImportError):
        from handlers.cases import lambda_handler as cases_handler
    writer = StreamWriter(kinesis, resources.stream_name, linger_seconds=PUT_LINGER_SECONDS)
    bounds = Settings.from_env().time_bounds
    app = create_app(ApiConfig(config.api_key, writer, query_handler, bounds, cases_handler=cases_handler))
    gc.freeze()
    gc.set_threshold(50_000, 50, 1000)
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", config.api_port))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False, backlog=2048))

    async def serve() -> None:
        task = asyncio.create_task(server.serve(sockets=[sock]))
        while not server.started:
            await asyncio.sleep(0.01)
        print(f"READY {sock.getsockname()[1]}", flush=True)
        await task

    asyncio.run(serve())


if __name__ == "__main__":
    {"esm": run_esm, "api": run_api}[sys.argv[1]]()
