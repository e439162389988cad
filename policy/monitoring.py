"""Monitoring: the stack dimension on custom metrics, billing alarms in one stack only.

Per-resource checks take `(resource_type, props)` and return violation messages; stack checks take every resource
(`{"type", "name", "inputs"}`) and return `(resource name, message)` pairs. policy/checks.py registers both tables.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

from policy.props import as_list, get

METRIC_ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
DASHBOARD = "aws:cloudwatch/dashboard:Dashboard"
COST_ALLOCATION_TAG = "aws:costexplorer/costAllocationTag:CostAllocationTag"
AWS_NAMESPACE_PREFIX = "AWS/"  # AWS's own metrics; every other namespace is one of ours (EMF)
STACK_DIMENSION = "stack"
BILLING_NAMESPACE = "AWS/Billing"
BILLING_REGION = "us-east-1"
SHORTHAND = (".", "...")  # dashboard row shorthand ("same as the row above"): refused, since it cannot be checked


def _alarm_metrics(props: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """(namespace, dimensions) of an alarm's metric, or of each metric of its metric-math queries."""
    if props.get("namespace"):
        yield str(props["namespace"]), props.get("dimensions") or {}
    for query in as_list(props.get("metricQueries")):
        metric = get(query, "metric")
        if isinstance(metric, dict):
            yield str(metric.get("namespace") or ""), metric.get("dimensions") or {}


def _dashboard_metrics(props: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """(namespace, dimensions) of every metric row of every widget: `[namespace, name, dim, value, ..., {options}]`.
    Expression rows (`[{"expression": ...}]`) read metrics given by other rows and are skipped."""
    body = props.get("dashboardBody")
    widgets = (json.loads(body) if isinstance(body, str) else body or {}).get("widgets") or []
    for widget in widgets:
        for row in as_list(get(widget, "properties", "metrics")):
            names = [item for item in as_list(row) if not isinstance(item, dict)]
            if not names:
                continue
            pairs = names[2:]
            yield str(names[0]), dict(zip(pairs[0::2], pairs[1::2], strict=False))


def custom_metrics_per_stack(resource_type: str, props: dict[str, Any]) -> list[str]:
    """Every alarm and dashboard query of a custom (non-AWS/) namespace names the `stack` dimension, so that stacks
    sharing an account never count each other's traffic; on a tagged alarm, the stack it names is its own."""
    if resource_type == METRIC_ALARM:
        metrics = list(_alarm_metrics(props))
    elif resource_type == DASHBOARD:
        metrics = list(_dashboard_metrics(props))
    else:
        return []
    own_stack = get(props, "tags", STACK_DIMENSION)
    found = []
    for namespace, dimensions in metrics:
        if namespace in SHORTHAND or any(value in SHORTHAND for value in dimensions.values()):
            found.append("write dashboard metric rows in full: shorthand ('.', '...') rows cannot be checked")
        elif namespace.startswith(AWS_NAMESPACE_PREFIX):
            continue
        elif not dimensions.get(STACK_DIMENSION):
            found.append(f"a query of the custom namespace {namespace} must name the '{STACK_DIMENSION}' dimension")
        elif own_stack and dimensions[STACK_DIMENSION] != own_stack:
            found.append(f"{namespace} is queried for stack {dimensions[STACK_DIMENSION]}, not its own {own_stack}")
    return found


def _is_billing_alarm(resource: dict[str, Any]) -> bool:
    return resource["type"] == METRIC_ALARM and any(
        namespace == BILLING_NAMESPACE for namespace, _ in _alarm_metrics(resource["inputs"])
    )


def billing_alarms_once(resources: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """The account-wide billing alarms and cost-allocation tags belong to one stack of the account: a stack has both
    or neither; its billing alarms are in us-east-1 (the only region with AWS/Billing), carry the `stack` tag of the
    stack that owns them (the one stack its resources name), and no two watch the same threshold. (That only one
    stack of the account owns them is its config, `billingAlarms`; tests/infra/test_monitoring.py checks both.)"""
    alarms = [r for r in resources if _is_billing_alarm(r)]
    tags = [r for r in resources if r["type"] == COST_ALLOCATION_TAG]
    found = []
    if bool(alarms) != bool(tags):
        owner, missing = (alarms[0], "cost-allocation tags") if alarms else (tags[0], "billing alarms")
        found.append((owner["name"], f"the stack owning the account's cost controls must also create its {missing}"))
    stacks = {get(r["inputs"], "tags", STACK_DIMENSION) for r in resources} - {None}
    thresholds: dict[Any, str] = {}
    for alarm in alarms:
        props = alarm["inputs"]
        if props.get("region") != BILLING_REGION:
            found.append((alarm["name"], f"billing alarms must be in {BILLING_REGION}, where AWS/Billing exists"))
        if not get(props, "tags", STACK_DIMENSION) or len(stacks) != 1:
            found.append((alarm["name"], "billing alarms carry the `stack` tag of the one stack that owns them"))
        if props.get("threshold") in thresholds:
            found.append((alarm["name"], f"same threshold as {thresholds[props.get('threshold')]}"))
        thresholds.setdefault(props.get("threshold"), alarm["name"])
    return found


CHECKS: dict[str, tuple[str, Callable[[str, dict[str, Any]], list[str]]]] = {
    "custom-metrics-per-stack": (
        "Alarms and dashboards query custom metrics with the stack dimension",
        custom_metrics_per_stack,
    ),
}
STACK_CHECKS: dict[str, tuple[str, Callable[[list[dict[str, Any]]], list[tuple[str, str]]]]] = {
    "billing-alarms-once": (
        "The account's billing alarms and cost-allocation tags: one owning stack (its tag), us-east-1",
        billing_alarms_once,
    ),
}
