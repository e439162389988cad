"""The account-wide cost controls: billing alarms and cost-allocation tags.

Both belong to the AWS account, not to a stack, so only the stack whose config says `billingAlarms: true` (prod)
creates them (Monitoring); a second stack in the same account would duplicate every alarm and fight over the tags.
`AWS/Billing` `EstimatedCharges` exists only in us-east-1, and only once the account's "Receive Billing Alerts"
preference is on (docs/runbooks.md, "Billing alarms").
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from components.runbooks import described

BILLING_REGION = "us-east-1"  # AWS/Billing metrics exist only there
BILLING_RUNBOOK = "billing-estimated-charges"
COST_ALLOCATION_TAG_KEYS = ("project", "stack", "component")
"""The tags every component gives its resources (components.common.tag_children), activated for Cost Explorer."""
IDLE_MONTHLY_COST_USD = 400
"""What the account costs a month with dev and prod deployed and no traffic: interface endpoints, API cache, WAF, KMS
keys, prod's NAT gateways and both streams come to about $140 (dev) and $220 (prod); the breakdown is in
docs/runbooks.md. EstimatedCharges is month-to-date for the whole account, so a threshold at or below this fires
every month: every billing threshold must be above it."""


def billing_alarms(thresholds_usd: Sequence[int]) -> dict[str, dict[str, Any]]:
    """One alarm per threshold on the account's month-to-date estimated charges, in us-east-1."""
    low = [threshold for threshold in thresholds_usd if threshold <= IDLE_MONTHLY_COST_USD]
    if low:
        raise ValueError(
            f"billing thresholds {low} are at or below the account's idle cost (${IDLE_MONTHLY_COST_USD} a month): "
            "they would fire every month; see docs/runbooks.md#billing-estimated-charges"
        )
    if len(set(thresholds_usd)) != len(thresholds_usd):
        raise ValueError(f"billing thresholds repeat: {list(thresholds_usd)}")
    return {
        f"billing-{threshold}usd": {
            "alarm_description": described(
                f"Account's estimated charges this month over ${threshold} (idle: about ${IDLE_MONTHLY_COST_USD})",
                BILLING_RUNBOOK,
            ),
            "namespace": "AWS/Billing",
            "metric_name": "EstimatedCharges",
            "dimensions": {"Currency": "USD"},
            "statistic": "Maximum",
            "period": 21600,
            "evaluation_periods": 1,
            "comparison_operator": "GreaterThanThreshold",
            "threshold": threshold,
            "treat_missing_data": "notBreaching",
            "region": BILLING_REGION,
        }
        for threshold in thresholds_usd
    }
