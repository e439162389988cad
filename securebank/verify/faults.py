"""Fault plans of the differential harness: what goes wrong in each invocation of the processor.

Two kinds of faults, both of things that happen in production:
- AWS faults, answered by botocore event hooks on the handler's session as if AWS had answered them: a DynamoDB
  throttle or a cancellation of the k-th TransactWriteItems call, a failure of the k-th S3 PutObject or SQS
  SendMessage, and a crash of the function (a timeout, an out-of-memory kill) right after its k-th write succeeded;
- delivery faults, made by the event source mapping's side: the batch delivered again after the handler succeeded
  (a lost checkpoint), a random suffix reported failed (a subset redelivery), and a function error after the work
  was done (the mapping bisects the batch).

A plan lists the faults of successive invocations; after the list, invocations are clean. It never has more than
MAX_CONSECUTIVE_FAULTY invocations in a row, below the mapping's maximum_retry_attempts (5), so retries always
suffice and nothing may reach the on-failure destination.
"""

from __future__ import annotations

from collections.abc import Iterable

from attrs import frozen

MAX_CONSECUTIVE_FAULTY = 2

# Fault classes, counted in the coverage table when a fault actually happened.
REDELIVERY = "redelivery of a processed batch"
SUBSET_REDELIVERY = "subset redelivery (suffix reported failed)"
BISECT = "function error (bisect)"
THROTTLE = "DynamoDB throttle"
CANCELLATION = "DynamoDB TransactionCanceled"
S3_FAILURE = "S3 PutObject failure"
SQS_FAILURE = "SQS SendMessage failure"
CRASH = "crash after a write"
FAULT_CLASSES = (REDELIVERY, SUBSET_REDELIVERY, BISECT, THROTTLE, CANCELLATION, S3_FAILURE, SQS_FAILURE, CRASH)


@frozen
class Throttle:
    """The `call`-th TransactWriteItems of the invocation answers ProvisionedThroughputExceededException."""

    call: int = 1


@frozen
class Cancellation:
    """The `call`-th TransactWriteItems answers TransactionCanceledException, naming `code` for one action
    (`action` modulo the call's number of actions) and "None" for the others."""

    call: int = 1
    action: int = 0
    code: str = "TransactionConflict"


@frozen
class S3Failure:
    """The `call`-th S3 PutObject answers 503 SlowDown."""

    call: int = 1


@frozen
class SqsFailure:
    """The `call`-th SQS SendMessage answers 503 ServiceUnavailable."""

    call: int = 1


@frozen
class Crash:
    """The function dies right after its `after_writes`-th successful write (TransactWriteItems, PutObject or
    SendMessage): what was written stays written, and the next invocation starts cold."""

    after_writes: int = 1


@frozen
class Redelivery:
    """The batch is delivered again after the handler succeeded."""


@frozen
class SubsetRedelivery:
    """After the handler ran, the records from `start` (modulo the batch size) on are reported failed as well."""

    start: int = 0


@frozen
class FunctionError:
    """The invocation fails after the handler did its work (a timeout on the way out): the mapping bisects."""


AwsFault = Throttle | Cancellation | S3Failure | SqsFailure | Crash
DeliveryFault = Redelivery | SubsetRedelivery | FunctionError


@frozen
class InvocationFaults:
    aws: tuple[AwsFault, ...] = ()
    delivery: DeliveryFault | None = None

    @property
    def clean(self) -> bool:
        return not self.aws and self.delivery is None

    def describe(self) -> str:
        parts = [repr(f) for f in self.aws] + ([repr(self.delivery)] if self.delivery is not None else [])
        return ", ".join(parts) or "clean"


CLEAN = InvocationFaults()


@frozen
class FaultPlan:
    invocations: tuple[InvocationFaults, ...] = ()

    @classmethod
    def of(cls, invocations: Iterable[InvocationFaults]) -> FaultPlan:
        """The plan, with a clean invocation forced after every MAX_CONSECUTIVE_FAULTY faulty ones."""
        bounded: list[InvocationFaults] = []
        run = 0
        for drawn in invocations:
            faults = CLEAN if run == MAX_CONSECUTIVE_FAULTY else drawn
            run = 0 if faults.clean else run + 1
            bounded.append(faults)
        return cls(tuple(bounded))

    def at(self, invocation: int) -> InvocationFaults:
        """The faults of the `invocation`-th invocation (0-based); clean after the plan."""
        return self.invocations[invocation] if invocation < len(self.invocations) else CLEAN

    def describe(self) -> str:
        faulty = [f"  invocation {i + 1}: {f.describe()}" for i, f in enumerate(self.invocations) if not f.clean]
        return "\n".join(faulty) or "  no faults"
