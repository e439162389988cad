"""What the alarms and dashboards see: only their own stack's custom metrics, the lake in every storage class it uses,
and a runbook section for every alarm."""

from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path
from typing import Any

import pytest

from adapters.emf_metrics import EmfMetrics
from components.dashboards import LAKE_STORAGE_TYPES
from components.runbooks import RUNBOOKS
from tests.infra.graph import Graph

ROOT = Path(__file__).resolve().parents[2]
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
DASHBOARD = "aws:cloudwatch/dashboard:Dashboard"
RUNBOOK_LINK = re.compile(re.escape(RUNBOOKS) + r"#([a-z0-9_-]+)")


def github_anchor(heading: str) -> str:
    """GitHub's anchor of a Markdown heading: lowercase, punctuation dropped (but `-` and `_`), spaces to hyphens."""
    text = unicodedata.normalize("NFKC", heading).strip().lower()
    text = "".join(ch for ch in text if ch.isalnum() or ch in " -_")
    return text.replace(" ", "-")


def runbook_anchors(markdown: str) -> set[str]:
    """The anchors of every heading outside code blocks, numbered as GitHub numbers repeats (`-1`, `-2`, ...)."""
    anchors: set[str] = set()
    fenced = False
    for line in markdown.splitlines():
        if line.startswith("```"):
            fenced = not fenced
        match = None if fenced else re.match(r"#{1,6}\s+(.*?)\s*#*\s*$", line)
        if match:
            anchor, count = github_anchor(match[1]), 0
            while (anchor if count == 0 else f"{anchor}-{count}") in anchors:
                count += 1
            anchors.add(anchor if count == 0 else f"{anchor}-{count}")
    return anchors


def test_anchors_follow_githubs_rules() -> None:
    assert github_anchor("Billing alarms") == "billing-alarms"
    assert github_anchor("`fraud-rate`: over 5%!") == "fraud-rate-over-5"
    assert runbook_anchors("## A\n```\n# not a heading\n```\n## A\n") == {"a", "a-1"}


def test_every_alarm_of_both_stacks_links_to_an_existing_runbook_section(graphs: dict[str, Graph]) -> None:
    anchors = runbook_anchors((ROOT / RUNBOOKS).read_text(encoding="utf-8"))
    for stack, graph in graphs.items():
        for alarm in graph.of_type(ALARM):
            description = alarm.inputs["alarmDescription"]
            links = RUNBOOK_LINK.findall(description)
            assert len(links) == 1 and description.endswith(f"#{links[0]}"), description
            assert links[0] in anchors, f"{alarm.name}: no section #{links[0]} in {RUNBOOKS}"
            # Monitoring's alarms have a section each, named as the alarm; the billing thresholds share one.
            short = alarm.inputs["name"].removeprefix(f"securebank-{stack}-")
            if alarm.parent == "monitoring":
                assert links[0] == ("billing-estimated-charges" if short.startswith("billing-") else short)


def _alarm_metrics(alarm: dict[str, Any]) -> list[tuple[str, dict[str, str]]]:
    metrics = [
        (q["metric"]["namespace"], q["metric"]["dimensions"]) for q in alarm.get("metricQueries", []) if "metric" in q
    ]
    return metrics + ([(alarm["namespace"], alarm["dimensions"])] if "namespace" in alarm else [])


def _dashboard_rows(body: str) -> list[list[Any]]:
    return [row for widget in json.loads(body)["widgets"] for row in widget["properties"]["metrics"]]


def _emitted_dimensions(capsys: pytest.CaptureFixture[str], stack: str) -> dict[str, str]:
    """The dimensions the processor's EMF adapter writes when its environment names `stack`."""
    capsys.readouterr()
    EmfMetrics(stack=stack).record_batch(processed=1, flagged=0, duplicates=0, failed=0)
    blob = json.loads(capsys.readouterr().out.splitlines()[0])
    (names,) = blob["_aws"]["CloudWatchMetrics"][0]["Dimensions"]
    return {name: blob[name] for name in names}


def test_every_custom_metric_an_alarm_reads_is_this_stacks_as_the_adapter_emits_it(
    graph: Graph, capsys: pytest.CaptureFixture[str]
) -> None:
    emitted = _emitted_dimensions(capsys, graph.stack)
    assert emitted == {"service": "securebank", "stack": graph.stack}
    custom = [
        (alarm.name, dims)
        for alarm in graph.of_type(ALARM)
        for namespace, dims in _alarm_metrics(alarm.inputs)
        if not namespace.startswith("AWS/")
    ]
    assert {name for name, _ in custom} == {"monitoring-fraud-rate", "monitoring-merchant-risk-stale"}
    assert all(dims == emitted for _, dims in custom)


def test_every_custom_metric_row_of_the_dashboards_is_this_stacks(graph: Graph) -> None:
    rows = [
        row
        for dashboard in graph.of_type(DASHBOARD)
        for row in _dashboard_rows(dashboard.inputs["dashboardBody"])
        if isinstance(row[0], str) and not row[0].startswith("AWS/")
    ]
    assert len(rows) >= 6  # Business: processed, detected, the rate's two, quarantined, duplicates; Cost: spend
    for row in rows:
        names = [item for item in row if isinstance(item, str)][2:]
        assert dict(zip(names[0::2], names[1::2], strict=True)) == {"service": "securebank", "stack": graph.stack}


def _lake_storage_classes(graph: Graph) -> set[str]:
    """The storage classes the lake's lifecycle moves objects to, current or noncurrent, plus STANDARD."""
    lake = graph.one("aws:s3/bucket:Bucket", "storage-lake").inputs["bucket"]
    [lifecycle] = [
        r.inputs
        for r in graph.of_type("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration")
        if r.inputs["bucket"] == lake
    ]
    classes = {"STANDARD"}
    for rule in lifecycle["rules"]:
        for key in ("transitions", "noncurrentVersionTransitions"):
            classes |= {t["storageClass"] for t in rule.get(key) or []}
    return classes


def test_the_lake_size_widget_charts_every_storage_class_the_lifecycle_uses(graph: Graph) -> None:
    classes = _lake_storage_classes(graph)
    assert classes >= {"STANDARD", "STANDARD_IA", "GLACIER_IR"}
    assert classes <= set(LAKE_STORAGE_TYPES), f"chart {classes - set(LAKE_STORAGE_TYPES)} in LAKE_STORAGE_TYPES"
    [cost] = [d for d in graph.of_type(DASHBOARD) if d.inputs["dashboardName"].endswith("-Cost-Optimization")]
    [widget] = [
        w["properties"]
        for w in json.loads(cost.inputs["dashboardBody"])["widgets"]
        if w["properties"]["title"].startswith("Lake size")
    ]
    lake = graph.one("aws:s3/bucket:Bucket", "storage-lake").inputs["bucket"]
    charted = {row[5] for row in widget["metrics"] if row[:4] == ["AWS/S3", "BucketSizeBytes", "BucketName", lake]}
    expected = {storage_type for c in classes for storage_type in LAKE_STORAGE_TYPES[c]}
    assert charted == expected >= {"StandardStorage", "StandardIAStorage", "GlacierInstantRetrievalStorage"}
    assert widget["period"] == 86400  # S3 storage metrics are daily
