"""`python -m securebank demo` end to end on a small workload: exit 0, every key of the report, lake exported, the
capacity warm-up and the health verdict reported; the verdict decides the exit code under --strict."""

import json
from decimal import Decimal

import pytest

from securebank.__main__ import main

pytestmark = pytest.mark.slow

KEYS = {
    "accepted",
    "rejected",
    "processed",
    "quarantined",
    "lost",
    "double_counted",
    "flagged",
    "precision",
    "recall",
    "ingest_p50_ms",
    "ingest_p99_ms",
    "end_to_end_p99_ms",
    "transactions_per_second",
    "aws_calls_per_100_transactions",
    "cost_per_million_usd",
    "offered_rate",
    "measured_capacity",
    "accepted_rate",
    "processed_rate",
    "healthy",
    "fell_behind_by",
    "health",
    "cpu_ms_per_1000",
}
COMPONENTS = {"moto", "api", "event_source_mapping", "load_generator"}


def test_demo_processes_everything_it_accepted_and_writes_the_report(tmp_path):
    report_path = tmp_path / "report.json"
    argv = [
        "demo",
        "--transactions",
        "150",
        "--rate",
        "150",
        "--batching-window",
        "0.2",
        "--training-transactions",
        "3000",
        "--warmup-seconds",
        "2",
        "--no-loop",  # the fraud operations loop has its own test: tests/integration/test_demo_loop.py
    ]
    argv += ["--report-json", str(report_path), "--output-dir", str(tmp_path / "out"), "--wait-seconds", "60"]
    assert main(argv) == 0
    report = json.loads(report_path.read_text())
    assert report.keys() >= KEYS
    assert report["accepted"] == 150
    assert "cases_opened" not in report and "loop" not in report  # --no-loop
    assert report["rejected"] == 1  # the 1 % of invalid requests
    assert report["processed"] == 150 and report["lost"] == 0 and report["double_counted"] == 0
    assert "dynamodb.TransactWriteItems" in report["aws_calls_per_100_transactions"]
    assert report["offered_rate"] == 150  # --rate, whatever the capacity
    assert report["measured_capacity"] > 0 and report["capacity"]["warmup_transactions"] > 0
    assert report["healthy"] == (
        report["processed_rate"] >= 0.98 * report["accepted_rate"] and report["end_to_end_p99_ms"] < 1000
    )
    shortfall = max(0.0, 1 - report["processed_rate"] / report["accepted_rate"])
    assert report["fell_behind_by"] == pytest.approx(shortfall, abs=0.002)
    assert report["cpu_ms_per_1000"].keys() >= COMPONENTS
    assert all(report["cpu_ms_per_1000"][component] > 0 for component in COMPONENTS)
    assert Decimal(report["cost_per_million_usd"]) > 0  # exact Decimal amounts, as strings in the JSON
    assert list((tmp_path / "out" / "lake" / "raw" / "transactions").rglob("*.jsonl.gz"))
    learned = json.loads((tmp_path / "out" / "learned-policy.json").read_text())
    assert learned["version"] == 2  # learned from a separate history and published before the run
    published = tmp_path / "out" / "lake" / "config" / "fraud-policy" / "v0000000002.json"
    assert json.loads(published.read_text()) == learned
    release = json.loads((tmp_path / "out" / "lake" / "config" / "fraud-policy" / "release.json").read_text())
    assert (release["active"], release["shadow"]) == (2, None)  # made active through the release record, audited
    assert list((tmp_path / "out" / "lake" / "config" / "fraud-policy" / "audit").glob("*-promote-*.json"))
