"""The policy pack: 0 violations over both mocked stacks, and one failing fixture per rule."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from policy.checks import CHECKS, STACK_CHECKS, violations
from tests.infra.crossguard import run_pack
from tests.infra.graph import Graph

ROOT = Path(__file__).resolve().parents[2]
TLS_DENY = {
    "Effect": "Deny",
    "Principal": "*",
    "Action": "s3:*",
    "Resource": "*",
    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
}

# One resource per rule that the rule must reject (and only it needs to: other rules may or may not fire).
FAILING: dict[str, tuple[str, dict]] = {
    "kms-key-rotation": ("aws:kms/key:Key", {"enableKeyRotation": False}),
    "encrypted-with-cmk": ("aws:sqs/queue:Queue", {"name": "q", "sqsManagedSseEnabled": True}),
    "s3-encryption": (
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        {"bucket": "lake", "rules": [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}}]},
    ),
    "s3-public-access-blocked": (
        "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
        {"blockPublicAcls": True, "blockPublicPolicy": True, "ignorePublicAcls": True, "restrictPublicBuckets": False},
    ),
    "tls-only-resource-policies": (
        "aws:sqs/queuePolicy:QueuePolicy",
        {"policy": json.dumps({"Statement": [{"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "*"}]})},
    ),
    "iam-least-privilege": (
        "aws:iam/policy:Policy",
        {"policy": json.dumps({"Statement": [{"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": ["*"]}]})},
    ),
    "config-feed-writes": (
        "aws:iam/policy:Policy",
        {
            "policy": json.dumps(
                {"Statement": [{"Effect": "Allow", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::lake/*"}]}
            )
        },
    ),
    "iam-no-inline-policies": ("aws:iam/rolePolicy:RolePolicy", {"role": "r", "policy": "{}"}),
    "log-retention": ("aws:cloudwatch/logGroup:LogGroup", {"name": "g", "kmsKeyId": "k"}),
    "lambda-settings": (
        "aws:lambda/function:Function",
        {"runtime": "python3.12", "architectures": ["arm64"], "reservedConcurrentExecutions": 5, "kmsKeyArn": "k"},
    ),
    "alarms-notify": ("aws:cloudwatch/metricAlarm:MetricAlarm", {"treatMissingData": "breaching"}),
    "api-stage-observability": (
        "aws:apigateway/methodSettings:MethodSettings",
        {"methodPath": "*/*", "settings": {"dataTraceEnabled": True}},
    ),
    "security-groups-https-only": (
        "aws:ec2/securityGroup:SecurityGroup",
        {"egress": [{"protocol": "-1", "fromPort": 0, "toPort": 0, "cidrBlocks": ["0.0.0.0/0"]}]},
    ),
    "analytics-encrypted": (
        "aws:glue/securityConfiguration:SecurityConfiguration",
        {
            "encryptionConfiguration": {
                "s3Encryption": {"s3EncryptionMode": "SSE-KMS"},
                "cloudwatchEncryption": {"cloudwatchEncryptionMode": "DISABLED"},
                "jobBookmarksEncryption": {"jobBookmarksEncryptionMode": "CSE-KMS"},
            }
        },
    ),
    "cost-allocation-tags": ("aws:s3/bucket:Bucket", {"bucket": "b", "tags": {"project": "securebank"}}),
    "waf-anonymous-ip": ("aws:wafv2/webAcl:WebAcl", {"rules": []}),  # more cases in tests/infra/test_edge.py
    "custom-metrics-per-stack": (  # more cases, and billing-alarms-once's, in tests/infra/test_monitoring_policy.py
        "aws:cloudwatch/metricAlarm:MetricAlarm",
        {"namespace": "SecureBank/Fraud", "metricName": "DetectedCount", "dimensions": {"service": "securebank"}},
    ),
    "api-reads-iam-authorised": (  # more cases in tests/infra/test_access.py
        "aws:apigateway/restApi:RestApi",
        {"body": json.dumps({"paths": {"/v1/transactions/{id}": {"get": {"security": [{"api_key": []}]}}}})},
    ),
}


def test_both_stacks_pass_every_check(graph: Graph) -> None:
    resources = [{"type": r.type, "name": r.name, "inputs": r.inputs} for r in graph]
    assert violations(resources) == []


def test_there_is_a_failing_fixture_for_every_rule() -> None:
    assert set(FAILING) == set(CHECKS)


@pytest.mark.parametrize("rule", sorted(CHECKS))
def test_rule_rejects_its_failing_fixture(rule: str) -> None:
    resource_type, props = FAILING[rule]
    _, check = CHECKS[rule]
    assert check(resource_type, props), f"{rule} accepted {props}"


@pytest.mark.parametrize("rule", sorted(CHECKS))
def test_rule_accepts_the_matching_resources_of_the_real_stacks(rule: str, graphs: dict[str, Graph]) -> None:
    _, check = CHECKS[rule]
    resource_type, _ = FAILING[rule]
    real = [r for g in graphs.values() for r in g.of_type(resource_type)]
    if rule == "iam-no-inline-policies":
        assert real == []  # the rule's whole point: the stacks have none
        return
    assert real, f"no {resource_type} in the stacks to compare {rule} against"
    assert all(check(r.type, r.inputs) == [] for r in real)


def test_iam_rule_allows_star_only_for_actions_without_resource_level_permissions() -> None:
    _, check = CHECKS["iam-least-privilege"]
    xray = {"Effect": "Allow", "Action": ["xray:PutTraceSegments"], "Resource": ["*"]}
    star_action = {"Effect": "Allow", "Action": ["s3:*"], "Resource": ["arn:aws:s3:::b/*"]}
    assert check("aws:iam/rolePolicy:RolePolicy", {"policy": json.dumps({"Statement": [xray]})}) == []
    assert check("aws:iam/rolePolicy:RolePolicy", {"policy": json.dumps({"Statement": [star_action]})})


def test_the_access_log_bucket_exception_is_narrow() -> None:
    _, check = CHECKS["s3-encryption"]
    sse_s3 = {"rules": [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}}]}
    token = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
    assert check(token, {**sse_s3, "bucket": "securebank-data-lake-dev-access-logs"}) == []
    assert check(token, {**sse_s3, "bucket": "securebank-data-lake-dev"})


def test_tls_rule_accepts_a_deny_statement() -> None:
    _, check = CHECKS["tls-only-resource-policies"]
    assert check("aws:s3/bucketPolicy:BucketPolicy", {"policy": json.dumps({"Statement": [TLS_DENY]})}) == []


def test_the_pack_loads_with_pulumi_policy_and_registers_every_check() -> None:
    """Import policy/__main__.py as CrossGuard would; PolicyPack's constructor needs an engine, so it is stubbed."""
    script = f"""
import runpy, sys, pulumi_policy
captured = {{}}
class Pack:
    def __init__(self, name, policies, enforcement_level=None, **_):
        captured.update(name=name, policies=policies, level=enforcement_level)
pulumi_policy.PolicyPack = Pack
runpy.run_path({str(ROOT / "policy" / "__main__.py")!r})
from types import SimpleNamespace
[rotation] = [p for p in captured["policies"] if p.name == "kms-key-rotation"]
reported = []
rotation.validate(SimpleNamespace(resource_type="aws:kms/key:Key", props={{"enableKeyRotation": False}}),
                  lambda message, urn=None: reported.append(message))
assert reported == ["KMS keys must rotate (enableKeyRotation)"], reported
print(captured["name"], captured["level"], ",".join(p.name for p in captured["policies"]))
"""
    result = subprocess.run(
        [sys.executable, "-c", script], check=False, capture_output=True, text=True, timeout=60, cwd=ROOT
    )
    assert result.returncode == 0, result.stderr
    name, level, policies = result.stdout.split()
    assert name == "securebank-controls" and "MANDATORY" in level
    assert policies.split(",") == list(CHECKS) + list(STACK_CHECKS)


