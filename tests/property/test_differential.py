"""The differential adversarial harness (securebank/verify/): adversarial workloads through the processor Lambda on
moto, driven by the event source mapping emulator with injected faults, and through the backtest's in-memory replay;
the two must agree on what is stored, decided, profiled, quarantined and archived, and account for every record.

A bounded number of examples here; `python -m securebank verify --examples N` soaks it longer.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, example, given, settings

from handlers.bootstrap import ProcessorDependencies
from handlers.processor import handle
from securebank.verify import injection
from securebank.verify.compare import compare
from securebank.verify.engine import HARNESS_POLICY, verify
from securebank.verify.faults import (
    BISECT,
    CANCELLATION,
    CRASH,
    REDELIVERY,
    S3_FAILURE,
    SQS_FAILURE,
    SUBSET_REDELIVERY,
    THROTTLE,
    Cancellation,
    Crash,
    FaultPlan,
    FunctionError,
    InvocationFaults,
    Redelivery,
    S3Failure,
    SqsFailure,
    SubsetRedelivery,
    Throttle,
)
from securebank.verify.reference import run_reference
from securebank.verify.strategies import EXTREME_TIMESTAMPS, RECEIPT_START, fault_plans, workloads
from securebank.verify.workload import Line, Workload

EXAMPLES = 40


def body(transaction_id: str, customer: str, at: datetime | str, **overrides: object) -> bytes:
    fields = {
        "transaction_id": transaction_id,
        "customer_id": customer,
        "amount": "12.50",
        "currency": "USD",
        "merchant_id": "m1",
        "merchant_category": "grocery",
        "timestamp": at if isinstance(at, str) else at.isoformat(),
        "location": {"latitude": 40.7128, "longitude": -74.006},
    }
    return json.dumps({**fields, **overrides}).encode()


def line(data: bytes, customer: str, second: int) -> Line:
    return Line(data, customer, RECEIPT_START + timedelta(seconds=second))


def small_workload() -> Workload:
    """Two customers sharing an id, a conflicting and an identical resubmission, and a poison record."""
    at = RECEIPT_START
    return Workload(
        (
            (
                line(body("t1", "ann", at), "ann", 1),
                line(body("t1", "ben", at, amount="99.00"), "ben", 1),
                line(b"{not json", "ann", 2),
                line(body("t2", "ann", at + timedelta(seconds=5)), "ann", 2),
                line(body("t1", "ann", at, amount="13.00"), "ann", 3),
                line(body("t1", "ben", at, amount="99.00"), "ben", 3),
                line(body("t3", "cy", at, currency="JPY", amount="5000"), "cy", 4),
            ),
        )
    )


def the_issues_instants() -> Workload:
    """The instants the API accepted and the processor overflowed on, for customers east and west of UTC."""
    lines = [line(body(f"x{i}", customer, text), customer, i) for i, text in enumerate(EXTREME_TIMESTAMPS)
             for customer in ("ann", "ben")]  # fmt: skip
    return Workload((tuple(lines), (line(body("ok", "ann", RECEIPT_START), "ann", 60),)))


def a_burst() -> Workload:
    """105 records of one customer in a row: the handler defers the 100th and later ones to the next delivery."""
    return Workload((tuple(line(body(f"b{i}", "ann", RECEIPT_START + timedelta(seconds=i)), "ann", 200 + i)
                           for i in range(105)),))  # fmt: skip


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
)
@given(workload=workloads(max_waves=3, max_lines=15), plan=fault_plans())
@example(workload=small_workload(), plan=FaultPlan((InvocationFaults((Crash(2),)),)))
@example(workload=the_issues_instants(), plan=FaultPlan((InvocationFaults((S3Failure(),), FunctionError()),)))
@example(workload=a_burst(), plan=FaultPlan((InvocationFaults((Throttle(),)), InvocationFaults((Crash(1),)))))
def test_the_processor_on_moto_with_faults_agrees_with_the_in_memory_replay(workload: Workload, plan: FaultPlan):
    verdict = verify(workload, plan)

    assert verdict.agrees, verdict.explain(workload, plan)


FAULTS = {
    THROTTLE: InvocationFaults((Throttle(),)),
    CANCELLATION: InvocationFaults((Cancellation(action=1),)),
    S3_FAILURE: InvocationFaults((S3Failure(),)),
    SQS_FAILURE: InvocationFaults((SqsFailure(),)),
    CRASH: InvocationFaults((Crash(1),)),
    REDELIVERY: InvocationFaults(delivery=Redelivery()),
    SUBSET_REDELIVERY: InvocationFaults(delivery=SubsetRedelivery(3)),
    BISECT: InvocationFaults(delivery=FunctionError()),
}


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_each_fault_happens_and_the_paths_still_agree(fault: str):
    plan = FaultPlan((FAULTS[fault], FAULTS[fault]))

    verdict = verify(small_workload(), plan)

    assert verdict.covered[fault] >= 1
    assert verdict.agrees, verdict.explain()


def test_a_plan_never_has_more_than_two_faulty_invocations_in_a_row():
    faulty = InvocationFaults((Throttle(),))

    plan = FaultPlan.of([faulty] * 5)

    assert [f.clean for f in plan.invocations] == [False, False, True, False, False]


Change = Callable[[dict[str, object]], dict[str, object]]


@pytest.mark.parametrize(
    ("aspect", "change"),
    [
        ("stored items", lambda o: {"stored": dict(list(o["stored"].items())[1:])}),
        ("decisions", lambda o: {"stored": {k: (t, attrs.evolve(d, is_fraud=not d.is_fraud))
                                            for k, (t, d) in o["stored"].items()}}),
        ("profiles", lambda o: {"profiles": {c: attrs.evolve(p, total_fraud_flags=7)
                                            for c, p in o["profiles"].items()}}),
        ("quarantine", lambda o: {"quarantined": {n: ("body: other",) for n in o["quarantined"]}}),
        ("lake", lambda o: {"lake": o["lake"][1:]}),
        ("on-failure", lambda o: {"discarded": 1}),
    ],
)  # fmt: skip
def test_the_comparison_notices_when_the_real_path_loses_or_changes_anything(aspect: str, change: Change):
    workload = small_workload()
    reference = run_reference(workload, HARNESS_POLICY)
    broken = attrs.evolve(reference, **change(attrs.asdict(reference, recurse=False)))

    found = compare(workload, reference, broken)

    assert aspect in {d.aspect for d in found}
    assert compare(workload, reference, reference) == []


def test_the_harness_notices_a_processor_that_loses_the_last_record_of_each_batch(monkeypatch: pytest.MonkeyPatch):
    def losing(event: dict[str, Any], deps: ProcessorDependencies) -> dict[str, Any]:
        return handle({"Records": event["Records"][:-1]}, deps)

    monkeypatch.setattr(injection, "handle", losing)

    verdict = verify(small_workload(), FaultPlan())

    assert {"stored items", "decisions", "accounting"} <= {d.aspect for d in verdict.disagreements}
