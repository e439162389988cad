"""Shadow scoring: the policy in shadow decides every transaction too, and changes nothing.

Its decision is made against the same profile state as the active one's, kept compact beside it (ShadowDecision),
and counted per batch: how many it scored, how many it decided as the active policy did (same is_fraud), how many
it flagged. The profile, the flag, the case and the event follow the active policy alone.
"""

from __future__ import annotations

from collections.abc import Sequence

from domain.merchant_risk import MerchantRisk
from domain.model import Transaction
from domain.policy import FraudPolicy
from domain.ports import Metrics, ScoredTransaction, ShadowDecision
from domain.profile import CustomerProfile
from domain.rules import Scorer


class ShadowScorer:
    def __init__(self, policy: FraudPolicy, merchants: MerchantRisk) -> None:
        self._scorer = Scorer(policy, merchants)

    def decide(self, profile: CustomerProfile | None, txn: Transaction) -> ShadowDecision | None:
        """None when the shadow cannot decide: the shadow is evidence for a review, never a reason to refuse a
        payment, so its error never fails the record."""
        try:
            return ShadowDecision.of(self._scorer.score(profile, txn))
        except Exception:  # a domain error of the shadow policy alone
            return None


def record_shadow(metrics: Metrics, scored: Sequence[ScoredTransaction]) -> None:
    """Count what the shadow decided of the transactions scored now."""
    pairs = [(s.decision.is_fraud, s.shadow.is_fraud) for s in scored if s.shadow is not None]
    metrics.record_shadow(len(pairs), sum(a == b for a, b in pairs), sum(b for _, b in pairs))
