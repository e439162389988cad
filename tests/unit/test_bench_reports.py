"""The benchmarks report ratios measured in one run (issue 14); what they assert holds at any machine speed."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.core.botocore_stubber import BotocoreStubber

from securebank.__main__ import main
from securebank.measure.aws_calls import AwsCallCounter
from securebank.measure.processor_report import cpu_per_transaction

BURN_SECONDS = 0.05


def _burn(seconds: float) -> None:
    """Spend `seconds` of this thread's CPU time."""
    until = time.thread_time() + seconds
    while time.thread_time() < until:
        pass


def test_bench_backtest_reports_its_rate_as_a_ratio_to_json_loads_of_the_same_lines(tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    args = ["--transactions", "400", "--customers", "20", "--repeat", "2", "--report-json", str(out)]
    assert main(["bench", "backtest", *args]) == 0
    report = json.loads(out.read_text())
    assert report["transactions"] == 400
    assert report["json_parse_per_second"] > 0
    ratio = report["transactions_per_second"] / report["json_parse_per_second"]
    assert report["ratio_to_json_parse"] == pytest.approx(ratio, rel=0.01, abs=0.001)
    assert not {"target_per_second", "meets_target"} & set(report)  # no absolute target: it cannot hold everywhere


def test_cpu_per_transaction_splits_the_run_into_moto_and_the_rest() -> None:
    split = cpu_per_transaction(cpu_seconds=3.0, moto_cpu_seconds=1.0, transactions=1000)
    assert split == {
        "processor_cpu_ms_per_transaction": 2.0,
        "moto_cpu_ms_per_transaction": 1.0,
        "processor_to_moto_cpu_ratio": 2.0,
    }
    assert cpu_per_transaction(1.0, 0.0, 10)["processor_to_moto_cpu_ratio"] is None


def test_cpu_per_transaction_refuses_a_moto_share_larger_than_the_run() -> None:
    with pytest.raises(ValueError, match="within"):
        cpu_per_transaction(cpu_seconds=1.0, moto_cpu_seconds=1.5, transactions=10)


def test_the_counter_counts_in_process_motos_cpu_as_time_sending(monkeypatch: pytest.MonkeyPatch) -> None:
    """moto answers in `before-send`; the counter's window opens before moto's handler and closes after it."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    answer = BotocoreStubber.__call__

    def slow_moto(self: BotocoreStubber, event_name: str, request: Any, **kwargs: Any) -> Any:
        _burn(BURN_SECONDS)
        return answer(self, event_name, request, **kwargs)

    monkeypatch.setattr(BotocoreStubber, "__call__", slow_moto)
    with mock_aws():
        session = boto3.Session(region_name="us-east-1")
        counter = AwsCallCounter().attach(session)
        started = time.thread_time()
        session.client("sqs").list_queues()
        spent = time.thread_time() - started
    assert counter.calls == {"sqs.ListQueues": 1}
    assert BURN_SECONDS <= counter.cpu_seconds_sending <= spent
