"""The harness under Hypothesis for many examples: what was covered, and on a disagreement the minimal workload.

Hypothesis generates a workload and a fault plan per example; on the first disagreement it shrinks them and replays
the smallest one last, so the last disagreement seen is the one to print.
"""

from __future__ import annotations

import random
import time
from collections import Counter

from attrs import define, field

from securebank.verify.engine import verify
from securebank.verify.faults import FaultPlan
from securebank.verify.workload import Workload


class Disagreed(AssertionError):
    pass


@define
class SoakReport:
    seed: int
    examples: int = 0
    """Examples run, shrinking included."""
    disagreeing: int = 0
    """Examples on which the paths disagreed (the first, and those tried while shrinking it)."""
    seconds: float = 0.0
    occurrences: Counter[str] = field(factory=Counter)
    """Per input class, fault or mapping event: how many lines, faults or events in all."""
    examples_with: Counter[str] = field(factory=Counter)
    """Per class: in how many examples it occurred."""
    minimal_failure: str | None = None
    """The smallest disagreeing workload, its faults and the disagreements."""

    def add(self, covered: Counter[str]) -> None:
        self.examples += 1
        self.occurrences.update(covered)
        self.examples_with.update(dict.fromkeys(covered, 1))


def soak(examples: int, seed: int | None = None, max_lines: int = 25) -> SoakReport:
    from hypothesis import HealthCheck, Verbosity, given, settings
    from hypothesis import seed as seeded

    from securebank.verify.strategies import fault_plans, workloads

    report = SoakReport(seed if seed is not None else random.randrange(2**32))

    @seeded(report.seed)
    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        report_multiple_bugs=False,
        suppress_health_check=list(HealthCheck),
        verbosity=Verbosity.quiet,  # the minimal workload is printed by the caller, readably
    )
    @given(workload=workloads(max_lines=max_lines), plan=fault_plans())
    def check(workload: Workload, plan: FaultPlan) -> None:
        verdict = verify(workload, plan)
        report.add(verdict.covered)
        if not verdict.agrees:
            report.disagreeing += 1
            report.minimal_failure = verdict.explain(workload, plan)
            raise Disagreed(report.minimal_failure)

    started = time.perf_counter()
    try:
        check()
    except Disagreed:
        pass
    finally:
        report.seconds = time.perf_counter() - started
    return report