def test_the_pack_accepts_compliant_resources_wrapped_in_pulumi_policy_proxies(graphs: dict[str, Graph]) -> None:
    checked_types = {FAILING[rule][0] for rule in CHECKS if rule != "iam-no-inline-policies"}
    resources = [
        {"type": r.type, "name": f"{stack}/{r.name}", "inputs": r.inputs}
        for stack, g in graphs.items()
        for r in g
        if r.type in checked_types
        or r.type.startswith(("aws:lambda/", "aws:iam/", "aws:s3/", "aws:ec2/securityGroup", "aws:apigateway/"))
    ]
    assert {r["type"] for r in resources} >= checked_types
    assert run_pack(resources)["resource"] == []  # stack rules: one stack at a time (test_edge, test_monitoring_policy)


def test_the_pack_still_reports_violations_through_pulumi_policy_proxies() -> None:
    resources = [
        {"type": resource_type, "name": rule, "inputs": props} for rule, (resource_type, props) in FAILING.items()
    ]
    reports = run_pack(resources)["resource"]
    assert not [r for r in reports if r[2].startswith("crashed")], reports
    assert {name for name, policy, _ in reports if name == policy} == set(CHECKS)


def test_the_pulumi_program_never_imports_pulumi_policy() -> None:
    for path in [ROOT / "__main__.py", *(ROOT / "components").glob("*.py"), *(ROOT / "handlers").glob("*.py")]:
        assert "pulumi_policy" not in path.read_text(), path


