"""The policies `bench processor` publishes before a run, as an operator's `policy promote` would (the release
record names them), so that their reads and their decisions are what is measured: `--policy FILE` (a learned policy
with a tree model, say, whose file is far larger than the specification's) and `--merchant-rule`."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any


def publish_policy_file(session: Any, path: Path) -> dict[str, Any]:
    """Publish the policy in `path` as active in the lake bucket; what the report says of it."""
    from adapters.policy_store import S3Objects, publish_active
    from adapters.serialization import policy_from_json
    from contracts import aws

    text = path.read_text()
    policy = policy_from_json(text)
    publish_active(
        S3Objects(session.client("s3"), aws.LAKE_BUCKET), policy, approved_by="bench", reason="bench processor --policy"
    )
    return {
        "file": str(path),
        "version": policy.version,
        "file_bytes": len(text.encode()),
        "model_trees": 0 if policy.model is None else len(getattr(policy.model, "trees", ())),
    }


def publish_merchant_rule(session: Any, payloads: list[dict[str, Any]]) -> None:
    """A learned-looking policy with the merchant rule on, and a snapshot in which a tenth of the merchants had
    confirmed fraud in the week before the first payment."""
    import attrs

    from adapters.merchant_risk_codec import merchant_risk_to_json
    from adapters.policy_store import S3Objects, publish_active
    from contracts import aws
    from domain.merchant_risk import KNOWN, MerchantDay, MerchantRisk
    from domain.policy import FraudPolicy, MerchantRiskRule

    policy = attrs.evolve(FraudPolicy.default(), version=2, merchant_risk=MerchantRiskRule(weight=Decimal("0.9")))
    first = datetime.fromisoformat(payloads[0]["timestamp"]).date()
    merchants = sorted({p["merchant_id"] for p in payloads})[::10]
    risk = MerchantRisk({m: {first.toordinal() - 9: MerchantDay(5, (KNOWN,) * 3)} for m in merchants})
    s3 = session.client("s3")
    publish_active(
        S3Objects(s3, aws.LAKE_BUCKET), policy, approved_by="bench", reason="bench processor --merchant-rule"
    )
    s3.put_object(Bucket=aws.LAKE_BUCKET, Key=aws.merchant_risk_key(first), Body=merchant_risk_to_json(risk, first))
