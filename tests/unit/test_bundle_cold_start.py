"""`bench cold-start --report-json`: the cold import's ratio to `import boto3`, from the built bundle (python3.12).

What is asserted holds at any machine speed: the report's fields and their arithmetic, and that no module of the
bundle was compiled at import (every one had its .pyc), while the copy without bytecode compiled them.
"""

from __future__ import annotations

import json
import statistics
from pathlib import Path

import pytest

from securebank.__main__ import main
from securebank.infra.bytecode import InterpreterNotFound, find_python


def test_bench_cold_start_reports_the_processor_import_as_a_ratio_to_import_boto3(tmp_path: Path) -> None:
    try:
        find_python()
    except InterpreterNotFound as missing:
        pytest.skip(f"bench cold-start measures with python3.12, which this machine lacks ({missing})")
    out = tmp_path / "report.json"
    assert main(["bench", "cold-start", "--rounds", "3", "--report-json", str(out)]) == 0
    report = json.loads(out.read_text())

    assert "Python 3.12" in report["interpreter"] and report["rounds"] == 3
    samples = report["samples_ms"]
    assert all(len(values) == 3 and min(values) > 0 for values in samples.values())
    assert report["import_boto3_ms"] == pytest.approx(statistics.median(samples["boto3"]), abs=0.06)
    ratios = [p / b for p, b in zip(samples["processor"], samples["boto3"], strict=True)]
    assert report["ratio"] == pytest.approx(statistics.median(ratios), abs=0.011)
    assert report["goal_ratio"] == 1.3
    compiled = report["modules_compiled_at_import"]
    assert compiled["processor"] == compiled["ready"] == compiled["boto3"] == 0
    assert compiled["processor_without_bytecode"] > 0
