"""The whole local stack: moto, the resources from contracts/, the event source mapping and the API, each in its
own process. Use it as a context manager; `serve` and `demo` both do."""

from __future__ import annotations

import json
import secrets
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import boto3

from securebank.emulator.cputime import cpu_by_component
from securebank.emulator.instrumentation import InstrumentationSpec
from securebank.emulator.moto_server import MotoCluster
from securebank.emulator.pipe import OutboxPipe
from securebank.emulator.processes import FAKE_CREDENTIALS, ChildConfig, ChildProcess
from securebank.emulator.resources import LOCAL_REGION, LocalResources, create_resources


@dataclass(frozen=True)
class StackOptions:
    api_port: int = 0
    api_key: str | None = None
    instrumentation: InstrumentationSpec | None = None  # what wraps the processor in each mapping process
    batching_window_seconds: float | None = None
    workdir: Path | None = None
    policy_cache_seconds: float | None = None
    """How long the processor keeps the release record (default: the contracts value, as deployed); the demo's loop
    sets it short so that a policy put in shadow is picked up within it."""


def merge_stats(parts: list[dict[str, Any]]) -> dict[str, Any]:
    """Sum counters (nested dicts of numbers included); `idle` holds when it holds in every part."""

    def add(left: Any, right: Any) -> Any:
        if isinstance(left, dict) and isinstance(right, dict):
            return {key: add(left.get(key), right.get(key)) if key in left else right[key] for key in {**left, **right}}
        if isinstance(left, bool) or isinstance(right, bool):
            return left
        if isinstance(left, int | float) and isinstance(right, int | float):
            return left + right
        return left if left is not None else right

    merged = parts[0]
    for part in parts[1:]:
        merged = add(merged, part)
    merged["idle"] = all(part.get("idle") for part in parts)
    if "settings" in parts[0]:  # configuration, the same in every part: not a counter
        merged["settings"] = parts[0]["settings"]
    return merged


NOT_COUNTERS = frozenset({"idle", "settings"})


def subtract_stats(after: dict[str, Any], before: dict[str, Any]) -> dict[str, Any]:
    """The counters of `after` less those of `before` (what happened between two snapshots); anything that is not
    a counter (idle, settings) is taken from `after`."""
    result: dict[str, Any] = {}
    for key, value in after.items():
        earlier = before.get(key)
        if key in NOT_COUNTERS:
            result[key] = value
        elif isinstance(value, dict):
            result[key] = subtract_stats(value, earlier if isinstance(earlier, dict) else {})
        elif isinstance(value, int | float) and not isinstance(value, bool) and isinstance(earlier, int | float):
            result[key] = value - earlier
        else:
            result[key] = value
    return result


