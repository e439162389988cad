"""Counting the processor's AWS calls, and injecting faults into them, with botocore event hooks.

Every botocore client created while the processor handler runs (its composition root builds them on the first
invocation) gets two `before-call` hooks: one counts the call as `service.Operation`, the other may short-circuit it
with an error response, exactly as if AWS had answered it (botocore raises the ClientError; no SDK retry happens,
so the handler sees every injected fault). The event source mapping's own clients are created outside the handler
and are neither counted nor faulted.

Faults (each a probability, drawn from a seeded random.Random):
- dynamodb_throttle: TransactWriteItems answers ThrottlingException (400);
- s3_error: PutObject answers 503 SlowDown;
- crash_mid_batch: the handler processes the first half of the batch, then the invocation crashes;
- duplicate_delivery: a successfully processed batch is delivered a second time.
"""

from __future__ import annotations

import math
import os
import random
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

import botocore.session
from botocore.awsrequest import AWSResponse

from contracts.aws import ENV_TRANSACTIONS_TABLE

Handler = Callable[[dict[str, Any], Any], Any]


@dataclass(frozen=True)
class ChaosSettings:
    dynamodb_throttle: float = 0.0
    s3_error: float = 0.0
    crash_mid_batch: float = 0.0
    duplicate_delivery: float = 0.0
    seed: int = 7

    @classmethod
    def demo(cls) -> ChaosSettings:
        return cls(dynamodb_throttle=0.05, s3_error=0.03, crash_mid_batch=0.03, duplicate_delivery=0.05)

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


