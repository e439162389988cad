"""`bench processor --shadow`: a release with a policy in shadow, and what the processor reported of it.

The release makes the policy in force (the seed, or the merchant-rule policy of --merchant-rule) active and puts a
different version in shadow (the same rules, a lower threshold: it flags more), through the one lifecycle store
(adapters/policy_store.py), as an operator would. The processor then reads the release record and both versions once
per cache period; the calls per 100 transactions must stay within the budget below. The shadow counts are summed from
the processor's EMF blobs (captured from its stdout): agreement and flag rate are their ratios.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

CALLS_PER_100_BUDGET = Decimal("4.05")
"""The specification's processor budget with a shadow policy on: AWS calls per 100 transactions."""
SHADOW_THRESHOLD_STEP = Decimal("0.2")
"""How much lower the shadow version's threshold is than the active one's."""
_COUNTS = {  # contracts/aws.py's metric names, by report key
    "scored": "METRIC_SHADOW_SCORED_COUNT",
    "agreed": "METRIC_SHADOW_AGREEMENT_COUNT",
    "flagged": "METRIC_SHADOW_FLAGGED_COUNT",
}


def publish_shadow_release(session: Any, bucket: str) -> dict[str, Any]:
    """Make the policy in force an explicit active version and shadow a different one; their versions."""
    import attrs

    from adapters.policy_store import PolicyStore, S3Objects, publish_active

    store = PolicyStore(S3Objects(session.client("s3"), bucket))
    release = store.release()
    active = store.policy(release.active) if release.active is not None else None
    if active is None:
        from domain.policy import FraudPolicy

        active = attrs.evolve(FraudPolicy.default(), version=FraudPolicy.default().version + 1)
        publish_active(store.objects, active, approved_by="bench", reason="bench processor --shadow")
    shadow = attrs.evolve(active, version=active.version + 1, threshold=active.threshold - SHADOW_THRESHOLD_STEP)
    store.publish(shadow)
    store.shadow(shadow.version, "bench", "bench processor --shadow")
    return {"active_version": active.version, "shadow_version": shadow.version}


def shadow_report(release: dict[str, Any], logs: str, total_calls_per_100: float) -> dict[str, Any]:
    """The release, the processor's summed shadow counts (None while it reports none) and the call budget."""
    counts = _summed_counts(logs)
    scored = counts.get("scored")
    report: dict[str, Any] = {
        **release,
        "shadow_scored": scored,
        "shadow_agreement": None,
        "shadow_flag_rate": None,
        "calls_per_100_budget": str(CALLS_PER_100_BUDGET),
        "within_budget": Decimal(str(total_calls_per_100)) <= CALLS_PER_100_BUDGET,
    }
    if scored:
        report["shadow_agreement"] = str(round(Decimal(counts.get("agreed", 0)) / scored, 4))
        report["shadow_flag_rate"] = str(round(Decimal(counts.get("flagged", 0)) / scored, 4))
    return report


def _summed_counts(logs: str) -> dict[str, int]:
    from contracts import aws

    names = {key: getattr(aws, constant, None) for key, constant in _COUNTS.items()}
    sums: dict[str, int] = {}
    for line in logs.splitlines():
        if not line.startswith("{") or '"_aws"' not in line:
            continue
        blob = json.loads(line)
        for key, name in names.items():
            value = blob.get(name) if name is not None else None
            values = value if isinstance(value, list) else [value]  # Powertools writes repeated values as a list
            if value is not None and all(isinstance(v, int | float) for v in values):
                sums[key] = sums.get(key, 0) + sum(int(v) for v in values)
    return sums
