"""The differential harness's engine: one workload through both paths, then the comparison.

    verdict = verify(workload, plan)
    assert verdict.agrees, verdict.explain()

The reference is the backtest's in-memory replay (securebank/verify/reference.py), the real path the processor
Lambda on moto with the plan's faults (securebank/verify/real.py). Either path raising is a disagreement too.
"""

from __future__ import annotations

import traceback
from collections import Counter
from collections.abc import Callable
from decimal import Decimal

import attrs
from attrs import frozen

from domain.policy import FraudPolicy, LargeAmountRule, MerchantRiskRule, TravelSpeedRule
from securebank.verify.compare import Disagreement, compare
from securebank.verify.faults import FaultPlan
from securebank.verify.observed import Observed
from securebank.verify.real import run_real
from securebank.verify.reference import run_reference
from securebank.verify.workload import Workload

HARNESS_POLICY = attrs.evolve(
    FraudPolicy.default(),
    version=2,
    threshold=Decimal("0.35"),
    impossible_travel=TravelSpeedRule(Decimal("0.3")),
    large_amount=LargeAmountRule(Decimal("0.3"), Decimal("5000")),
    merchant_risk=MerchantRiskRule(Decimal("0.1")),
)
"""Published to the moto lake as version 2 and given to the replay: more rules on and a low threshold, so that
decisions (and the fraud counts in profiles) vary. The merchant rule is on, so the processor looks for a merchant-risk
snapshot too (there is none: no merchant risk, as in the replay)."""


@frozen
class Verdict:
    disagreements: tuple[Disagreement, ...]
    covered: Counter[str]
    """Input classes of the workload, and the faults and mapping events that actually happened."""

    @property
    def agrees(self) -> bool:
        return not self.disagreements

    def explain(self, workload: Workload | None = None, plan: FaultPlan | None = None) -> str:
        parts = [f"{len(self.disagreements)} disagreements:", *(f"- {d}" for d in self.disagreements)]
        if workload is not None:
            parts += ["workload:", workload.describe()]
        if plan is not None:
            parts += ["faults:", plan.describe()]
        return "\n".join(parts)


def verify(workload: Workload, plan: FaultPlan, policy: FraudPolicy = HARNESS_POLICY) -> Verdict:
    covered = workload.classes()
    reference = _run("reference path", lambda: run_reference(workload, policy))
    real = _run("real path", lambda: run_real(workload, plan, policy, covered))
    found = [r for r in (reference, real) if isinstance(r, Disagreement)]
    if isinstance(reference, Observed) and isinstance(real, Observed):
        found += compare(workload, reference, real)
    return Verdict(tuple(found), covered)


def _run(name: str, path: Callable[[], Observed]) -> Observed | Disagreement:
    try:
        return path()
    except Exception as exc:
        return Disagreement(name, f"raised {type(exc).__name__}: {exc}\n{traceback.format_exc(limit=-4)}")
