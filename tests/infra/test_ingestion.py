"""Ingestion: the REST API rendered from contracts/openapi.yaml (writing to Storage's stream), its stage, keys, WAF."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys

import pytest

from components.openapi import ITEM_PATH, render_body
from contracts.aws import (
    HEALTH_PATH,
    MAX_BODY_BYTES,
    OPENAPI_PATH,
    PARTITION_KEY_FIELD,
    STREAM_NAME,
    TRANSACTIONS_PATH,
)
from tests.infra.conftest import ROOT, stack_config
from tests.infra.graph import Graph

SUBSTITUTIONS = {"region": "us-east-1", "stream_name": "s", "api_role_arn": "r", "query_lambda_invoke_arn": "q",
                 "cases_lambda_invoke_arn": "c"}  # fmt: skip
"""Every placeholder of the contract, with a stand-in value."""


def _body(graph: Graph) -> dict:
    return json.loads(graph.one("aws:apigateway/restApi:RestApi").inputs["body"])


def test_api_is_regional_and_its_body_is_the_contract_with_every_placeholder_filled(graph: Graph) -> None:
    api = graph.one("aws:apigateway/restApi:RestApi").inputs
    assert api["endpointConfiguration"] == {"types": "REGIONAL"}
    assert api["putRestApiMode"] == "overwrite"
    text = api["body"]
    for placeholder in (f"${{{name}}}" for name in SUBSTITUTIONS):
        assert placeholder not in text
    body = json.loads(text)
    post = body["paths"][TRANSACTIONS_PATH]["post"]["x-amazon-apigateway-integration"]
    assert post["uri"] == "arn:aws:apigateway:us-east-1:kinesis:action/PutRecord"
    assert post["credentials"] == "arn:aws:iam::123456789012:role/ingestion-api-role"
    template = post["requestTemplates"]["application/json"]
    assert f'"StreamName": "{STREAM_NAME}-{graph.stack}"' in template
    assert f"$input.path('$.{PARTITION_KEY_FIELD}')" in template
    get = body["paths"][ITEM_PATH]["get"]["x-amazon-apigateway-integration"]
    assert get["type"] == "aws_proxy"
    assert get["uri"].endswith(f":function:securebank-query-{graph.stack}/invocations")
    assert body["x-amazon-apigateway-request-validators"]["all"]["validateRequestBody"] is True


def test_post_needs_sigv4_and_an_api_key_and_get_by_id_is_authorised_by_iam_alone(graph: Graph) -> None:
    body = _body(graph)
    assert body["paths"][TRANSACTIONS_PATH]["post"]["security"] == [{"api_key": [], "sigv4": []}]
    assert body["paths"][ITEM_PATH]["get"]["security"] == [{"sigv4": []}]  # no API key: reads are IAM's
    assert body["paths"][HEALTH_PATH]["get"]["security"] == []
    assert body["components"]["securitySchemes"]["sigv4"]["x-amazon-apigateway-authtype"] == "awsSigv4"


def test_get_by_id_is_cached_by_the_parameters_that_select_the_answer(graph: Graph) -> None:
    get = _body(graph)["paths"][ITEM_PATH]["get"]
    keys = get["x-amazon-apigateway-integration"]["cacheKeyParameters"]
    assert keys == ["method.request.path.transaction_id", "method.request.querystring.customer_id"]
    # API Gateway accepts only method request parameters as cache keys: each is a declared parameter of GET.
    where = {"path": "path", "query": "querystring", "header": "header"}
    declared = {f"method.request.{where[p['in']]}.{p['name']}" for p in get["parameters"]}
    assert set(keys) == declared


def test_rendering_refuses_a_contract_without_the_sigv4_scheme() -> None:
    subs = dict(SUBSTITUTIONS)
    text = OPENAPI_PATH.read_text().replace("x-amazon-apigateway-authtype: awsSigv4", "")
    with pytest.raises(ValueError, match="sigv4"):
        render_body(subs, "https://a.example", text)


def test_cors_preflight_answers_with_the_configured_origin(graph: Graph) -> None:
    origin = f"'{stack_config(graph.stack)['corsAllowedOrigin']}'"
    body = _body(graph)
    for path in (TRANSACTIONS_PATH, ITEM_PATH):
        options = body["paths"][path]["options"]
        assert options["security"] == []
        params = options["x-amazon-apigateway-integration"]["responses"]["default"]["responseParameters"]
        assert params["method.response.header.Access-Control-Allow-Origin"] == origin
    default_4xx = body["x-amazon-apigateway-gateway-responses"]["DEFAULT_4XX"]
    assert default_4xx["responseParameters"]["gatewayresponse.header.Access-Control-Allow-Origin"] == origin


def test_deployment_is_triggered_by_the_body_hash(graph: Graph) -> None:
    api = graph.one("aws:apigateway/restApi:RestApi").inputs
    deployment = graph.one("aws:apigateway/deployment:Deployment").inputs
    assert deployment["triggers"] == {"body_sha256": hashlib.sha256(api["body"].encode()).hexdigest()}


def test_a_changed_contract_changes_the_body_and_so_the_trigger() -> None:
    subs = dict(SUBSTITUTIONS)
    original = render_body(subs, "https://a.example")
    assert render_body(subs, "https://a.example") == original  # stable
    from components.openapi import OPENAPI_PATH

    changed = OPENAPI_PATH.read_text().replace("Submit a card transaction", "Submit one card transaction")
    assert render_body(subs, "https://a.example", changed) != original


def test_rendering_refuses_a_missing_placeholder() -> None:
    with pytest.raises(ValueError, match="stream_name"):
        render_body({k: v for k, v in SUBSTITUTIONS.items() if k != "stream_name"}, "https://a.example")


def test_stage_logs_json_access_logs_traces_and_caches(graph: Graph) -> None:
    stage = graph.one("aws:apigateway/stage:Stage").inputs
    assert stage["xrayTracingEnabled"] is True
    assert stage["cacheClusterEnabled"] is True
    access = stage["accessLogSettings"]
    assert access["destinationArn"].endswith(f":log-group:/securebank/{graph.stack}/api-access")
    fields = json.loads(access["format"])
    assert {"requestId", "ip", "status", "latency", "apiKeyId"} <= set(fields)


def test_all_methods_are_throttled_and_logged_without_bodies(graph: Graph) -> None:
    settings = graph.named("ingestion-all-methods").inputs
    assert settings["methodPath"] == "*/*"
    assert settings["settings"]["throttlingRateLimit"] == 10_000
    assert settings["settings"]["throttlingBurstLimit"] > 0
    assert settings["settings"]["loggingLevel"] == "INFO"
    assert settings["settings"]["metricsEnabled"] is True
    assert settings["settings"]["dataTraceEnabled"] is False


def test_get_by_id_has_a_five_minute_encrypted_cache(graph: Graph) -> None:
    cache = graph.named("ingestion-get-by-id-cache").inputs
    assert cache["methodPath"] == "v1/transactions/{transaction_id}/GET"
    assert cache["settings"]["cachingEnabled"] is True
    assert cache["settings"]["cacheTtlInSeconds"] == 300
    assert cache["settings"]["cacheDataEncrypted"] is True


def test_usage_plan_binds_the_stage_and_every_api_key_with_per_client_limits(graph: Graph) -> None:
    plan = graph.one("aws:apigateway/usagePlan:UsagePlan").inputs
    [stage] = plan["apiStages"]
    assert stage["stage"] == "v1"
    assert plan["throttleSettings"]["rateLimit"] > 0 and plan["quotaSettings"]["period"] == "DAY"
    keys = graph.of_type("aws:apigateway/apiKey:ApiKey")
    bindings = graph.of_type("aws:apigateway/usagePlanKey:UsagePlanKey")
    assert keys and len(bindings) == len(keys)
    assert all(b.inputs["keyType"] == "API_KEY" for b in bindings)


def test_api_role_may_put_records_on_this_stream_only(graph: Graph) -> None:
    statements = graph.named("ingestion-api-put-record").statements()
    stream = graph.one("aws:kinesis/stream:Stream").inputs["name"]
    kinesis = [s for s in statements if any(a.startswith("kinesis:") for a in s["Action"])]
    assert kinesis == [
        {
            "Sid": "PutRecordOnThisStreamOnly",
            "Effect": "Allow",
            "Action": ["kinesis:PutRecord"],
            "Resource": [f"arn:aws:kinesis:us-east-1:123456789012:stream/{stream}"],
        }
    ]


def test_api_gateway_may_invoke_the_query_lambda_for_get_only(graph: Graph) -> None:
    permission = graph.named("ingestion-api-invokes-query").inputs
    assert permission["principal"] == "apigateway.amazonaws.com"
    assert permission["function"] == f"securebank-query-{graph.stack}"
    assert permission["sourceArn"].endswith(f"/*/GET{TRANSACTIONS_PATH}/*")


def test_stage_is_protected_by_waf(graph: Graph) -> None:
    acl = graph.one("aws:wafv2/webAcl:WebAcl").inputs
    assert acl["scope"] == "REGIONAL"
    assert {r["name"] for r in acl["rules"]} == {
        "body-size-limit",
        "AWSManagedRulesCommonRuleSet",
        "AWSManagedRulesKnownBadInputsRuleSet",
        "AWSManagedRulesAnonymousIpList",
        "rate-limit-per-ip",
    }  # the anonymous-IP group, the 429 and the limit: tests/infra/test_edge.py
    association = graph.one("aws:wafv2/webAclAssociation:WebAclAssociation").inputs
    assert association["resourceArn"].endswith("/stages/v1")


def test_waf_answers_a_body_over_the_api_limit_with_413_before_any_other_rule(graph: Graph) -> None:
    acl = graph.one("aws:wafv2/webAcl:WebAcl").inputs
    first = min(acl["rules"], key=lambda rule: rule["priority"])
    size = first["statement"]["sizeConstraintStatement"]
    assert (size["comparisonOperator"], size["size"]) == ("GT", MAX_BODY_BYTES) == ("GT", 8192)
    assert size["fieldToMatch"] == {"body": {"oversizeHandling": "MATCH"}}
    response = first["action"]["block"]["customResponse"]
    assert response["responseCode"] == 413
    [body] = [b for b in acl["customResponseBodies"] if b["key"] == response["customResponseBodyKey"]]
    assert body["contentType"] == "APPLICATION_JSON"
    assert json.loads(body["content"])["error"]["code"] == "payload_too_large"


def test_waf_logs_to_an_encrypted_group_without_credentials(graph: Graph) -> None:
    logging = graph.one("aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration").inputs
    [destination] = logging["logDestinationConfigs"]
    assert destination.endswith(f":log-group:aws-waf-logs-securebank-{graph.stack}")
    redacted = {field["singleHeader"]["name"] for field in logging["redactedFields"]}
    assert redacted == {"authorization", "x-api-key"}


def _resolve(body: dict, node: dict) -> dict:
    while "$ref" in node:
        target: object = body
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]  # type: ignore[index]
        node = target  # type: ignore[assignment]
    return node


def test_every_integration_response_header_is_declared_on_its_method_response(graph: Graph) -> None:
    """API Gateway's import rejects an integration response that sets a header its method response does not declare."""
    body = _body(graph)
    checked = 0
    for path, operations in body["paths"].items():
        for method, operation in operations.items():
            integration = operation.get("x-amazon-apigateway-integration", {})
            for pattern, response in integration.get("responses", {}).items():
                headers = [
                    parameter.removeprefix("method.response.header.")
                    for parameter in response.get("responseParameters", {})
                    if parameter.startswith("method.response.header.")
                ]
                declared = _resolve(body, operation["responses"][response["statusCode"]]).get("headers", {})
                for header in headers:
                    checked += 1
                    assert header in declared, f"{method} {path} {pattern} -> {response['statusCode']}: {header}"
    assert checked
    # The 4xx template overrides the status to 429 for throttling: that method response must declare it too.
    throttled = _resolve(body, body["paths"][TRANSACTIONS_PATH]["post"]["responses"]["429"])
    assert "Access-Control-Allow-Origin" in throttled.get("headers", {})


RECORD_DEPENDENCIES = """
import json, sys
from pulumi.runtime import mocks
from securebank.infra.mocks import run_program
seen = {}
register = mocks.MockMonitor.RegisterResource
def recording(self, request):
    seen[request.name] = {"type": request.type, "dependencies": list(request.dependencies), "parent": request.parent}
    return register(self, request)
mocks.MockMonitor.RegisterResource = recording
run_program(sys.argv[1])
print(json.dumps(seen))
"""


def test_api_gateway_account_waits_for_its_cloudwatch_role_policy_attachment() -> None:
    """Without the managed policy attached, setting the account's CloudWatch role fails (the role cannot push logs)."""
    result = subprocess.run(
        [sys.executable, "-c", RECORD_DEPENDENCIES, "dev"],
        check=False,
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout.splitlines()[-1])
    [account] = [r for r in seen.values() if r["type"] == "aws:apigateway/account:Account"]
    attachment = seen["ingestion-api-logging-policy"]
    assert attachment["type"] == "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
    assert any(urn.endswith("::ingestion-api-logging-policy") for urn in account["dependencies"]), account
    assert account["parent"].endswith("::ingestion")
