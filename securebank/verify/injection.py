"""Making a fault plan happen: botocore event hooks on the handler's boto3 session answer or crash its AWS calls,
and a wrapper around `handlers.processor.handle` plays the event source mapping's side (redeliveries, function
errors). The mapping's own clients are created from another session and are never faulted."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from http import HTTPStatus
from typing import Any

from botocore.awsrequest import AWSResponse

from handlers.bootstrap import ProcessorDependencies
from handlers.processor import handle
from securebank.verify.faults import (
    BISECT,
    CANCELLATION,
    CRASH,
    REDELIVERY,
    S3_FAILURE,
    SQS_FAILURE,
    SUBSET_REDELIVERY,
    THROTTLE,
    AwsFault,
    Cancellation,
    Crash,
    FaultPlan,
    FunctionError,
    Redelivery,
    S3Failure,
    SqsFailure,
    SubsetRedelivery,
    Throttle,
)

TRANSACT_WRITE = "dynamodb.TransactWriteItems"
PUT_OBJECT = "s3.PutObject"
SEND_MESSAGE = "sqs.SendMessage"
WRITES = frozenset({TRANSACT_WRITE, PUT_OBJECT, SEND_MESSAGE})
BURST_RECORDS = 100  # one customer's records filling a whole batch of the contract's size
BURST_IN_ONE_BATCH = "batch with >99 records of one customer"
TWO_COMMIT_CALLS = "invocation with 2+ TransactWriteItems calls"


class FunctionCrashed(BaseException):
    """The function's process died (a timeout, an out-of-memory kill): nothing in it may catch this."""


def _error(code: str, status: int, **extra: Any) -> tuple[AWSResponse, dict[str, Any]]:
    parsed = {"Error": {"Code": code, "Message": "injected by the harness"}, "ResponseMetadata": {}, **extra}
    parsed["ResponseMetadata"]["HTTPStatusCode"] = status
    return AWSResponse("https://fault.invalid", status, {}, None), parsed


class FaultInjector:
    """Hooks on a session (register before any client is created from it); `arm` the faults of an invocation."""

    def __init__(self, session: Any, covered: Counter[str]) -> None:
        self.covered = covered
        self._faults: tuple[AwsFault, ...] = ()
        self._calls: Counter[str] = Counter()
        self._writes = 0
        self._actions = 0
        session.events.register(f"before-parameter-build.{TRANSACT_WRITE}", self._count_actions)
        session.events.register("before-call", self._answer)
        session.events.register("after-call", self._after)

    def arm(self, faults: tuple[AwsFault, ...]) -> None:
        self._faults, self._calls, self._writes = faults, Counter(), 0

    def disarm(self) -> None:
        self._faults = ()

    def _count_actions(self, params: dict[str, Any], **_: Any) -> None:
        self._actions = len(params.get("TransactItems") or [])

    def calls(self, operation: str) -> int:
        """How many `operation` calls (`service.Operation`) the invocation made so far."""
        return self._calls[operation]

    def _answer(self, event_name: str, **_: Any) -> tuple[AWSResponse, dict[str, Any]] | None:
        operation = event_name.split(".", 1)[1]
        self._calls[operation] += 1
        call = self._calls[operation]
        for fault in self._faults:
            if getattr(fault, "call", None) != call:
                continue
            if isinstance(fault, Throttle) and operation == TRANSACT_WRITE:
                self.covered[THROTTLE] += 1
                return _error("ProvisionedThroughputExceededException", 400)
            if isinstance(fault, Cancellation) and operation == TRANSACT_WRITE and self._actions:
                self.covered[CANCELLATION] += 1
                reasons = [{"Code": "None"}] * self._actions
                reasons[fault.action % self._actions] = {"Code": fault.code, "Message": "injected"}
                return _error("TransactionCanceledException", 400, CancellationReasons=reasons)
            if isinstance(fault, S3Failure) and operation == PUT_OBJECT:
                self.covered[S3_FAILURE] += 1
                return _error("SlowDown", 503)
            if isinstance(fault, SqsFailure) and operation == SEND_MESSAGE:
                self.covered[SQS_FAILURE] += 1
                return _error("ServiceUnavailable", 503)
        return None

    def _after(self, event_name: str, http_response: Any, **_: Any) -> None:
        failed = http_response.status_code >= HTTPStatus.MULTIPLE_CHOICES
        if not self._faults or event_name.split(".", 1)[1] not in WRITES or failed:
            return
        self._writes += 1
        if any(isinstance(f, Crash) and f.after_writes == self._writes for f in self._faults):
            self.covered[CRASH] += 1
            raise FunctionCrashed(f"crashed after write {self._writes}")


class FaultyProcessor:
    """The processor function as the event source mapping invokes it, with the plan's faults. A crash restarts it
    cold: the next invocation bootstraps its dependencies again, as a new Lambda execution environment would."""

    def __init__(
        self,
        cold_start: Callable[[], ProcessorDependencies],
        injector: FaultInjector,
        plan: FaultPlan,
        covered: Counter[str],
    ) -> None:
        self._cold_start = cold_start
        self._injector = injector
        self._plan = plan
        self._covered = covered
        self._deps: ProcessorDependencies | None = None
        self.invocations = 0

    def __call__(self, event: dict[str, Any], context: object) -> dict[str, Any]:
        faults = self._plan.at(self.invocations)
        self.invocations += 1
        records = event["Records"]
        if max(Counter(r["kinesis"]["partitionKey"] for r in records).values()) >= BURST_RECORDS:
            self._covered[BURST_IN_ONE_BATCH] += 1
        deps = self._deps = self._deps or self._cold_start()
        self._injector.arm(faults.aws)
        try:
            response = handle(event, deps)
        except FunctionCrashed:
            self._deps = None
            raise RuntimeError("the function crashed") from None
        finally:
            self._injector.disarm()
        if self._injector.calls(TRANSACT_WRITE) > 1:
            self._covered[TWO_COMMIT_CALLS] += 1
        delivery = faults.delivery
        if isinstance(delivery, Redelivery) and not response["batchItemFailures"]:
            self._covered[REDELIVERY] += 1
            response = handle(event, deps)
        elif isinstance(delivery, SubsetRedelivery):
            self._covered[SUBSET_REDELIVERY] += 1
            failed = {f["itemIdentifier"] for f in response["batchItemFailures"]}
            failed |= {r["kinesis"]["sequenceNumber"] for r in records[delivery.start % len(records) :]}
            response = {"batchItemFailures": [{"itemIdentifier": s} for s in sorted(failed, key=int)]}
        elif isinstance(delivery, FunctionError):
            self._covered[BISECT] += 1
            raise RuntimeError("the function failed after doing its work")
        return response