def _writes(*statements: dict) -> dict:
    return {"policy": json.dumps({"Version": "2012-10-17", "Statement": list(statements)})}


def _allow(actions: str | list[str], resources: str | list[str]) -> dict:
    return {"Effect": "Allow", "Action": actions, "Resource": resources}


def test_the_config_feeds_of_the_policy_check_are_the_contracts_prefixes() -> None:
    from contracts.aws import MERCHANT_RISK_PREFIX, POLICY_PREFIX
    from policy.checks import CONFIG_FEED_PREFIXES

    assert CONFIG_FEED_PREFIXES == (POLICY_PREFIX, MERCHANT_RISK_PREFIX)


@pytest.mark.parametrize(
    "statement",
    [
        _allow("s3:PutObject", "arn:aws:s3:::lake/*"),
        _allow(["s3:DeleteObject"], "arn:aws:s3:::lake/config/*"),
        _allow("s3:Put*", "arn:aws:s3:::lake/config/fraud-policy*"),  # also config/fraud-policy-evil/
        _allow("s3:*", "arn:aws:s3:::lake-*"),
        _allow("*", "*"),
        {"Effect": "Allow", "NotAction": "s3:GetObject", "Resource": "arn:aws:s3:::*"},
    ],
)
def test_a_config_feed_granted_through_a_broader_pattern_is_refused(statement: dict) -> None:
    _, check = CHECKS["config-feed-writes"]
    assert any("grant the feed by its prefix" in v for v in check("aws:iam/policy:Policy", _writes(statement)))


def test_one_policy_writing_both_config_feeds_is_refused() -> None:
    _, check = CHECKS["config-feed-writes"]
    both = _allow(
        "s3:PutObject", ["arn:aws:s3:::lake/config/fraud-policy/*", "arn:aws:s3:::lake/config/merchant-risk/*"]
    )
    assert check("aws:iam/rolePolicy:RolePolicy", _writes(both)) == [
        "one policy may write objects of at most one config feed, not ['config/fraud-policy/', 'config/merchant-risk/']"
    ]


@pytest.mark.parametrize(
    "statement",
    [
        _allow(
            ["s3:DeleteObject", "s3:PutObject"],
            ["arn:aws:s3:::lake/config/fraud-policy/*", "arn:aws:s3:::lake/glue/tmp/*"],
        ),
        _allow("s3:GetObject", ["arn:aws:s3:::lake/*"]),  # reading is not publishing
        _allow("s3:ListBucket", ["arn:aws:s3:::lake"]),
        _allow("s3:ReplicateObject", ["arn:aws:s3:::lake-replica/*"]),  # DR copies what the writers wrote
        _allow("s3:PutObject", ["arn:aws:s3:::lake/raw/transactions/*"]),
        {"Effect": "Deny", "Action": "s3:*", "Resource": "*"},
    ],
)
def test_a_feed_granted_by_its_prefix_and_other_statements_pass(statement: dict) -> None:
    _, check = CHECKS["config-feed-writes"]
    assert check("aws:iam/policy:Policy", _writes(statement)) == []
