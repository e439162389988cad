"""The IAM controls: least privilege, no inline policies, and one writer per config feed. Stdlib only."""

from __future__ import annotations

import fnmatch
from typing import Any

from policy.props import as_list, document

# Actions that AWS only authorises on "*" (no resource-level permissions); any other action must name resources.
UNSCOPED_ACTIONS = frozenset(
    {
        "xray:PutTraceSegments",
        "xray:PutTelemetryRecords",
        "ec2:DescribeNetworkInterfaces",
        "ce:GetCostAndUsage",
        "cloudwatch:PutMetricData",
    }
)
# The feeds the processor scores with, under the lake's config/ (contracts/aws.py POLICY_PREFIX and
# MERCHANT_RISK_PREFIX; repeated because this module is stdlib only, and tests/infra/test_policy.py holds them equal).
CONFIG_FEED_PREFIXES = ("config/fraud-policy/", "config/merchant-risk/")
OBJECT_WRITE_ACTIONS = ("s3:PutObject", "s3:DeleteObject")


def iam_least_privilege(resource_type: str, props: dict[str, Any]) -> list[str]:
    """No `*` or `service:*` actions; `*` resources only for actions without resource-level permissions."""
    if resource_type not in ("aws:iam/rolePolicy:RolePolicy", "aws:iam/policy:Policy"):
        return []
    violations = []
    for statement in as_list(document(props.get("policy")).get("Statement")):
        if statement.get("Effect") != "Allow":
            continue
        actions = as_list(statement.get("Action"))
        wildcard = [action for action in actions if action == "*" or action.endswith(":*")]
        if wildcard or statement.get("NotAction"):
            violations.append(f"wildcard actions {wildcard or statement.get('NotAction')}")
        if "*" in as_list(statement.get("Resource")):
            unscoped = sorted(set(actions) - UNSCOPED_ACTIONS)
            if unscoped:
                violations.append(f"'*' resource for actions that accept resource ARNs: {unscoped}")
    return violations


def config_feed_writes(resource_type: str, props: dict[str, Any]) -> list[str]:
    """Object writes on a config feed are granted only by naming the feed's prefix, and on one feed at most per
    policy: `*`, `<bucket>/*` or `<bucket>/config/*` would let whichever role holds the policy publish what the
    processor scores with. (Which role may write which feed is checked over the whole graph in tests/infra.)"""
    if resource_type not in ("aws:iam/rolePolicy:RolePolicy", "aws:iam/policy:Policy"):
        return []
    violations, feeds = [], set()
    for statement in as_list(document(props.get("policy")).get("Statement")):
        actions = [str(action) for action in as_list(statement.get("Action"))]
        writes = statement.get("NotAction") or any(
            fnmatch.fnmatchcase(write, action) for action in actions for write in OBJECT_WRITE_ACTIONS
        )
        if statement.get("Effect") != "Allow" or not writes:
            continue
        for resource in (str(r) for r in as_list(statement.get("Resource"))):
            for feed in CONFIG_FEED_PREFIXES:
                if not fnmatch.fnmatchcase(_object_arn_like(resource, f"{feed}v0000000001.json"), resource):
                    continue
                if _object_key(resource).startswith(feed):
                    feeds.add(feed)
                else:
                    violations.append(f"object writes on {feed} through {resource}: grant the feed by its prefix")
    if len(feeds) > 1:
        violations.append(f"one policy may write objects of at most one config feed, not {sorted(feeds)}")
    return violations


def _object_arn_like(resource: str, key: str) -> str:
    """An S3 object ARN for `key`, in a bucket the pattern `resource` names (its wildcards filled in)."""
    bucket = resource.split(":::", 1)[1].split("/", 1)[0] if ":::" in resource else "bucket"
    return f"arn:aws:s3:::{bucket.replace('*', '').replace('?', 'a')}/{key}"


def _object_key(resource: str) -> str:
    """The object-key part of an S3 ARN pattern ("" for a bucket or `*`)."""
    return resource.split(":::", 1)[1].partition("/")[2] if ":::" in resource else ""


def iam_no_inline_policies(resource_type: str, props: dict[str, Any]) -> list[str]:
    if resource_type in (
        "aws:iam/rolePolicy:RolePolicy",
        "aws:iam/userPolicy:UserPolicy",
        "aws:iam/groupPolicy:GroupPolicy",
    ):
        return ["no inline IAM policies: attach a customer-managed policy (PCI DSS IAMNoInlinePolicy)"]
    return []
