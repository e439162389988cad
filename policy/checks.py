"""The bank's controls as plain functions: `check(resource_type, props) -> [violation message, ...]`.

`props` are a resource's wire (camelCase) inputs, as CrossGuard passes them and as `securebank plan --json` prints
them, so the same functions run in the policy pack (policy/__main__.py) and offline in tests/infra. Stdlib only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from policy import edge, iam, monitoring, network
from policy.iam import (
    CONFIG_FEED_PREFIXES,
    UNSCOPED_ACTIONS,
    config_feed_writes,
    iam_least_privilege,
    iam_no_inline_policies,
)
from policy.props import as_list, document, get, plain

__all__ = [
    "CHECKS",
    "CONFIG_FEED_PREFIXES",
    "STACK_CHECKS",
    "UNSCOPED_ACTIONS",
    "Check",
    "StackCheck",
    "plain",
    "violations",
]

Check = Callable[[str, dict[str, Any]], list[str]]
StackCheck = Callable[[list[dict[str, Any]]], list[tuple[str, str]]]
"""A check over a whole stack: resources as `{"type", "name", "inputs"}` -> [(resource name, message), ...]."""

HTTPS_PORT = 443
REQUIRED_TAGS = ("project", "stack", "component")
# Taggable resource types of this program (tests/infra checks this list against pulumi_aws, so it cannot go stale).
TAGGABLE_TYPES = frozenset(
    {
        "aws:kms/key:Key",
        "aws:kms/replicaKey:ReplicaKey",
        "aws:dynamodb/table:Table",
        "aws:s3/bucket:Bucket",
        "aws:sqs/queue:Queue",
        "aws:sns/topic:Topic",
        "aws:kinesis/stream:Stream",
        "aws:lambda/function:Function",
        "aws:lambda/eventSourceMapping:EventSourceMapping",
        "aws:iam/role:Role",
        "aws:iam/policy:Policy",
        "aws:cloudwatch/logGroup:LogGroup",
        "aws:cloudwatch/metricAlarm:MetricAlarm",
        "aws:cloudwatch/eventRule:EventRule",
        "aws:cloudwatch/eventBus:EventBus",
        "aws:pipes/pipe:Pipe",
        "aws:apigateway/restApi:RestApi",
        "aws:apigateway/stage:Stage",
        "aws:apigateway/usagePlan:UsagePlan",
        "aws:apigateway/apiKey:ApiKey",
        "aws:apigateway/domainName:DomainName",
        "aws:ec2/vpc:Vpc",
        "aws:ec2/subnet:Subnet",
        "aws:ec2/routeTable:RouteTable",
        "aws:ec2/securityGroup:SecurityGroup",
        "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup",
        "aws:ec2/vpcEndpoint:VpcEndpoint",
        "aws:ec2/flowLog:FlowLog",
        "aws:ec2/internetGateway:InternetGateway",
        "aws:ec2/natGateway:NatGateway",
        "aws:ec2/eip:Eip",
        "aws:glue/job:Job",
        "aws:glue/trigger:Trigger",
        "aws:glue/catalogDatabase:CatalogDatabase",
        "aws:athena/workgroup:Workgroup",
        "aws:backup/vault:Vault",
        "aws:backup/plan:Plan",
        "aws:wafv2/webAcl:WebAcl",
        "aws:s3/bucketObjectv2:BucketObjectv2",
    }
)
# Deliberate exception (docs/infrastructure.md): S3 server access logs need SSE-S3 on their target bucket.
ACCESS_LOG_BUCKET_SUFFIX = "-access-logs"


def kms_key_rotation(resource_type: str, props: dict[str, Any]) -> list[str]:
    if resource_type == "aws:kms/key:Key" and props.get("enableKeyRotation") is not True:
        return ["KMS keys must rotate (enableKeyRotation)"]
    return []


def encrypted_with_cmk(resource_type: str, props: dict[str, Any]) -> list[str]:
    """Data at rest uses a customer-managed key: tables, queues, topics, streams, log groups, functions."""
    required = {
        "aws:dynamodb/table:Table": ("serverSideEncryption", "kmsKeyArn"),
        "aws:sqs/queue:Queue": ("kmsMasterKeyId",),
        "aws:sns/topic:Topic": ("kmsMasterKeyId",),
        "aws:kinesis/stream:Stream": ("kmsKeyId",),
        "aws:cloudwatch/logGroup:LogGroup": ("kmsKeyId",),
        "aws:lambda/function:Function": ("kmsKeyArn",),
        "aws:backup/vault:Vault": ("kmsKeyArn",),
    }.get(resource_type)
    if required is not None and not get(props, *required):
        return [f"{resource_type} must be encrypted with a customer-managed KMS key ({'.'.join(required)})"]
    if resource_type == "aws:kinesis/stream:Stream" and props.get("encryptionType") != "KMS":
        return ["Kinesis streams must use encryptionType KMS"]
    return []


def s3_encryption(resource_type: str, props: dict[str, Any]) -> list[str]:
    if resource_type != "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration":
        return []
    violations = []
    for rule in as_list(props.get("rules")):
        default = rule.get("applyServerSideEncryptionByDefault") or {}
        if str(props.get("bucket", "")).endswith(ACCESS_LOG_BUCKET_SUFFIX) and default.get("sseAlgorithm") == "AES256":
            continue
        if default.get("sseAlgorithm") != "aws:kms" or not default.get("kmsMasterKeyId"):
            violations.append("S3 buckets must default to SSE-KMS with a customer-managed key")
        elif rule.get("bucketKeyEnabled") is not True:
            violations.append("SSE-KMS buckets must enable the S3 bucket key")
    return violations or ([] if props.get("rules") else ["S3 encryption configuration without rules"])


def s3_public_access_blocked(resource_type: str, props: dict[str, Any]) -> list[str]:
    if resource_type != "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock":
        return []
    flags = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
    missing = [flag for flag in flags if props.get(flag) is not True]
    return [f"S3 public access must be fully blocked; not set: {', '.join(missing)}"] if missing else []


def tls_only_resource_policies(resource_type: str, props: dict[str, Any]) -> list[str]:
    if resource_type not in (
        "aws:s3/bucketPolicy:BucketPolicy",
        "aws:sqs/queuePolicy:QueuePolicy",
        "aws:sns/topicPolicy:TopicPolicy",
    ):
        return []
    for statement in as_list(document(props.get("policy")).get("Statement")):
        condition = get(statement, "Condition", "Bool", "aws:SecureTransport")
        if statement.get("Effect") == "Deny" and str(condition).lower() == "false":
            return []
    return [f"{resource_type} must deny requests without TLS (aws:SecureTransport false)"]


def log_retention(resource_type: str, props: dict[str, Any]) -> list[str]:
    if resource_type == "aws:cloudwatch/logGroup:LogGroup" and not props.get("retentionInDays"):
        return ["log groups must set a retention"]
    return []


def lambda_settings(resource_type: str, props: dict[str, Any]) -> list[str]:
    if resource_type != "aws:lambda/function:Function":
        return []
    violations = []
    if get(props, "tracingConfig", "mode") != "Active":
        violations.append("Lambda functions must have active X-Ray tracing")
    if not props.get("reservedConcurrentExecutions"):
        violations.append("Lambda functions must reserve concurrency")
    if props.get("runtime") != "python3.12" or props.get("architectures") != ["arm64"]:
        violations.append("Lambda functions run python3.12 on arm64")
    return violations


def alarms_notify(resource_type: str, props: dict[str, Any]) -> list[str]:
    if resource_type != "aws:cloudwatch/metricAlarm:MetricAlarm":
        return []
    violations = []
    if not props.get("alarmActions"):
        violations.append("alarms must notify (alarmActions)")
    if props.get("treatMissingData") not in ("breaching", "notBreaching", "ignore", "missing"):
        violations.append("alarms must state how missing data is treated")
    return violations


def api_stage_observability(resource_type: str, props: dict[str, Any]) -> list[str]:
    if resource_type == "aws:apigateway/stage:Stage":
        violations = []
        if props.get("xrayTracingEnabled") is not True:
            violations.append("API stages must enable X-Ray")
        if not get(props, "accessLogSettings", "destinationArn"):
            violations.append("API stages must write access logs")
        return violations
    if resource_type == "aws:apigateway/methodSettings:MethodSettings":
        settings = props.get("settings") or {}
        violations = []
        if settings.get("dataTraceEnabled") is not False:
            violations.append("full request/response logging would write card data to logs (dataTraceEnabled)")
        if settings.get("cachingEnabled") and settings.get("cacheDataEncrypted") is not True:
            violations.append("API caches must be encrypted")
        return violations
    return []


def security_groups_https_only(resource_type: str, props: dict[str, Any]) -> list[str]:
    if resource_type != "aws:ec2/securityGroup:SecurityGroup":
        return []
    violations = []
    for rule in as_list(props.get("ingress")):
        if "0.0.0.0/0" in as_list(rule.get("cidrBlocks")):
            violations.append("no ingress from 0.0.0.0/0")
    for rule in as_list(props.get("egress")):
        if rule.get("protocol") != "tcp" or rule.get("fromPort") != HTTPS_PORT or rule.get("toPort") != HTTPS_PORT:
            violations.append(f"egress must be HTTPS only, found {rule.get('protocol')} {rule.get('fromPort')}")
    return violations


def analytics_encrypted(resource_type: str, props: dict[str, Any]) -> list[str]:
    if resource_type == "aws:glue/securityConfiguration:SecurityConfiguration":
        config = props.get("encryptionConfiguration") or {}
        modes = {
            "s3": get(config, "s3Encryption", "s3EncryptionMode"),
            "cloudwatch": get(config, "cloudwatchEncryption", "cloudwatchEncryptionMode"),
            "bookmarks": get(config, "jobBookmarksEncryption", "jobBookmarksEncryptionMode"),
        }
        off = [name for name, mode in modes.items() if mode in (None, "DISABLED")]
        return [f"Glue security configuration must encrypt {', '.join(off)}"] if off else []
    if resource_type == "aws:glue/job:Job" and not props.get("securityConfiguration"):
        return ["Glue jobs must use a security configuration"]
    if resource_type == "aws:athena/workgroup:Workgroup":
        config = props.get("configuration") or {}
        option = get(config, "resultConfiguration", "encryptionConfiguration", "encryptionOption")
        if config.get("enforceWorkgroupConfiguration") is not True or option not in ("SSE_KMS", "CSE_KMS"):
            return ["Athena workgroups must enforce KMS-encrypted results"]
    return []


def tagged(resource_type: str, props: dict[str, Any]) -> list[str]:
    if resource_type not in TAGGABLE_TYPES:
        return []
    tags = props.get("tags") or {}
    missing = [tag for tag in REQUIRED_TAGS if not tags.get(tag)]
    return [f"cost-allocation tags missing: {', '.join(missing)}"] if missing else []


CHECKS: dict[str, tuple[str, Check]] = {
    "kms-key-rotation": ("Customer-managed KMS keys rotate yearly", kms_key_rotation),
    "encrypted-with-cmk": ("Data at rest is encrypted with a customer-managed KMS key", encrypted_with_cmk),
    "s3-encryption": ("Buckets default to SSE-KMS with a bucket key", s3_encryption),
    "s3-public-access-blocked": ("Buckets block every form of public access", s3_public_access_blocked),
    "tls-only-resource-policies": (
        "Bucket, queue and topic policies deny non-TLS requests",
        tls_only_resource_policies,
    ),
    "iam-least-privilege": (
        "No wildcard actions; '*' resources only where AWS allows nothing else",
        iam_least_privilege,
    ),
    "config-feed-writes": (
        "Writes on the processor's config feeds are granted by the feed's prefix, one feed per policy",
        config_feed_writes,
    ),
    "iam-no-inline-policies": ("Roles get customer-managed policies, never inline ones", iam_no_inline_policies),
    "log-retention": ("Log groups have a retention", log_retention),
    "lambda-settings": ("Lambdas trace with X-Ray, reserve concurrency, run python3.12 on arm64", lambda_settings),
    "alarms-notify": ("Alarms notify and state their missing-data treatment", alarms_notify),
    "api-stage-observability": (
        "API stages trace, log access, never log bodies, encrypt caches",
        api_stage_observability,
    ),
    "security-groups-https-only": ("Security groups: no open ingress, HTTPS-only egress", security_groups_https_only),
    "analytics-encrypted": ("Glue and Athena encrypt everything they write", analytics_encrypted),
    "cost-allocation-tags": ("Taggable resources carry project, stack and component tags", tagged),
}


# Checks of one area live in its own module (policy/edge.py, iam.py, monitoring.py, network.py), each with a
# CHECKS (per resource) and a STACK_CHECKS (over the whole stack) table of its own.
STACK_CHECKS: dict[str, tuple[str, StackCheck]] = {}
for _area in (edge, iam, monitoring, network):
    CHECKS.update(_area.CHECKS)
    STACK_CHECKS.update(_area.STACK_CHECKS)


def violations(resources: Iterable[dict[str, Any]]) -> list[tuple[str, str, str]]:
    """(check, resource name, message) for every violation in a `plan --json` resource list."""
    listed = list(resources)
    found = []
    for resource in listed:
        for check_name, (_, check) in CHECKS.items():
            for message in check(resource["type"], resource["inputs"]):
                found.append((check_name, resource["name"], message))
    for check_name, (_, stack_check) in STACK_CHECKS.items():
        found += [(check_name, name, message) for name, message in stack_check(listed)]
    return found
