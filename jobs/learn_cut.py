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

import numpy as np
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


def best_float_cut(
    values: Any, frauds: Sequence[bool], objective: Objective, weights: Sequence[int] | None = None
) -> Cut:
    """`best_cut` of the Decimals of finite floats (each float's shortest repr, as scikit-learn's predictions are
    read), without a Decimal per row: the cuts are swept in numpy, each objective value approximated in floats, and
    only the cuts within `_NEAR` of the best approximation are valued exactly, in the same order (the first of the
    best wins). Distinct floats have distinct reprs, so the cuts are the same. tests/property/test_learn_cut_floats.py
    holds it equal to `best_cut`."""
    scores = np.asarray(values, dtype=np.float64)
    positives, negatives = _totals(frauds, weights)
    counted = np.ones(len(scores), dtype=np.int64) if weights is None else np.asarray(weights, dtype=np.int64)
    flagged = scores > 0
    distinct, at = np.unique(scores[flagged], return_inverse=True)  # ascending
    fraud = np.asarray(frauds, dtype=bool)[flagged]
    tps = np.cumsum(np.bincount(at, np.where(fraud, counted[flagged], 0), len(distinct)).astype(np.int64)[::-1])
    fps = np.cumsum(np.bincount(at, np.where(fraud, 0, counted[flagged]), len(distinct)).astype(np.int64)[::-1])
    distinct = distinct[::-1]  # from the highest threshold down, as `_sweep`
    top = _decimal_of(distinct[0]) if len(distinct) else _ZERO
    best = Cut(top, Counts(0, 0, positives, negatives))
    if not len(distinct):
        return best
    approximate = _approximate(objective, tps, fps, positives)
    near = np.flatnonzero(approximate >= approximate.max() - _NEAR * (1 + abs(approximate.max())))
    best_value, chosen = objective.value(best.counts), None
    for n in near.tolist():
        counts = Counts(int(tps[n]), int(fps[n]), positives - int(tps[n]), negatives - int(fps[n]))
        if objective.value(counts) > best_value:
            best_value, chosen, best = objective.value(counts), n, Cut(top, counts)
    if chosen is None:
        return best
    lower = _decimal_of(distinct[chosen + 1]) if chosen + 1 < len(distinct) else _ZERO
    return Cut((_decimal_of(distinct[chosen]) + lower) / 2, best.counts)


_NEAR = 1e-3
"""How far below the best float approximation a cut's objective value may be and still be valued exactly: F1 is
exact to four places (a value that rounds to the best is within 1e-4 of it), a cost exact in Decimal (floats err by
about 1e-15 of it)."""


def _approximate(objective: Objective, tps: Any, fps: Any, positives: int) -> Any:
    fns = positives - tps
    if objective.name == "f1":
        return 2 * tps / np.maximum(2 * tps + fps + fns, 1)
    return -(float(objective.fn_cost) * fns + float(objective.fp_cost) * fps)


def _decimal_of(value: float) -> Decimal:
    return Decimal(repr(float(value)))


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
