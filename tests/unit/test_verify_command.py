"""`python -m securebank verify`: the soak's table and JSON report, and on a disagreement exit 1 with the minimal
failing workload."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from securebank.__main__ import main
from securebank.verify import soak
from securebank.verify.compare import Disagreement
from securebank.verify.engine import Verdict
from securebank.verify.faults import FaultPlan
from securebank.verify.workload import Workload


def test_a_short_soak_prints_what_it_covered_and_writes_the_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = tmp_path / "verify.json"

    assert main(["verify", "--examples", "2", "--seed", "3", "--max-lines", "5", "--report-json", str(report)]) == 0

    out = capsys.readouterr().out
    assert "examples run" in out
    assert "disagreements found" in out
    data = json.loads(report.read_text())
    assert (data["examples"], data["disagreements"], data["seed"], data["minimal_failure"]) == (2, 0, 3, None)
    assert set(data["coverage"]) == {"input classes (records)", "poison records", "faults that happened",
                                     "event source mapping"}  # fmt: skip
    assert data["coverage"]["event source mapping"]["invocations"]["count"] >= 2


def test_a_disagreement_exits_1_and_prints_the_minimal_failing_workload(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def disagrees_from_two_lines(workload: Workload, plan: FaultPlan) -> Verdict:
        found = (Disagreement("stored items", "made up"),) if len(workload.lines) >= 2 else ()
        return Verdict(found, Counter())

    monkeypatch.setattr(soak, "verify", disagrees_from_two_lines)

    assert main(["verify", "--examples", "50", "--seed", "1"]) == 1

    err = capsys.readouterr().err
    assert "Minimal failing workload" in err
    assert "stored items: made up" in err
    assert "     2 at " in err  # shrunk to two lines
    assert "     3 at " not in err


def test_the_command_module_imports_no_hypothesis_until_it_runs() -> None:
    code = "import sys, securebank.cli.verify; sys.exit('hypothesis' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
