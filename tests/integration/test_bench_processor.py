"""`bench processor --report-json` on a small run: the keys issue 14 asks for, and arithmetic that holds on any
machine (no speed is asserted)."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from securebank.__main__ import main

TRANSACTIONS = 300


@pytest.fixture
def report(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict:
    # The benchmark sets fake credentials and drops a local endpoint for its in-process moto: undone after the test.
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "bench")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "bench")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    out = tmp_path / "processor.json"
    args = ["--transactions", str(TRANSACTIONS), "--customers", "30", "--report-json", str(out)]
    assert main(["bench", "processor", *args]) == 0
    return dict(json.loads(out.read_text()))


def test_reports_calls_and_cost_per_million_with_and_without_api_gateway(report: dict) -> None:
    assert report["transactions"] == TRANSACTIONS and report["double_counted"] == 0
    assert report["calls_per_100_transactions"]["dynamodb.TransactWriteItems"] > 0
    without, with_api = Decimal(report["cost_per_million_usd"]), Decimal(report["cost_per_million_with_api_usd"])
    api = Decimal(report["api_gateway_per_million_usd_not_included"])
    assert api > 0
    assert with_api == without + api
    assert Decimal(report["cost_breakdown_per_million_usd"]["api_gateway"]) == 0


def test_splits_the_runs_cpu_into_the_processors_and_motos(report: dict) -> None:
    processor, moto = report["processor_cpu_ms_per_transaction"], report["moto_cpu_ms_per_transaction"]
    assert processor > 0 and moto > 0
    assert processor + moto == pytest.approx(1000 * report["cpu_seconds"] / TRANSACTIONS, abs=0.05)
    assert report["processor_to_moto_cpu_ratio"] == pytest.approx(processor / moto, rel=0.01)
