"""Counting the processor's AWS calls, and injecting faults into them, with botocore event hooks.

Every botocore client created while the processor handler runs (its composition root builds them on the first
invocation) gets the hooks of the one call counter (securebank/measure/aws_calls.py: calls, time per call, DynamoDB
request units) and a `before-call` hook that may short-circuit the call
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

from contracts.aws import ENV_TRANSACTIONS_TABLE, TRANSACTIONS_TABLE
from securebank.measure.aws_calls import AwsCallCounter, index_keys

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


class _InHandler(threading.local):
    active = False


class ProcessorInstrumentation:
    """Install once per process with `install()`; wrap the handler with `wrap(handler)`."""

    def __init__(self, chaos: ChaosSettings | None = None) -> None:
        self.chaos = chaos or ChaosSettings()
        self.injected: Counter[str] = Counter()
        self.handler_seconds = 0.0
        self.invocations = 0
        self.counter = AwsCallCounter({os.environ.get(ENV_TRANSACTIONS_TABLE, ""): index_keys(TRANSACTIONS_TABLE)})
        self._random = random.Random(self.chaos.seed)
        self._lock = threading.Lock()
        self._local = _InHandler()

    def _draw(self, probability: float) -> bool:
        if probability <= 0:
            return False
        with self._lock:
            return self._random.random() < probability

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
                instrumentation.counter.attach(client.meta.events)
                client.meta.events.register_last("before-call", instrumentation._fault)
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
        counter = self.counter
        with self._lock:
            return {
                "calls": dict(counter.calls),
                "injected": dict(self.injected),
                "units": {"write_units": counter.write_units, "read_units": counter.read_units},
                "handler_seconds": self.handler_seconds,
                "call_ms": {op: round(1000 * seconds, 1) for op, seconds in counter.call_seconds.items()},
                "handler_invocations": self.invocations,
                "chaos": self.chaos.as_dict(),
            }
