"""The fraud rules, as most callers meet them: observe a transaction, score it, explain the decision.

The parts live by concept: `domain.observation` (profile + transaction -> Observation), `domain.catalogue` (every
rule once, as a record: predicate, parameters, explanation, tuning grid), `domain.scoring` (policy + observation ->
Decision).
"""

from __future__ import annotations

from domain.catalogue import catalogue, registered
from domain.contribution import Contribution
from domain.observation import Observation, Value, observe, zone
from domain.scoring import Decision, RuleResult, Scorer, evaluate, result, score

__all__ = [
    "Contribution",
    "Decision",
    "Observation",
    "RuleResult",
    "Scorer",
    "Value",
    "catalogue",
    "evaluate",
    "observe",
    "registered",
    "result",
    "score",
    "zone",
]
