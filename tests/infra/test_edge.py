"""The API's edge: the TLS 1.2 custom domain (prod) with the default endpoint off, the WAF's anonymous-IP group and its
per-IP limit against the usage plan, and the policy-pack rules that hold the stacks to them (policy/edge.py)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from components import waf
from policy.edge import tls_edge, waf_anonymous_ip, waf_limit_within_usage_plan
from tests.infra.conftest import stack_config
from tests.infra.crossguard import run_pack
from tests.infra.graph import Graph

REST_API = "aws:apigateway/restApi:RestApi"
DOMAIN = "aws:apigateway/domainName:DomainName"
MAPPING = "aws:apigateway/basePathMapping:BasePathMapping"
ACL = "aws:wafv2/webAcl:WebAcl"
PLAN = "aws:apigateway/usagePlan:UsagePlan"


def _rule(graph: Graph, name: str) -> dict[str, Any]:
    rules: list[dict[str, Any]] = graph.one(ACL).inputs["rules"]
    [rule] = [r for r in rules if r["name"] == name]
    return rule


def test_prod_serves_the_api_on_a_tls_1_2_regional_domain_mapped_to_the_stage(prod: Graph) -> None:
    config = stack_config("prod")
    domain = prod.one(DOMAIN).inputs
    assert domain["securityPolicy"] == "TLS_1_2"
    assert domain["domainName"] == config["domainName"]
    assert domain["regionalCertificateArn"] == config["certificateArn"]
    assert domain["endpointConfiguration"] == {"types": "REGIONAL"}
    mapping = prod.one(MAPPING).inputs
    assert mapping["domainName"] == config["domainName"]
    assert mapping["stageName"] == prod.one("aws:apigateway/stage:Stage").inputs["stageName"]
    assert mapping["restApi"] == prod.one("aws:apigateway/stage:Stage").inputs["restApi"]
    assert "basePath" not in mapping  # the root: https://<domain>/v1/transactions


def test_prod_disables_the_default_endpoint_and_exports_the_domain_and_its_dns_target(prod: Graph) -> None:
    assert prod.one(REST_API).inputs["disableExecuteApiEndpoint"] is True
    exports = prod.one("pulumi:pulumi:Stack").inputs
    assert exports["api_url"] == f"https://{stack_config('prod')['domainName']}"
    assert exports["api_domain_target"].endswith(".execute-api.us-east-1.amazonaws.com")
    assert exports["api_domain_zone_id"]


def test_dev_without_a_domain_keeps_the_default_endpoint(dev: Graph) -> None:
    assert "domainName" not in stack_config("dev")
    assert dev.of_type(DOMAIN) == [] and dev.of_type(MAPPING) == []
    assert dev.one(REST_API).inputs["disableExecuteApiEndpoint"] is False
    exports = dev.one("pulumi:pulumi:Stack").inputs
    assert exports["api_url"].startswith("https://") and ".execute-api." in exports["api_url"]
    assert "api_domain_target" not in exports


def test_waf_blocks_anonymous_ips_but_only_counts_hosting_providers(graph: Graph) -> None:
    rule = _rule(graph, "AWSManagedRulesAnonymousIpList")
    assert rule["overrideAction"] == {"none": {}}
    statement = rule["statement"]["managedRuleGroupStatement"]
    assert (statement["vendorName"], statement["name"]) == ("AWS", "AWSManagedRulesAnonymousIpList")
    assert statement["ruleActionOverrides"] == [{"name": "HostingProviderIPList", "actionToUse": {"count": {}}}]
    priorities = [r["priority"] for r in graph.one(ACL).inputs["rules"]]
    assert len(set(priorities)) == len(priorities)


def test_waf_rate_rule_answers_429_with_the_apis_throttled_error(graph: Graph) -> None:
    acl = graph.one(ACL).inputs
    response = _rule(graph, "rate-limit-per-ip")["action"]["block"]["customResponse"]
    assert response["responseCode"] == 429
    [body] = [b for b in acl["customResponseBodies"] if b["key"] == response["customResponseBodyKey"]]
    assert body["contentType"] == "APPLICATION_JSON"
    assert json.loads(body["content"])["error"]["code"] == "throttled"  # as API Gateway's own THROTTLED response


def test_waf_rate_limit_admits_a_key_at_its_full_usage_plan_from_one_address(graph: Graph) -> None:
    rate = _rule(graph, "rate-limit-per-ip")["statement"]["rateBasedStatement"]
    throttle = graph.one(PLAN).inputs["throttleSettings"]
    window = rate["evaluationWindowSec"]
    assert rate["aggregateKeyType"] == "IP"
    assert rate["limit"] >= throttle["rateLimit"] * window + throttle["burstLimit"]


def test_the_limit_is_what_a_greedy_client_gets_through_the_usage_plans_token_bucket() -> None:
    """Simulate API Gateway's token bucket (rate r, bucket b) in 10 ms steps for one WAF window: a client sending all
    it may is admitted at most the WAF limit, and the limit is no looser than one burst above what it got."""
    rate, burst = 1_000, 2_000
    step, tokens, admitted = 0.01, float(burst), 0
    for _ in range(int(waf.RATE_WINDOW_SECONDS / step)):
        sent = int(tokens)
        admitted += sent
        tokens = min(burst, tokens - sent + rate * step)
    limit = waf.rate_limit_per_ip(rate, burst)
    assert admitted <= limit < admitted + burst


def _stack(*resources: tuple[str, str, dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"type": kind, "name": name, "inputs": inputs} for kind, name, inputs in resources]


TLS_DOMAIN = (DOMAIN, "domain", {"domainName": "api.x", "securityPolicy": "TLS_1_2"})
TLS_MAPPING = (MAPPING, "mapping", {"domainName": "api.x", "restApi": "a", "stageName": "v1"})
OPEN_API = (REST_API, "api", {"disableExecuteApiEndpoint": False, "tags": {"stack": "dev"}})
CLOSED_API = (REST_API, "api", {"disableExecuteApiEndpoint": True, "tags": {"stack": "prod"}})


@pytest.mark.parametrize(
    ("resources", "message"),
    [
        ([CLOSED_API, (DOMAIN, "domain", {"domainName": "api.x"}), TLS_MAPPING], "securityPolicy TLS_1_2"),
        ([CLOSED_API, (DOMAIN, "domain", {**TLS_DOMAIN[2], "securityPolicy": "TLS_1_0"}), TLS_MAPPING], "TLS_1_2"),
        ([OPEN_API, TLS_DOMAIN, TLS_MAPPING], "must be off"),
        ([CLOSED_API], "needs a TLS_1_2 custom domain"),
        ([CLOSED_API, TLS_DOMAIN], "base path mapping"),
        ([CLOSED_API, TLS_DOMAIN, (MAPPING, "mapping", {**TLS_MAPPING[2], "domainName": "other.x"})], "mapping"),
        ([(REST_API, "api", {"tags": {"stack": "prod-dr"}})], "a prod API must disable"),
        ([(REST_API, "api", {"tags": {"stack": "dr-prod"}})], "a prod API must disable"),
    ],
)
def test_tls_edge_rule_rejects(resources: list[tuple[str, str, dict[str, Any]]], message: str) -> None:
    found = tls_edge(_stack(*resources))
    assert any(message in text for _, text in found), found


def test_tls_edge_rule_accepts_a_mapped_tls_domain_and_a_dev_api_without_one() -> None:
    assert tls_edge(_stack(CLOSED_API, TLS_DOMAIN, TLS_MAPPING)) == []
    assert tls_edge(_stack(OPEN_API)) == []
    assert tls_edge(_stack((REST_API, "api", {"tags": {"stack": "product-demo"}}))) == []


def _acl(limit: int, window: int | None = None, action: str = "block") -> tuple[str, str, dict[str, Any]]:
    rate: dict[str, Any] = {"limit": limit, "aggregateKeyType": "IP"}
    if window is not None:
        rate["evaluationWindowSec"] = window
    rule = {"name": "rate", "action": {action: {}}, "statement": {"rateBasedStatement": rate}}
    return (ACL, "acl", {"rules": [rule]})


USAGE_PLAN = (PLAN, "plan", {"throttleSettings": {"rateLimit": 1_000, "burstLimit": 2_000}})


@pytest.mark.parametrize(
    ("acl", "failing"),
    [
        (_acl(20_000), True),  # the old 20,000 per 5 minutes: 67/s against 1,000/s per key
        (_acl(299_999, 300), True),
        (_acl(59_999, 60), True),
        (_acl(300_000), False),  # no window: WAF's default 300 s
        (_acl(60_000, 60), False),
        (_acl(100, action="count"), False),  # counting never blocks a client
    ],
)
def test_waf_limit_rule_compares_the_limit_with_the_plan_over_the_rules_window(
    acl: tuple[str, str, dict[str, Any]], failing: bool
) -> None:
    assert bool(waf_limit_within_usage_plan(_stack(acl, USAGE_PLAN))) is failing


def test_anonymous_ip_rule_rejects_an_acl_without_the_group_or_with_the_group_counting() -> None:
    group = {
        "statement": {"managedRuleGroupStatement": {"name": "AWSManagedRulesAnonymousIpList", "vendorName": "AWS"}}
    }
    assert waf_anonymous_ip(ACL, {"rules": []}) == ["web ACLs must include AWSManagedRulesAnonymousIpList"]
    assert waf_anonymous_ip(ACL, {"rules": [{**group, "overrideAction": {"count": {}}}]})
    assert waf_anonymous_ip(ACL, {"rules": [{**group, "overrideAction": {"none": {}}}]}) == []


def test_both_stacks_pass_the_edge_rules(graph: Graph) -> None:
    resources = [{"type": r.type, "name": r.name, "inputs": r.inputs} for r in graph]
    assert tls_edge(resources) == []
    assert waf_limit_within_usage_plan(resources) == []
    assert waf_anonymous_ip(ACL, graph.one(ACL).inputs) == []


def test_the_pack_runs_the_edge_stack_rules_on_crossguard_proxies(prod: Graph) -> None:
    """As CrossGuard runs them: every resource's props wrapped in pulumi_policy's read-only proxy."""
    resources: list[dict[str, Any]] = [
        {"type": r.type, "name": r.name, "inputs": r.inputs} for r in prod if r.type.startswith("aws:")
    ]
    broken = [
        {**r, "inputs": {**r["inputs"], "disableExecuteApiEndpoint": False}} if r["type"] == REST_API else r
        for r in resources
    ]
    reports = {
        label: [r for r in run_pack(stack)["stack"] if r[0] in ("api-tls-edge", "waf-limit-within-usage-plan")]
        for label, stack in (("prod", resources), ("broken", broken))
    }
    assert reports["prod"] == []
    assert {policy for policy, _ in reports["broken"]} == {"api-tls-edge"}
