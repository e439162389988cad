"""Access: the analyst role that reads transactions through the IAM-authorised API, the policy rule that keeps
GET on the transactions API behind AWS_IAM, and the release role, the only writer of the fraud policy's release
record."""

from __future__ import annotations

import fnmatch
import json
from typing import Any

import pytest
import yaml

import policy.iam
from components.access import ANALYST_SESSION_SECONDS, RELEASE_SESSION_SECONDS
from components.roles import ANALYST_MFA_MAX_AGE_SECONDS, ANALYST_ROUTES
from contracts.aws import (
    HEALTH_PATH,
    LABEL_PATH_SUFFIX,
    OPENAPI_PATH,
    POLICY_AUDIT_PREFIX,
    POLICY_PREFIX,
    POLICY_RELEASE_KEY,
    REVIEWS_PATH,
    TRANSACTIONS_PATH,
    policy_key,
    policy_report_key,
)
from policy.iam import TRANSACTIONS_API_PATH, api_reads_iam_authorised
from tests.infra.graph import Graph

ACCOUNT = "123456789012"
REST_API = "aws:apigateway/restApi:RestApi"


def _iam_only_operations() -> set[tuple[str, str]]:
    """(METHOD, path as an execute-api ARN writes it) of every contract operation authorised by IAM alone."""
    document = yaml.safe_load(OPENAPI_PATH.read_text())
    found = set()
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            if operation.get("security", document.get("security")) == [{"sigv4": []}]:
                arn_path = "/".join("*" if part.startswith("{") else part for part in path.split("/"))
                found.add((method.upper(), arn_path))
    return found


def test_every_analyst_route_is_an_operation_the_contract_authorises_by_iam_alone() -> None:
    assert set(ANALYST_ROUTES) <= _iam_only_operations()
    assert ("GET", f"{TRANSACTIONS_PATH}/*") in ANALYST_ROUTES


def test_the_analyst_role_is_assumable_only_from_this_account_with_recent_mfa(graph: Graph) -> None:
    role = graph.named("access-analyst-role")
    assert role.parent == "access"
    assert role.inputs["name"] == f"securebank-{graph.stack}-analyst"
    assert role.inputs["maxSessionDuration"] == ANALYST_SESSION_SECONDS
    [trust] = role.statements("assumeRolePolicy")
    assert trust["Principal"] == {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}
    assert trust["Action"] == "sts:AssumeRole"
    assert trust["Condition"] == {
        "Bool": {"aws:MultiFactorAuthPresent": "true"},
        "NumericLessThan": {"aws:MultiFactorAuthAge": str(ANALYST_MFA_MAX_AGE_SECONDS)},
    }


def test_the_analyst_role_may_invoke_get_by_id_in_this_stage_and_nothing_else(graph: Graph) -> None:
    policy = graph.named("access-analyst-invoke")
    attachment = graph.named("access-analyst-invoke-attachment").inputs
    assert attachment["role"] == f"securebank-{graph.stack}-analyst"
    [grant] = policy.statements()
    assert grant["Effect"] == "Allow"
    assert grant["Action"] == ["execute-api:Invoke"]
    stage = graph.one("aws:apigateway/stage:Stage").inputs
    api = f"arn:aws:execute-api:us-east-1:{ACCOUNT}:{stage['restApi']}/{stage['stageName']}"
    assert grant["Resource"] == [f"{api}/{method}{path}" for method, path in ANALYST_ROUTES]
    # What the ARN patterns let through: reads by id (and the review and label routes, tests/infra/test_cases_api.py),
    # not submissions, not the health check, not another stage.
    assert any(fnmatch.fnmatchcase(f"{api}/GET{TRANSACTIONS_PATH}/tx_1", arn) for arn in grant["Resource"])
    for denied in (f"{api}/POST{TRANSACTIONS_PATH}", f"{api}/GET{HEALTH_PATH}", f"{api}x/GET{TRANSACTIONS_PATH}/t"):
        assert not any(fnmatch.fnmatchcase(denied, arn) for arn in grant["Resource"]), denied


def test_the_stack_exports_the_analyst_role_for_whoever_grants_assume_role() -> None:
    from tests.infra.conftest import ROOT

    assert 'pulumi.export("analyst_role_arn", access.analyst_role.arn)' in (ROOT / "__main__.py").read_text()


def test_the_policy_rule_watches_the_contracts_transactions_path() -> None:
    assert TRANSACTIONS_API_PATH == TRANSACTIONS_PATH
    assert (policy.iam.REVIEWS_API_PATH, policy.iam.LABEL_PATH_SUFFIX) == (REVIEWS_PATH, LABEL_PATH_SUFFIX)


def test_the_rendered_api_of_both_stacks_passes_the_read_rule(graph: Graph) -> None:
    api = graph.one(REST_API)
    paths = json.loads(api.inputs["body"])["paths"]
    assert paths[f"{TRANSACTIONS_PATH}/{{transaction_id}}"]["get"]
    assert paths[REVIEWS_PATH]["get"] and paths[f"{TRANSACTIONS_PATH}/{{transaction_id}}{LABEL_PATH_SUFFIX}"]["post"]
    assert api_reads_iam_authorised(REST_API, api.inputs) == []


def _body(get: dict[str, Any], *, default: list[Any] | None = None, path: str = "/v1/transactions/{id}") -> dict:
    body: dict[str, Any] = {
        "components": {
            "securitySchemes": {
                "api_key": {"type": "apiKey", "name": "x-api-key", "in": "header"},
                "sigv4": {
                    "type": "apiKey",
                    "name": "Authorization",
                    "in": "header",
                    "x-amazon-apigateway-authtype": "awsSigv4",
                },
            }
        },
        "paths": {path: get},
    }
    if default is not None:
        body["security"] = default
    return {"body": json.dumps(body)}


