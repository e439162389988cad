"""The loop report's arithmetic, from stored items and the generator's ground truth (no I/O here).

On the second workload every item carries the active decision (`is_fraud`) and, once the processor scores with a
shadow policy, the shadow decision beside it (`shadow_is_fraud`). Both are compared on the same transactions, those
that carry both decisions, so "before" (the active policy) and "after" (the shadow policy, promoted next) are
measured on one set:

- precision = true frauds flagged / transactions flagged; recall = true frauds flagged / true frauds. Either is None
  when its denominator is zero (nothing flagged, no fraud in the set): undefined, not 0;
- shadow_agreement = the share of those transactions on which the two decisions are equal;
- shadow_flag_rate = the share of them the shadow policy flags;
- F1 before and after, and a verdict from them: whether the promotion made the decisions better or worse.

Ratios are rounded to 4 places, as the demo's other precision and recall.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

PLACES = 4


def ratio(part: int, whole: int) -> float | None:
    return round(part / whole, PLACES) if whole else None


def precision_recall(flagged: set[str], frauds: set[str]) -> tuple[float | None, float | None]:
    hits = len(flagged & frauds)
    return ratio(hits, len(flagged)), ratio(hits, len(frauds))


def f1(flagged: set[str], frauds: set[str]) -> float | None:
    """2 TP / (2 TP + FP + FN): the harmonic mean of precision and recall; None with nothing flagged and no fraud."""
    return ratio(2 * len(flagged & frauds), len(flagged) + len(frauds))


def refusal(shadow_flag_rate: float | None, limit_percent: float) -> str | None:
    """Why the demo's approver refuses to promote the shadow policy, or None to approve. The one rule it can check
    without ground truth: a policy that flags more than the stack's fraud-rate alarm allows would put that alarm in
    ALARM the moment it went live (and swamp the review queue). `policy diff` cannot show that: it counts labelled
    transactions only, and labels come mostly from flagged cases and chargebacks."""
    if shadow_flag_rate is None or shadow_flag_rate * 100 <= limit_percent:
        return None
    return (
        f"the candidate flags {shadow_flag_rate:.1%} of the second workload in shadow, above the {limit_percent:g} % "
        "of the stack's fraud-rate alarm: promoting it would put the alarm in ALARM"
    )


def verdict(before: float | None, after: float | None) -> str:
    """Whether promoting the shadow policy made the decisions better or worse, by F1 against the ground truth."""
    if before is None or after is None:
        return "undefined (no fraud and nothing flagged)"
    if after == before:
        return f"as good (F1 {before})"
    return f"{'better' if after > before else 'worse'} (F1 {before} -> {after})"


@dataclass(frozen=True)
class Decisions:
    """Per transaction id: the active decision, and the shadow decision where the item carries one."""

    active: Mapping[str, bool]
    shadow: Mapping[str, bool]

    @classmethod
    def from_items(cls, items: Mapping[str, Mapping[str, Any]]) -> Decisions:
        """From items read back as {transaction_id: {"is_fraud": bool, "shadow_is_fraud": bool | None}}."""
        active = {i: bool(item.get("is_fraud")) for i, item in items.items()}
        shadow = {i: bool(s) for i, item in items.items() if (s := item.get("shadow_is_fraud")) is not None}
        return cls(active, shadow)

    @property
    def compared(self) -> set[str]:
        """The transactions that carry both decisions."""
        return set(self.active) & set(self.shadow)


def shadow_quality(decisions: Decisions, truth: Mapping[str, bool]) -> dict[str, Any]:
    """The report's shadow and before/after keys, on the transactions that carry both decisions."""
    ids = decisions.compared
    frauds = {i for i in ids if truth.get(i)}
    before = {i for i in ids if decisions.active[i]}
    after = {i for i in ids if decisions.shadow[i]}
    precision_before, recall_before = precision_recall(before, frauds)
    precision_after, recall_after = precision_recall(after, frauds)
    agree = sum(1 for i in ids if decisions.active[i] == decisions.shadow[i])
    return {
        "shadow_scored": len(ids),
        "shadow_agreement": ratio(agree, len(ids)),
        "shadow_flag_rate": ratio(len(after), len(ids)),
        "active_flag_rate": ratio(len(before), len(ids)),
        "precision_before": precision_before,
        "recall_before": recall_before,
        "precision_after": precision_after,
        "recall_after": recall_after,
        "f1_before": f1(before, frauds),
        "f1_after": f1(after, frauds),
    }
