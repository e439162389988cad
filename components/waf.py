"""The API's web ACL rules: the body-size limit (413 in the API's Error shape), the AWS managed rule groups and a
per-IP rate limit (429 in the API's Error shape). Plain data; Ingestion creates the WebAcl from it."""

from __future__ import annotations

import json

from contracts.aws import MAX_BODY_BYTES

RATE_WINDOW_SECONDS = 300  # the rate rule's evaluation window (WAF allows 60, 120, 300 or 600)
TOO_LARGE_BODY_KEY = "payload-too-large"
TOO_LARGE_BODY = json.dumps(
    {"error": {"code": "payload_too_large", "message": f"Request body over {MAX_BODY_BYTES} bytes"}}
)
THROTTLED_KEY = "throttled"
THROTTLED_BODY = json.dumps(
    {"error": {"code": "throttled", "message": "Too many requests from this address; retry with backoff"}}
)
TOO_MANY_REQUESTS = 429
PAYLOAD_TOO_LARGE = 413
ANONYMOUS_IP_GROUP = "AWSManagedRulesAnonymousIpList"
MANAGED_RULE_GROUPS = ("AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet", ANONYMOUS_IP_GROUP)
# Rules of a managed group that only count: hosting-provider addresses include a bank's legitimate server-to-server
# clients (payment gateways run in clouds), so they are logged and measured, not blocked. VPNs, Tor and proxies
# (AnonymousIPList) stay blocked.
COUNT_ONLY_RULES: dict[str, tuple[str, ...]] = {ANONYMOUS_IP_GROUP: ("HostingProviderIPList",)}


def rate_limit_per_ip(client_rate_per_second: int, client_burst: int) -> int:
    """The per-IP limit over RATE_WINDOW_SECONDS: what one API key may send within its usage plan in that window.

    The usage plan is a token bucket (rate r, burst b), so a key within its plan sends at most b + r * window requests
    in any window. At or above that, the WAF never blocks a keyed client that API Gateway would still admit; the usage
    plan throttles keys (429 from API Gateway), and this rule is the backstop against one address flooding without
    (or with many) keys. Several keys behind one egress address share the limit (docs/infrastructure.md).
    """
    return client_burst + client_rate_per_second * RATE_WINDOW_SECONDS


def custom_response_bodies() -> list[dict[str, str]]:
    return [
        {"key": TOO_LARGE_BODY_KEY, "content": TOO_LARGE_BODY, "content_type": "APPLICATION_JSON"},
        {"key": THROTTLED_KEY, "content": THROTTLED_BODY, "content_type": "APPLICATION_JSON"},
    ]


def rules(limit_per_ip: int) -> list[dict[str, object]]:
    """The body limit the local API checks too, answered as it answers: 413 with the Error shape. First, so that the
    common rule set's SizeRestrictions_BODY (a 403 over 8 KB) never sees an oversized body. Then the managed groups,
    then the per-IP rate rule with `limit_per_ip` requests per RATE_WINDOW_SECONDS (see `rate_limit_per_ip`)."""
    managed = [_managed_rule(group, priority) for priority, group in enumerate(MANAGED_RULE_GROUPS, start=1)]
    return [_body_size_rule(0), *managed, _rate_rule(len(managed) + 1, limit_per_ip)]


def visibility(metric: str) -> dict[str, object]:
    return {"cloudwatch_metrics_enabled": True, "metric_name": metric, "sampled_requests_enabled": True}


def _body_size_rule(priority: int) -> dict[str, object]:
    """Block a body over MAX_BODY_BYTES with 413; a body larger than WAF can inspect (16 KB) counts as over."""
    size = {
        "comparison_operator": "GT",
        "size": MAX_BODY_BYTES,
        "field_to_match": {"body": {"oversize_handling": "MATCH"}},
        "text_transformations": [{"priority": 0, "type": "NONE"}],
    }
    too_large = {"response_code": PAYLOAD_TOO_LARGE, "custom_response_body_key": TOO_LARGE_BODY_KEY}
    return {
        "name": "body-size-limit",
        "priority": priority,
        "action": {"block": {"custom_response": too_large}},
        "statement": {"size_constraint_statement": size},
        "visibility_config": visibility("body-size-limit"),
    }


def _managed_rule(rule_group: str, priority: int) -> dict[str, object]:
    statement: dict[str, object] = {"name": rule_group, "vendor_name": "AWS"}
    count_only = COUNT_ONLY_RULES.get(rule_group, ())
    if count_only:
        statement["rule_action_overrides"] = [{"name": rule, "action_to_use": {"count": {}}} for rule in count_only]
    return {
        "name": rule_group,
        "priority": priority,
        "override_action": {"none": {}},
        "statement": {"managed_rule_group_statement": statement},
        "visibility_config": visibility(rule_group),
    }


def _rate_rule(priority: int, limit: int) -> dict[str, object]:
    """Block an address over `limit` requests per window with 429 and the API's throttling Error, not WAF's 403."""
    throttled = {"response_code": TOO_MANY_REQUESTS, "custom_response_body_key": THROTTLED_KEY}
    rate = {"limit": limit, "evaluation_window_sec": RATE_WINDOW_SECONDS, "aggregate_key_type": "IP"}
    return {
        "name": "rate-limit-per-ip",
        "priority": priority,
        "action": {"block": {"custom_response": throttled}},
        "statement": {"rate_based_statement": rate},
        "visibility_config": visibility("rate-limit-per-ip"),
    }
