"""The IAM controls: least privilege, no inline policies, one config feed per writer, only the release role on the
fraud policy's release record, and reads of the transactions API authorised by IAM. Stdlib only.

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
# What decides the policy in force, and its audit (contracts/aws.py POLICY_RELEASE_KEY, POLICY_AUDIT_PREFIX), and the
# role that alone may write them, `<project>-<stack>-release` (components/access.py RELEASE_ROLE_SUFFIX); repeated
# here for the same reason, and held equal in tests/infra/test_policy.py.
RELEASE_RECORD_KEY = "config/fraud-policy/release.json"
RELEASE_AUDIT_PREFIX = "config/fraud-policy/audit/"
RELEASE_ROLE_SUFFIX = "-release"
POLICY_TYPES = ("aws:iam/rolePolicy:RolePolicy", "aws:iam/policy:Policy")
# The transactions API's paths (contracts/aws.py TRANSACTIONS_PATH; tests/infra/test_policy.py holds them equal).
TRANSACTIONS_API_PATH = "/v1/transactions"
READ_METHODS = {"get": "GET", "x-amazon-apigateway-any-method": "ANY"}
# The fraud operations routes (contracts/aws.py REVIEWS_PATH and LABEL_PATH_SUFFIX; tests/infra/test_access.py holds
# them equal): the review queue lists flagged customers' transactions, and a label changes what the tuner learns.
REVIEWS_API_PATH = "/v1/reviews"
LABEL_PATH_SUFFIX = "/label"
ANY_METHODS = {
    "get": "GET",
    "post": "POST",
    "put": "PUT",
    "patch": "PATCH",
    "delete": "DELETE",
    "x-amazon-apigateway-any-method": "ANY",
}


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


def _object_write_resources(props: dict[str, Any]) -> list[str]:
    """The resource patterns of the Allow statements of a policy document that grant an object write (PutObject or
    DeleteObject, also through a wildcard action or a NotAction)."""
    found = []
    for statement in as_list(document(props.get("policy")).get("Statement")):
        actions = [str(action) for action in as_list(statement.get("Action"))]
        writes = statement.get("NotAction") or any(
            fnmatch.fnmatchcase(write, action) for action in actions for write in OBJECT_WRITE_ACTIONS
        )
        if statement.get("Effect") == "Allow" and writes:
            found += [str(r) for r in as_list(statement.get("Resource"))]
    return found


def _covers(resource: str, key: str) -> bool:
    return fnmatch.fnmatchcase(_object_arn_like(resource, key), resource)


def config_feed_writes(resource_type: str, props: dict[str, Any]) -> list[str]:
    """Object writes on a config feed are granted only by naming the feed's prefix, and on one feed at most per
    policy: `*`, `<bucket>/*` or `<bucket>/config/*` would let whichever role holds the policy publish what the
    processor scores with. A grant writes a feed when it covers one of the feed's versions or names a key under its
    prefix: config/fraud-policy/ has two writers on disjoint keys, the tuner (`v*`, candidates) and the release role
    (the release record and the audit), and each writes that one feed. (Which key of the feed whom: the stack check
    `release_record_writers`, and the whole graph in tests/infra.)"""
    if resource_type not in POLICY_TYPES:
        return []
    violations, feeds = [], set()
    for resource in _object_write_resources(props):
        for feed in CONFIG_FEED_PREFIXES:
            if _object_key(resource).startswith(feed):
                feeds.add(feed)
            elif _covers(resource, f"{feed}v0000000001.json"):
                violations.append(f"object writes on {feed} through {resource}: grant the feed by its prefix")
    if len(feeds) > 1:
        violations.append(f"one policy may write objects of at most one config feed, not {sorted(feeds)}")
    return violations


def release_record_writers(resources: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """Only the release role may be granted an object write that covers the release record or the audit prefix
    (`<bucket>/config/fraud-policy/*` covers them, and so does `<bucket>/*`): a policy granting one must be attached
    to roles named `*-release` and nothing else (no user, no group, not unattached). So the tuner's grant may not."""
    holders = _policy_holders(resources)
    found = []
    for resource in resources:
        if resource["type"] not in POLICY_TYPES:
            continue
        grants = [r for r in _object_write_resources(resource["inputs"]) if _covers_release(r)]
        if not grants:
            continue
        held = holders.get(resource["name"], [])
        if resource["type"] == "aws:iam/rolePolicy:RolePolicy":
            held = [("role", str(resource["inputs"].get("role")))]
        others = [f"{kind} {who}" for kind, who in held if kind != "role" or not who.endswith(RELEASE_ROLE_SUFFIX)]
        if others or not held:
            whom = ", ".join(others) if others else "no role"
            found.append((resource["name"], f"writes the release record or audit through {grants} for {whom}"))
    return found