def _value_size(value: dict[str, Any]) -> int:
    """Size of one low-level AttributeValue ({"S": ...}, {"N": ...}, {"M": {...}}, ...), as DynamoDB counts it."""
    kind, inner = next(iter(value.items()))
    if kind == "S":
        return len(inner.encode())
    if kind == "N":
        return len(inner.lstrip("-").replace(".", "")) // 2 + 2
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "M":
        return 3 + item_size(inner)
    if kind == "L":
        return 3 + sum(_value_size(v) for v in inner)
    if kind in ("SS", "BS"):
        return sum(len(v if isinstance(v, bytes) else str(v).encode()) for v in inner)
    if kind == "NS":
        return sum(len(v) // 2 + 2 for v in inner)
    return len(inner) if isinstance(inner, bytes) else len(str(inner))


def item_size(item: dict[str, Any]) -> int:
    """DynamoDB's size of an item in AttributeValue form: attribute names plus values."""
    return sum(len(name.encode()) + _value_size(value) for name, value in item.items())


class _InHandler(threading.local):
    active = False
    call_started = 0.0


class ProcessorInstrumentation:
    """Install once per process with `install()`; wrap the handler with `wrap(handler)`."""

    def __init__(self, chaos: ChaosSettings | None = None) -> None:
        self.chaos = chaos or ChaosSettings()
        self.calls: Counter[str] = Counter()
        self.injected: Counter[str] = Counter()
        self.units: Counter[str] = Counter()  # DynamoDB request units, estimated from the request items' sizes
        self.handler_seconds = 0.0
        self.call_ms: Counter[str] = Counter()  # wall time spent in each operation, as the handler saw it
        self.invocations = 0
        self._transactions_table = os.environ.get(ENV_TRANSACTIONS_TABLE, "")
        self._random = random.Random(self.chaos.seed)
        self._lock = threading.Lock()
        self._local = _InHandler()

    def _draw(self, probability: float) -> bool:
        if probability <= 0:
            return False
        with self._lock:
            return self._random.random() < probability

    def _count(self, event_name: str, params: dict[str, Any] | None = None, **kwargs: Any) -> None:
        _, service, operation = event_name.split(".", 2)  # before-parameter-build: once per call, API params
        units = self._request_units(service, operation, params or {})
        self._local.call_started = time.perf_counter()
        with self._lock:
            self.calls[f"{service}.{operation}"] += 1
            self.units.update(units)

    def _timed(self, event_name: str, **kwargs: Any) -> None:
        _, service, operation = event_name.split(".", 2)
        elapsed = (time.perf_counter() - self._local.call_started) * 1000
        with self._lock:
            # a Counter of float milliseconds: typeshed types Counter values as int
            self.call_ms[f"{service}.{operation}"] += elapsed  # type: ignore[assignment]

    def _request_units(self, service: str, operation: str, params: dict[str, Any]) -> Counter[str]:
        """On-demand request units of a DynamoDB call. A transactional write costs 2 WRU per KB of item; a write to
        the Transactions table is repeated, at 1 WRU per KB, in each of its 2 GSIs and its LSI (projection ALL).
        A ConditionCheck costs 2 RRU; BatchGetItem 0.5 RRU per item (1 if consistent), items under 4 KB."""
        units: Counter[str] = Counter()
        if service != "dynamodb":
            return units
        if operation == "TransactWriteItems":
            for action in params.get("TransactItems", []):
                kind, body = next(iter(action.items()))
                if kind == "ConditionCheck":
                    units["read_units"] += 2
                    continue
                size_kb = math.ceil(max(item_size(body.get("Item") or body.get("Key") or {}), 1) / 1024)
                indexes = 3 if body.get("TableName") == self._transactions_table else 0
                units["write_units"] += 2 * size_kb + indexes * size_kb
        elif operation == "BatchGetItem":
            for request in params.get("RequestItems", {}).values():
                # half units are real here: typeshed types Counter values as int
                units["read_units"] += (1 if request.get("ConsistentRead") else 0.5) * len(request.get("Keys", []))  # type: ignore[assignment]
        return units

    def _fault(self, event_name: str, **kwargs: Any) -> tuple[AWSResponse, dict[str, Any]] | None:
        _, service, operation = event_name.split(".", 2)
        if service == "dynamodb" and operation == "TransactWriteItems" and self._draw(self.chaos.dynamodb_throttle):
            return self._error("dynamodb_throttle", 400, "ThrottlingException", "Rate of requests exceeds the allowed")
        if service == "s3" and operation == "PutObject" and self._draw(self.chaos.s3_error):
            return self._error("s3_error", 503, "SlowDown", "Please reduce your request rate.")
        return None

    def _error(self, fault: str, status: int, code: str, message: str) -> tuple[AWSResponse, dict[str, Any]]:
        with self._lock:
            self.injected[fault] += 1
        parsed = {"Error": {"Code": code, "Message": message}, "ResponseMetadata": {"HTTPStatusCode": status}}
        return AWSResponse("https://chaos.local", status, {}, None), parsed

    def install(self) -> None:
        """Patch botocore so that clients created inside the handler get the hooks."""
        original = botocore.session.Session.create_client
        instrumentation = self

        def create_client(session: Any, *args: Any, **kwargs: Any) -> Any:
            client = original(session, *args, **kwargs)
            if instrumentation._local.active:
                client.meta.events.register("before-parameter-build", instrumentation._count)
                client.meta.events.register_last("before-call", instrumentation._fault)
                client.meta.events.register("after-call", instrumentation._timed)
            return client

        self._original_create_client = original
        botocore.session.Session.create_client = create_client

    def uninstall(self) -> None:
        original = getattr(self, "_original_create_client", None)
        if original is not None:
            botocore.session.Session.create_client = original

    def wrap(self, handler: Handler) -> Handler:
        def instrumented(event: dict[str, Any], context: Any) -> Any:
            self._local.active = True
            begin = time.perf_counter()
            try:
                records = event.get("Records") or []
                if len(records) > 1 and self._draw(self.chaos.crash_mid_batch):
                    with self._lock:
                        self.injected["crash_mid_batch"] += 1
                    handler({**event, "Records": records[: len(records) // 2]}, context)
                    raise RuntimeError("chaos: the function crashed in the middle of the batch")
                response = handler(event, context)
                failed = isinstance(response, dict) and response.get("batchItemFailures")
                if not failed and records and self._draw(self.chaos.duplicate_delivery):
                    with self._lock:
                        self.injected["duplicate_delivery"] += 1
                    response = handler(event, context)  # the same batch again, as after a lost checkpoint
                return response
            finally:
                self._local.active = False
                with self._lock:
                    self.handler_seconds += time.perf_counter() - begin
                    self.invocations += 1

        return instrumented

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                "calls": dict(self.calls),
                "injected": dict(self.injected),
                "units": dict(self.units),
                "handler_seconds": self.handler_seconds,
                "call_ms": {op: round(ms, 1) for op, ms in self.call_ms.items()},
                "handler_invocations": self.invocations,
                "chaos": self.chaos.as_dict(),
            }