@pytest.mark.parametrize(
    ("props", "why"),
    [
        (_body({"get": {"security": [{"api_key": []}]}}), "an API key alone"),
        (_body({"get": {"security": []}}), "no authorisation at all"),
        (_body({"get": {"security": [{"sigv4": []}, {"api_key": []}]}}), "an API-key alternative to IAM"),
        (_body({"get": {}}, default=[{"api_key": []}]), "the document's default security, an API key"),
        (_body({"get": {}}), "no security anywhere"),
        (_body({"x-amazon-apigateway-any-method": {"security": [{"api_key": []}]}}), "ANY without IAM"),
        (_body({"get": {"security": [{"api_key": []}]}}, path=TRANSACTIONS_PATH), "the collection itself"),
        (_body({"post": {"security": [{"api_key": []}]}}, path="/v1/transactions/{id}/label"), "a label, API key"),
        (_body({"post": {}}, path="/v1/transactions/{id}/label"), "a label without any security"),
        (_body({"get": {"security": [{"api_key": []}]}}, path="/v1/reviews"), "the review queue, API key alone"),
        (_body({"delete": {"security": [{"sigv4": []}, {}]}}, path="/v1/reviews"), "an open alternative"),
    ],
)
def test_the_read_rule_refuses_a_get_on_transactions_that_a_caller_could_reach_without_iam(
    props: dict, why: str
) -> None:
    assert api_reads_iam_authorised(REST_API, props), why


@pytest.mark.parametrize(
    "props",
    [
        _body({"get": {"security": [{"sigv4": []}]}}),
        _body({"get": {"security": [{"api_key": [], "sigv4": []}]}}),  # both required is stricter still
        _body({"get": {}}, default=[{"sigv4": []}]),
        _body({"post": {"security": [{"api_key": []}]}}),  # writes are not this rule's
        _body({"get": {"security": []}}, path=HEALTH_PATH),  # the liveness check is public by design
        _body({"get": {"security": []}}, path="/v1/transactionsx"),
        {},  # a RestApi built from Method resources, not a body
    ],
)
def test_the_read_rule_accepts_iam_authorised_reads_and_leaves_other_routes_alone(props: dict) -> None:
    assert api_reads_iam_authorised(REST_API, props) == []


def test_the_release_role_has_the_analyst_roles_trust(graph: Graph) -> None:
    role = graph.named("access-release-role")
    assert role.parent == "access"
    assert role.inputs["name"] == f"securebank-{graph.stack}-release"
    assert role.inputs["maxSessionDuration"] == RELEASE_SESSION_SECONDS
    assert role.statements("assumeRolePolicy") == graph.named("access-analyst-role").statements("assumeRolePolicy")
    [trust] = role.statements("assumeRolePolicy")
    assert trust["Condition"]["Bool"] == {"aws:MultiFactorAuthPresent": "true"}


def test_the_release_role_writes_only_the_release_record_and_audit_and_reads_the_policies(graph: Graph) -> None:
    bucket = f"arn:aws:s3:::securebank-data-lake-{graph.stack}"
    assert graph.named("access-release-policy-attachment").inputs["role"] == f"securebank-{graph.stack}-release"
    by_sid = {s["Sid"]: s for s in graph.named("access-release-policy").statements()}
    assert set(by_sid) == {"WriteReleaseRecordAndAudit", "ReadPolicies", "ListPolicies", "UseLakeKeyThroughS3"}
    write = by_sid["WriteReleaseRecordAndAudit"]
    assert write["Action"] == ["s3:PutObject"]
    assert write["Resource"] == [f"{bucket}/{POLICY_RELEASE_KEY}", f"{bucket}/{POLICY_AUDIT_PREFIX}*"]
    writable = [k for k in _POLICY_KEYS if any(fnmatch.fnmatchcase(f"{bucket}/{k}", r) for r in write["Resource"])]
    assert writable == [POLICY_RELEASE_KEY, f"{POLICY_AUDIT_PREFIX}x.json"]  # never a version or a report
    assert by_sid["ReadPolicies"]["Action"] == ["s3:GetObject"]
    assert by_sid["ReadPolicies"]["Resource"] == [f"{bucket}/{POLICY_PREFIX}*"]
    assert by_sid["ListPolicies"]["Resource"] == [bucket]
    assert by_sid["ListPolicies"]["Condition"] == {"StringLike": {"s3:prefix": [f"{POLICY_PREFIX}*"]}}
    key = by_sid["UseLakeKeyThroughS3"]
    assert key["Condition"] == {"StringEquals": {"kms:ViaService": "s3.us-east-1.amazonaws.com"}}
    [processor_key] = [s for s in graph.named("processing-processor-policy").statements() if s.get("Sid") == key["Sid"]]
    assert key["Resource"] == processor_key["Resource"] and key["Resource"][0].startswith("arn:aws:kms:")


_POLICY_KEYS = (policy_key(3), policy_report_key(3), POLICY_RELEASE_KEY, f"{POLICY_AUDIT_PREFIX}x.json")


def test_the_stack_exports_the_release_role() -> None:
    from tests.infra.conftest import ROOT

    assert 'pulumi.export("release_role_arn", access.release_role.arn)' in (ROOT / "__main__.py").read_text()
