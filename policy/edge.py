"""The API's edge: custom domain and TLS, WAF rules and limits, read authorisation.

Per-resource checks take `(resource_type, props)` and return violation messages; stack checks take every resource
(`{"type", "name", "inputs"}`) and return `(resource name, message)` pairs. policy/checks.py registers both tables.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from policy.props import as_list, get

REST_API = "aws:apigateway/restApi:RestApi"
DOMAIN_NAME = "aws:apigateway/domainName:DomainName"
BASE_PATH_MAPPING = "aws:apigateway/basePathMapping:BasePathMapping"
WEB_ACL = "aws:wafv2/webAcl:WebAcl"
USAGE_PLAN = "aws:apigateway/usagePlan:UsagePlan"
TLS_POLICY = "TLS_1_2"
ANONYMOUS_IP_GROUP = "AWSManagedRulesAnonymousIpList"
DEFAULT_RATE_WINDOW_SECONDS = 300  # WAF's evaluation window when a rate-based statement sets none
PROD = "prod"  # a production stack's `stack` tag is prod or has it as a dash-separated part (dr-prod, prod-dr)


def _of(resources: list[dict[str, Any]], resource_type: str) -> list[dict[str, Any]]:
    return [r for r in resources if r["type"] == resource_type]


def tls_edge(resources: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """Every custom domain uses TLS_1_2; a domain and a disabled default endpoint go together (the default endpoint
    accepts TLS 1.0, and an API with it disabled is reachable only through a domain); a prod API (its `stack` tag)
    has both."""
    found = []
    domains = _of(resources, DOMAIN_NAME)
    for domain in domains:
        if domain["inputs"].get("securityPolicy") != TLS_POLICY:
            found.append((domain["name"], f"API custom domains must use securityPolicy {TLS_POLICY}"))
    tls_names = {d["inputs"].get("domainName") for d in domains if d["inputs"].get("securityPolicy") == TLS_POLICY}
    mapped = any(m["inputs"].get("domainName") in tls_names for m in _of(resources, BASE_PATH_MAPPING))
    for api in _of(resources, REST_API):
        disabled = api["inputs"].get("disableExecuteApiEndpoint") is True
        prod = PROD in str(get(api["inputs"], "tags", "stack") or "").split("-")
        if prod and not disabled:
            found.append((api["name"], "a prod API must disable the default execute-api endpoint (TLS 1.0)"))
        if domains and not disabled:
            found.append((api["name"], "with a custom domain, the default execute-api endpoint (TLS 1.0) must be off"))
        if (disabled or prod) and not mapped:
            found.append((api["name"], f"the API needs a {TLS_POLICY} custom domain with a base path mapping"))
    return found


def _managed_groups(props: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Rule name -> the rule, for the web ACL's rules that reference a managed rule group, by group name."""
    groups = {}
    for rule in as_list(props.get("rules")):
        group = get(rule, "statement", "managedRuleGroupStatement", "name")
        if group:
            groups[group] = rule
    return groups


def waf_anonymous_ip(resource_type: str, props: dict[str, Any]) -> list[str]:
    """Web ACLs include the anonymous-IP group, and do not override the whole group to count."""
    if resource_type != WEB_ACL:
        return []
    rule = _managed_groups(props).get(ANONYMOUS_IP_GROUP)
    if rule is None:
        return [f"web ACLs must include {ANONYMOUS_IP_GROUP}"]
    if get(rule, "overrideAction", "count") is not None:
        return [f"{ANONYMOUS_IP_GROUP} must not be overridden to count as a whole (override single rules instead)"]
    return []


def _rate_rules(acl: dict[str, Any]) -> list[tuple[str, int, int]]:
    """(rule name, limit, window seconds) for each per-IP rate-based rule that blocks."""
    found = []
    for rule in as_list(acl["inputs"].get("rules")):
        rate = get(rule, "statement", "rateBasedStatement")
        if not rate or get(rule, "action", "block") is None:
            continue
        window = int(rate.get("evaluationWindowSec") or DEFAULT_RATE_WINDOW_SECONDS)
        found.append((str(rule.get("name")), int(rate.get("limit") or 0), window))
    return found


def waf_limit_within_usage_plan(resources: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """A WAF rate rule never blocks a client below its usage plan: its limit over its window is at least the plan's
    per-key rate over the same window (the highest rate of the stack's usage plans)."""
    rates = [get(p["inputs"], "throttleSettings", "rateLimit") for p in _of(resources, USAGE_PLAN)]
    plan_rate = max((float(rate) for rate in rates if rate), default=0.0)
    found = []
    for acl in _of(resources, WEB_ACL):
        for rule, limit, window in _rate_rules(acl):
            if limit < plan_rate * window:
                found.append(
                    (
                        acl["name"],
                        f"rate rule {rule} blocks at {limit} per {window} s, below the usage plan's "
                        f"{plan_rate:g}/s ({plan_rate * window:.0f} per {window} s)",
                    )
                )
    return found


CHECKS: dict[str, tuple[str, Callable[[str, dict[str, Any]], list[str]]]] = {
    "waf-anonymous-ip": ("Web ACLs include the AWS anonymous-IP rule group", waf_anonymous_ip),
}
STACK_CHECKS: dict[str, tuple[str, Callable[[list[dict[str, Any]]], list[tuple[str, str]]]]] = {
    "api-tls-edge": (
        "APIs with a custom domain or in prod: TLS_1_2 domain, base path mapping, default endpoint disabled",
        tls_edge,
    ),
    "waf-limit-within-usage-plan": (
        "WAF per-IP rate limits are at or above the usage plan's per-key rate over the same window",
        waf_limit_within_usage_plan,
    ),
}
