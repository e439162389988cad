"""The monitoring rules of the policy pack (policy/monitoring.py): the stack dimension on every custom-metric query,
and the account's billing alarms and cost-allocation tags in one stack, in us-east-1, tagged as account-wide."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from policy.monitoring import CHECKS, STACK_CHECKS, billing_alarms_once, custom_metrics_per_stack
from tests.infra.crossguard import run_pack
from tests.infra.graph import Graph

ROOT = Path(__file__).resolve().parents[2]
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
DASHBOARD = "aws:cloudwatch/dashboard:Dashboard"
TAG = "aws:costexplorer/costAllocationTag:CostAllocationTag"
PROD_TAGS = {"project": "securebank", "stack": "prod", "component": "monitoring"}
CUSTOM = {"service": "securebank", "stack": "prod"}


def _query(namespace: str, dimensions: dict[str, str]) -> dict[str, Any]:
    return {"id": "m1", "metric": {"namespace": namespace, "metricName": "X", "dimensions": dimensions}}


def _dashboard(*rows: list[Any]) -> dict[str, Any]:
    return {"dashboardBody": json.dumps({"widgets": [{"type": "metric", "properties": {"metrics": list(rows)}}]})}


def _billing(threshold: int = 500, **changes: Any) -> dict[str, Any]:
    inputs = {
        "namespace": "AWS/Billing",
        "metricName": "EstimatedCharges",
        "dimensions": {"Currency": "USD"},
        "threshold": threshold,
        "region": "us-east-1",
        "tags": PROD_TAGS,
    }
    return {"type": ALARM, "name": f"billing-{threshold}", "inputs": {**inputs, **changes}}


def _tags(*keys: str) -> list[dict[str, Any]]:
    return [{"type": TAG, "name": f"tag-{key}", "inputs": {"tagKey": key, "status": "Active"}} for key in keys]


# Resources the per-resource rule must reject, one per way a query can lose its stack.
CUSTOM_ROW = ["SecureBank/Fraud", "DetectedCount", *sum(CUSTOM.items(), ())]
OTHER_STACK = {"tags": PROD_TAGS, "metricQueries": [_query("SecureBank/Fraud", {**CUSTOM, "stack": "dev"})]}
FAILING_QUERIES = {
    "alarm without the stack dimension": (ALARM, {"namespace": "SecureBank/Fraud", "dimensions": {"service": "x"}}),
    "metric-math query without it": (ALARM, {"metricQueries": [_query("SecureBank/Fraud", {"service": "x"})]}),
    "another stack's metric": (ALARM, OTHER_STACK),
    "dashboard row without it": (DASHBOARD, _dashboard(["SecureBank/Transactions", "ProcessedCount", "service", "x"])),
    "dashboard shorthand row": (DASHBOARD, _dashboard(CUSTOM_ROW, [".", "X"])),
}


@pytest.mark.parametrize("case", sorted(FAILING_QUERIES))
def test_a_custom_metric_query_without_its_stack_is_refused(case: str) -> None:
    resource_type, props = FAILING_QUERIES[case]
    assert custom_metrics_per_stack(resource_type, props), case


def test_aws_metrics_and_expressions_need_no_stack_and_full_custom_rows_pass() -> None:
    alarm = {
        "tags": PROD_TAGS,
        "metricQueries": [{"id": "e1", "expression": "m1 + m2"}, _query("SecureBank/Fraud", CUSTOM)],
    }
    assert custom_metrics_per_stack(ALARM, alarm) == []
    assert custom_metrics_per_stack(ALARM, {"namespace": "AWS/Lambda", "dimensions": {"FunctionName": "f"}}) == []
    rows = _dashboard(
        [{"expression": "100 * a / b", "id": "rate"}],
        [*CUSTOM_ROW, {"id": "a", "visible": False}],
        ["AWS/S3", "BucketSizeBytes", "BucketName", "lake", "StorageType", "StandardStorage"],
    )
    assert custom_metrics_per_stack(DASHBOARD, rows) == []
    assert custom_metrics_per_stack("aws:s3/bucket:Bucket", {"namespace": "SecureBank/Fraud"}) == []


STACK_FAILURES = {
    "billing alarms without the cost-allocation tags": [_billing()],
    "cost-allocation tags without billing alarms": _tags("project", "stack"),
    "outside us-east-1": [_billing(region="eu-west-1"), *_tags("stack")],
    "without a stack tag": [_billing(tags={"project": "securebank"}), *_tags("stack")],
    "in a mix of stacks": [
        _billing(),
        {**_billing(1000), "inputs": {**_billing(1000)["inputs"], "tags": {"stack": "dev"}}},
        *_tags("stack"),
    ],
    "two alarms on one threshold": [_billing(), {**_billing(), "name": "again"}, *_tags("stack")],
}


@pytest.mark.parametrize("case", sorted(STACK_FAILURES))
def test_the_account_cost_controls_are_refused_unless_one_stack_owns_all_of_them_in_us_east_1(case: str) -> None:
    assert billing_alarms_once(STACK_FAILURES[case]), case


def test_the_account_cost_controls_pass_when_whole_or_absent() -> None:
    assert billing_alarms_once([_billing(500), _billing(1000), *_tags("project", "stack", "component")]) == []
    assert billing_alarms_once([{"type": ALARM, "name": "a", "inputs": {"namespace": "AWS/Lambda"}}]) == []


def test_both_stacks_pass_the_monitoring_rules_and_only_prod_owns_the_cost_controls(graphs: dict[str, Graph]) -> None:
    for graph in graphs.values():
        resources = [{"type": r.type, "name": r.name, "inputs": r.inputs} for r in graph]
        for name, (_, check) in CHECKS.items():
            assert [(r["name"], m) for r in resources for m in check(r["type"], r["inputs"])] == [], name
        for name, (_, stack_check) in STACK_CHECKS.items():
            assert stack_check(resources) == [], name
    owners = [
        stack
        for stack, g in graphs.items()
        if any(a.inputs.get("namespace") == "AWS/Billing" for a in g.of_type(ALARM))
    ]
    assert owners == ["prod"] and graphs["dev"].of_type(TAG) == []


def test_the_rules_catch_a_stack_whose_alarm_lost_its_stack_dimension(prod: Graph) -> None:
    resources = copy.deepcopy([{"type": r.type, "name": r.name, "inputs": r.inputs} for r in prod])  # session graph
    [fraud] = [r for r in resources if r["name"] == "monitoring-fraud-rate"]
    for query in fraud["inputs"]["metricQueries"]:
        if "metric" in query:
            query["metric"]["dimensions"] = {"service": "securebank"}  # what the alarm read before the stack dimension
    _, check = CHECKS["custom-metrics-per-stack"]
    assert len(check(fraud["type"], fraud["inputs"])) == 2
    without_tags = [r for r in resources if r["type"] != TAG]
    found = billing_alarms_once(without_tags)
    assert found and all(name.startswith("monitoring-billing-") for name, _ in found)


def test_the_pack_runs_the_monitoring_rules_on_crossguard_proxies(prod: Graph) -> None:
    """As CrossGuard runs them (props in pulumi_policy's read-only proxies): prod passes; without its cost-allocation
    tags, billing-alarms-once reports its billing alarms."""
    resources = [{"type": r.type, "name": r.name, "inputs": r.inputs} for r in prod if r.type.startswith("aws:")]
    stack_reports = run_pack([r for r in resources if r["type"] != TAG])["stack"]
    reported = [message for policy, message in stack_reports if policy == "billing-alarms-once"]
    assert reported and all("cost-allocation tags" in message for message in reported)
    assert billing_alarms_once(resources) == []