class LocalStack:
    def __init__(self, options: StackOptions | None = None) -> None:
        self.options = options or StackOptions()
        self.api_key = self.options.api_key or secrets.token_urlsafe(24)
        self._tmp = tempfile.TemporaryDirectory(prefix="securebank-") if self.options.workdir is None else None
        self.workdir = Path(self._tmp.name) if self._tmp else Path(self.options.workdir)  # type: ignore[arg-type]
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.session = boto3.Session(
            region_name=LOCAL_REGION,
            aws_access_key_id=FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        )
        self.moto: MotoCluster | None = None
        self.esm: list[ChildProcess] = []
        self.api: ChildProcess | None = None
        self.resources: LocalResources | None = None
        self.pipe: OutboxPipe | None = None

    def start(self) -> LocalStack:
        try:
            self.moto = MotoCluster()
            self.resources = create_resources(
                self.session, self.moto.endpoint_url, service_endpoints=self.moto.service_endpoints
            )
            config = ChildConfig(
                resources=asdict(self.resources),
                workdir=str(self.workdir),
                api_key=self.api_key,
                api_port=self.options.api_port,
                instrumentation=asdict(self.options.instrumentation) if self.options.instrumentation else None,
                batching_window_seconds=self.options.batching_window_seconds,
                policy_cache_seconds=self.options.policy_cache_seconds,
            )
            self.start_children(config, self.resources.stream_name)
            self.pipe = self.outbox_pipe().start()
        except BaseException:
            self.stop()
            raise
        return self

    def start_children(self, config: ChildConfig, stream_name: str) -> None:
        """The API and the event source mapping processes over the stack's resources. One mapping process per
        shard, as Lambda runs each shard's batches in its own execution environment: two handlers in one interpreter
        would wait for each other's GIL on every socket read."""
        shards = self.client("kinesis").list_shards(StreamName=stream_name)["Shards"]
        for instance, shard in enumerate(shards):
            shard_config = replace(config, shard_ids=[shard["ShardId"]], instance=instance)
            self.esm.append(ChildProcess("esm", shard_config, self.workdir / f"esm-{instance}.log"))
        self.api = ChildProcess("api", config, self.workdir / "api.log")

    def outbox_pipe(self) -> OutboxPipe:
        """The flags' outbox (securebank/emulator/pipe.py): the Transactions table's stream to the fraud bus."""
        assert self.resources is not None and self.resources.transactions_stream_arn is not None
        assert self.resources.event_bus_name is not None
        return OutboxPipe(self.client("dynamodbstreams"), self.client("events"), self.resources.transactions_stream_arn,
                          self.resources.event_bus_name)  # fmt: skip

    @property
    def api_url(self) -> str:
        assert self.api is not None, "start() first"
        return f"http://127.0.0.1:{self.api.detail}"

    def client(self, service: str) -> Any:
        assert self.resources is not None, "start() first"
        return self.session.client(service, endpoint_url=self.resources.endpoint_for(service))

    def alive(self) -> bool:
        return bool(self.api and self.api.alive() and self.esm and all(child.alive() for child in self.esm))

    def esm_stats(self) -> dict[str, Any]:
        """The mapping processes' stats, summed (idle only when every one is idle)."""
        parts = [json.loads(path.read_text()) for path in sorted(self.workdir.glob("esm-stats-*.json"))]
        if len(parts) < len(self.esm):
            return {}
        return merge_stats(parts)

    def process_ids(self) -> dict[str, list[int]]:
        """The stack's processes by component: moto (one per service group), the API, the mapping (one per shard)."""
        return {
            "moto": [server.pid for server in self.moto.servers] if self.moto else [],
            "api": [self.api.pid] if self.api else [],
            "event_source_mapping": [child.pid for child in self.esm],
        }

    def cpu_seconds(self) -> dict[str, float] | None:
        """CPU seconds used so far by each component, and by each moto service group (`moto:kinesis`, ...); None
        where /proc cannot be read."""
        pids = self.process_ids()
        if self.moto is not None:
            pids |= {f"moto:{group}": [pid] for group, pid in self.moto.pids.items()}
        return cpu_by_component(pids)

    def esm_log_bytes(self) -> int:
        return sum(path.stat().st_size for path in self.workdir.glob("esm-*.log"))

    def wait_until_drained(
        self, records_on_stream: int, timeout: float, progress: Callable[[int], None] | None = None
    ) -> dict[str, Any]:
        """Poll the event source mapping's stats until it has checkpointed (or discarded) `records_on_stream`
        records and holds nothing; returns the last stats (check them: the timeout is not an error here)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            stats = self.esm_stats()
            mapping = stats.get("mapping", {})
            done = mapping.get("records_checkpointed", 0) + mapping.get("records_discarded", 0)
            if progress is not None:
                progress(done)
            if done >= records_on_stream and stats.get("idle"):
                break
            time.sleep(0.25)
        time.sleep(0.3)  # the stats file is rewritten every 0.25 s
        if self.pipe is not None:  # the cases of what was processed are on the bus (and in the cases queue)
            self.pipe.wait_caught_up(max(deadline - time.monotonic(), 1.0))
        return self.esm_stats()

    def stop(self) -> None:
        if self.pipe is not None:
            self.pipe.stop()
        for child in [self.api, *self.esm]:
            if child is not None:
                child.stop()
        if self.moto is not None:
            self.moto.stop()

    def cleanup(self) -> None:
        if self._tmp is not None:
            self._tmp.cleanup()

    def __enter__(self) -> LocalStack:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
        self.cleanup()
