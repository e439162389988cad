"""The IAM controls: least privilege, no inline policies, one writer per config feed, and reads of the
transactions API authorised by IAM. Stdlib only.

`CHECKS` and `STACK_CHECKS` are this area's own tables, which policy/checks.py registers like the other areas'; the
older IAM checks above them are registered there by name.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable
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
# The transactions API's paths (contracts/aws.py TRANSACTIONS_PATH; tests/infra/test_policy.py holds them equal).
TRANSACTIONS_API_PATH = "/v1/transactions"
READ_METHODS = {"get": "GET", "x-amazon-apigateway-any-method": "ANY"}


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


def api_reads_iam_authorised(resource_type: str, props: dict[str, Any]) -> list[str]:
    """Every GET (or ANY) operation under the transactions path of a RestApi body is authorised by IAM: each of its
    security alternatives names an `awsSigv4` scheme. An alternative without one (an API key alone, none at all)
    would let a caller read transactions without AWS credentials."""
    if resource_type != "aws:apigateway/restApi:RestApi" or not props.get("body"):
        return []
    body = document(props.get("body"))
    schemes = (body.get("components") or {}).get("securitySchemes") or body.get("securityDefinitions") or {}
    iam = {name for name, scheme in schemes.items() if scheme.get("x-amazon-apigateway-authtype") == "awsSigv4"}
    violations = []
    for path, operations in (body.get("paths") or {}).items():
        if path != TRANSACTIONS_API_PATH and not path.startswith(f"{TRANSACTIONS_API_PATH}/"):
            continue
        for method, verb in READ_METHODS.items():
            if method not in operations:
                continue
            alternatives = as_list(operations[method].get("security", body.get("security")))
            if not alternatives or any(not set(alternative) & iam for alternative in alternatives):
                violations.append(f"{verb} {path} must be authorised by AWS_IAM (an awsSigv4 scheme)")
    return violations


CHECKS: dict[str, tuple[str, Callable[[str, dict[str, Any]], list[str]]]] = {
    "api-reads-iam-authorised": (
        "GET methods on the transactions API use AWS_IAM authorisation",
        api_reads_iam_authorised,
    ),
}
STACK_CHECKS: dict[str, tuple[str, Callable[[list[dict[str, Any]]], list[tuple[str, str]]]]] = {}