def _covers_release(resource: str) -> bool:
    return _covers(resource, RELEASE_RECORD_KEY) or _covers(resource, f"{RELEASE_AUDIT_PREFIX}x.json")


ATTACHMENTS = {
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": ("role",),
    "aws:iam/userPolicyAttachment:UserPolicyAttachment": ("user",),
    "aws:iam/groupPolicyAttachment:GroupPolicyAttachment": ("group",),
    "aws:iam/policyAttachment:PolicyAttachment": ("roles", "users", "groups"),
}


def _policy_holders(resources: list[dict[str, Any]]) -> dict[str, list[tuple[str, str]]]:
    """Policy name -> [(role|user|group, name)] it is attached to. An attachment names its policy by ARN
    (`...:policy/<name>`); in a preview, where the ARN is unknown, by the attachment's own name `<policy>-attachment`
    (components/common.py role_policy)."""
    holders: dict[str, list[tuple[str, str]]] = {}
    for resource in resources:
        fields = ATTACHMENTS.get(resource["type"])
        if fields is None:
            continue
        arn = resource["inputs"].get("policyArn")
        policy = arn.rsplit(":policy/", 1)[-1] if isinstance(arn, str) else resource["name"].removesuffix("-attachment")
        for field in fields:
            kind = field.removesuffix("s")
            holders.setdefault(policy, []).extend((kind, str(who)) for who in as_list(resource["inputs"].get(field)))
    return holders


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


def _iam_only_methods(path: str) -> dict[str, str]:
    """The operations of `path` that only IAM may authorise: reads of transactions (GET or ANY under the
    transactions path), every operation of the review queue, and every operation on a label route."""
    if path == REVIEWS_API_PATH or path.startswith(f"{REVIEWS_API_PATH}/") or path.endswith(LABEL_PATH_SUFFIX):
        return ANY_METHODS
    if path == TRANSACTIONS_API_PATH or path.startswith(f"{TRANSACTIONS_API_PATH}/"):
        return READ_METHODS
    return {}


def api_reads_iam_authorised(resource_type: str, props: dict[str, Any]) -> list[str]:
    """Every read of transactions (GET or ANY under the transactions path), every operation of the review queue and
    every label route of a RestApi body is authorised by IAM: each of its security alternatives names an `awsSigv4`
    scheme. An alternative without one (an API key alone, none at all) would let a caller read transactions, or
    change the labels the tuner learns from, without AWS credentials."""
    if resource_type != "aws:apigateway/restApi:RestApi" or not props.get("body"):
        return []
    body = document(props.get("body"))
    schemes = (body.get("components") or {}).get("securitySchemes") or body.get("securityDefinitions") or {}
    iam = {name for name, scheme in schemes.items() if scheme.get("x-amazon-apigateway-authtype") == "awsSigv4"}
    violations = []
    for path, operations in (body.get("paths") or {}).items():
        for method, verb in _iam_only_methods(path).items():
            if method not in operations:
                continue
            alternatives = as_list(operations[method].get("security", body.get("security")))
            if not alternatives or any(not set(alternative) & iam for alternative in alternatives):
                violations.append(f"{verb} {path} must be authorised by AWS_IAM (an awsSigv4 scheme)")
    return violations


CHECKS: dict[str, tuple[str, Callable[[str, dict[str, Any]], list[str]]]] = {
    "api-reads-iam-authorised": (
        "Reads of transactions, the review queue and labels use AWS_IAM authorisation",
        api_reads_iam_authorised,
    ),
}
STACK_CHECKS: dict[str, tuple[str, Callable[[list[dict[str, Any]]], list[tuple[str, str]]]]] = {
    "release-record-writers": (
        "Only the release role may write the fraud policy's release record and audit",
        release_record_writers,
    ),
}
