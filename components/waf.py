"""The API's web ACL rules: the body-size limit (413 in the API's Error shape), the AWS managed rule groups and a
per-IP rate limit. Plain data; Ingestion creates the WebAcl from it."""

from __future__ import annotations

import json

from contracts.aws import MAX_BODY_BYTES

WAF_RATE_LIMIT_PER_IP = 20_000  # requests per 5 minutes per source IP
TOO_LARGE_BODY_KEY = "payload-too-large"
TOO_LARGE_BODY = json.dumps(
    {"error": {"code": "payload_too_large", "message": f"Request body over {MAX_BODY_BYTES} bytes"}}
)
MANAGED_RULE_GROUPS = ("AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet")


def custom_response_bodies() -> list[dict[str, str]]:
    return [{"key": TOO_LARGE_BODY_KEY, "content": TOO_LARGE_BODY, "content_type": "APPLICATION_JSON"}]


def rules() -> list[dict[str, object]]:
    """The body limit the local API checks too, answered as it answers: 413 with the Error shape. First, so that the
    common rule set's SizeRestrictions_BODY (a 403 over 8 KB) never sees an oversized body."""
    managed = [_managed_rule(group, priority) for priority, group in enumerate(MANAGED_RULE_GROUPS, start=1)]
    return [_body_size_rule(0), *managed, _rate_rule(len(managed) + 1)]


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
    too_large = {"response_code": 413, "custom_response_body_key": TOO_LARGE_BODY_KEY}
    return {
        "name": "body-size-limit",
        "priority": priority,
        "action": {"block": {"custom_response": too_large}},
        "statement": {"size_constraint_statement": size},
        "visibility_config": visibility("body-size-limit"),
    }


def _managed_rule(rule_group: str, priority: int) -> dict[str, object]:
    return {
        "name": rule_group,
        "priority": priority,
        "override_action": {"none": {}},
        "statement": {"managed_rule_group_statement": {"name": rule_group, "vendor_name": "AWS"}},
        "visibility_config": visibility(rule_group),
    }


def _rate_rule(priority: int) -> dict[str, object]:
    return {
        "name": "rate-limit-per-ip",
        "priority": priority,
        "action": {"block": {}},
        "statement": {"rate_based_statement": {"limit": WAF_RATE_LIMIT_PER_IP, "aggregate_key_type": "IP"}},
        "visibility_config": visibility("rate-limit-per-ip"),
    }
