"""Choosing the operating threshold on scored labelled transactions: the objective (F1, or the cost of errors),
the best cut for it, and the precision-recall curve the report shows.

A transaction is flagged when its score is above the threshold, and the threshold is never negative (a policy's
threshold is a non-negative Decimal), so only positive scores can be flagged. A cut lies halfway between two
neighbouring distinct scores (or between the lowest positive score and 0).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from decimal import Decimal
from itertools import repeat
from typing import Any

from attrs import frozen

from domain.ensemble import BASELINE, Contribution
from domain.tuning import Counts

OBJECTIVES = ("f1", "cost")
_ZERO = Decimal(0)


@frozen
class Objective:
    """What the threshold (and the choice between policies) maximises: F1, or minus the cost
    `fn_cost x FN + fp_cost x FP` of the errors."""

    name: str = "f1"
    fn_cost: Decimal = Decimal(1)
    fp_cost: Decimal = Decimal(1)

    def __attrs_post_init__(self) -> None:
        if self.name not in OBJECTIVES:
            raise ValueError(f"objective must be one of {', '.join(OBJECTIVES)}, got {self.name!r}")
        if self.fn_cost < 0 or self.fp_cost < 0:
            raise ValueError("costs must not be negative")

    def cost(self, counts: Counts) -> Decimal:
        return self.fn_cost * counts.fn + self.fp_cost * counts.fp

    def value(self, counts: Counts) -> Decimal:
        """Larger is better: F1, or minus the cost."""
        return counts.f1 if self.name == "f1" else -self.cost(counts)

    def shown(self, counts: Counts) -> dict[str, str]:
        """The objective's value as the report shows it."""
        if self.name == "f1":
            return {"objective": "f1", "value": str(counts.f1)}
        return {"objective": "cost", "value": str(self.cost(counts)), "fn_cost": str(self.fn_cost),
                "fp_cost": str(self.fp_cost)}  # fmt: skip

    def describe(self) -> str:
        if self.name == "f1":
            return "F1 on the holdout"
        return f"the cost {self.fn_cost} x FN + {self.fp_cost} x FP on the holdout (smallest)"


@frozen
class Cut:
    """A threshold and what it does on the scored transactions."""

    threshold: Decimal
    counts: Counts


def _sweep(
    scores: Sequence[Decimal], frauds: Sequence[bool], weights: Sequence[int] | None = None
) -> Iterator[tuple[Decimal, int, int]]:
    """(threshold, tp, fp) of each cut, from the highest threshold down; positive scores only. A row counts as its
    weight (1 unless given: the weekly job's sampled legitimate rows count for the k they stand for)."""
    by_score: dict[Decimal, list[int]] = {}
    for score, fraud, weight in zip(scores, frauds, weights or repeat(1), strict=weights is not None):
        if score > 0:
            entry = by_score.setdefault(score, [0, 0])
            entry[0 if fraud else 1] += weight
    ordered = sorted(by_score, reverse=True)
    tp = fp = 0
    for n, score in enumerate(ordered):
        tp, fp = tp + by_score[score][0], fp + by_score[score][1]
        lower = ordered[n + 1] if n + 1 < len(ordered) else _ZERO
        yield (score + lower) / 2, tp, fp


def _totals(frauds: Sequence[bool], weights: Sequence[int] | None) -> tuple[int, int]:
    """(positives, negatives), each row counted as its weight."""
    if weights is None:
        return sum(frauds), len(frauds) - sum(frauds)
    positives = sum(w for f, w in zip(frauds, weights, strict=True) if f)
    return positives, sum(weights) - positives


def best_cut(
    scores: Sequence[Decimal], frauds: Sequence[bool], objective: Objective, weights: Sequence[int] | None = None
) -> Cut:
    """The cut with the best objective value (a tie: the higher threshold, which flags fewer)."""
    positives, negatives = _totals(frauds, weights)
    top = max((s for s in scores if s > 0), default=_ZERO)
    best = Cut(top, Counts(0, 0, positives, negatives))
    best_value = objective.value(best.counts)
    for threshold, tp, fp in _sweep(scores, frauds, weights):
        counts = Counts(tp, fp, positives - tp, negatives - fp)
        value = objective.value(counts)
        if value > best_value:
            best, best_value = Cut(threshold, counts), value
    return best


def pr_curve(
    scores: Sequence[Decimal], frauds: Sequence[bool], points: int = 40, weights: Sequence[int] | None = None
) -> list[dict[str, Any]]:
    """About `points` points of the precision-recall curve: for each recall level k/points, the highest threshold
    that reaches it (repeated thresholds once)."""
    positives, negatives = _totals(frauds, weights)
    curve: list[dict[str, Any]] = []
    level = 1
    for threshold, tp, fp in _sweep(scores, frauds, weights):
        if not positives or tp * points < level * positives:
            continue
        counts = Counts(tp, fp, positives - tp, negatives - fp)
        curve.append({"threshold": str(threshold), "precision": str(counts.precision), "recall": str(counts.recall),
                      "f1": str(counts.f1), "flagged": tp + fp})  # fmt: skip
        while level <= points and tp * points >= level * positives:
            level += 1
    return curve


def importance(contributions: Iterable[Sequence[Contribution]]) -> list[dict[str, Any]]:
    """Per signal, the sum of |points| of its contributions over the given decisions (the baseline left out), and
    its share of the total; largest first."""
    totals: dict[str, Decimal] = {}
    for decision in contributions:
        for c in decision:
            if c.source != BASELINE:
                totals[c.source] = totals.get(c.source, _ZERO) + abs(c.points)
    return ranked(totals)


def ranked(totals: Mapping[str, Decimal]) -> list[dict[str, Any]]:
    """`importance` from each signal's sum of |points| (`jobs.learn_score.point_totals` computes them in numpy)."""
    whole = sum(totals.values(), _ZERO)
    ranked = sorted(totals.items(), key=lambda item: (-item[1], item[0]))
    return [{"signal": name, "points": str(total), "share": str(ratio_of(total, whole))} for name, total in ranked]


def ratio_of(part: Decimal, whole: Decimal) -> Decimal:
    return (part / whole).quantize(Decimal("0.0001")) if whole else _ZERO
