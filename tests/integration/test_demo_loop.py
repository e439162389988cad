"""`python -m securebank demo` runs the fraud operations loop end to end on a small workload: cases opened on the
review index, analyst labels through the local API and chargebacks through `labels import`, the jobs on the local
lake publishing a candidate, the candidate shadowed on a second workload (both decisions on its items), then
promoted through the release record or refused by the approver on the shadow's evidence, with audit records."""

import json

import pytest

from contracts.aws import FRAUD_RATE_ALARM_PERCENT
from securebank.__main__ import main
from securebank.demo.loop_cases import REVIEW_SHARE

pytestmark = [pytest.mark.slow, pytest.mark.spark]


def test_demo_runs_the_loop_from_cases_to_a_promoted_candidate(tmp_path):
    pytest.importorskip("pyspark")
    report_path, out = tmp_path / "report.json", tmp_path / "out"
    argv = [
        "demo",
        "--transactions",
        "1000",
        "--rate",
        "250",
        "--training-transactions",
        "3000",
        "--warmup-seconds",
        "0",
    ]
    argv += ["--report-json", str(report_path), "--output-dir", str(out), "--wait-seconds", "90"]
    assert main(argv) == 0
    report = json.loads(report_path.read_text())
    assert report["loop_error"] is None
    assert report["loop_skipped"] is None, report["loop_skipped"]
    loop = report["loop"]

    # 1: every flagged transaction opened a case; 2: a labelled case left the queue, chargebacks were imported
    assert report["cases_opened"] == report["flagged"] > 0
    assert report["cases_queued"] == report["cases_opened"]  # a TransactionFlagged event per case in the cases queue
    assert loop["cases_of_the_workload"] == report["cases_opened"]  # no warm-up: every case is the workload's
    assert report["labels_received"] == round(report["cases_opened"] * REVIEW_SHARE) > 0
    assert loop["labels_refused"] == {}
    assert report["cases_open_after_labels"] == report["cases_opened"] - report["labels_received"]
    assert 0 < report["labels_from_chargebacks"] <= loop["missed_frauds"]
    assert report["labels_in_lake"] == report["labels_received"] + report["labels_from_chargebacks"]
    assert (out / "chargebacks.csv").read_text().count("\n") == report["labels_from_chargebacks"] + 1

    # 3: the weekly job published a candidate (after the demo's learned policy, version 2) beside its backtest report
    candidate = report["candidate_version"]
    assert candidate is not None and candidate > 2
    assert {
        f"config/fraud-policy/v{candidate:010d}.json",
        f"config/fraud-policy/v{candidate:010d}.backtest.json",
    } <= set(loop["jobs_wrote"])

    # 4: the second workload was scored by both policies
    assert loop["second_workload_processed"] == 1000
    assert report["shadow_scored"] == loop["second_workload_processed"]
    assert 0 <= report["shadow_agreement"] <= 1
    assert report["shadow_flag_rate"] is not None
    for key in ("precision_before_promotion", "recall_before_promotion", "recall_after_promotion"):
        assert report[key] is not None, key
    assert report["promotion_verdict"].split()[0] in {"better", "worse", "as"}

    # 5: the diff compared the active and shadow versions, then the candidate was promoted through the release record
    assert (loop["diff"]["a"]["version"], loop["diff"]["b"]["version"]) == (2, candidate)
    assert loop["diff"]["changed"] == loop["diff_changed_decisions"] > 0
    release = json.loads((out / "lake" / "config" / "fraud-policy" / "release.json").read_text())
    audit = sorted(path.name for path in (out / "lake" / "config" / "fraud-policy" / "audit").iterdir())
    actions = [name.split("-")[1] for name in audit]
    if report["shadow_flag_rate"] * 100 > FRAUD_RATE_ALARM_PERCENT:  # the approver refuses, on the shadow's evidence
        assert report["promoted_version"] is None and report["promotion_refused"]
        assert (release["active"], release.get("shadow")) == (2, None)
        assert actions == ["promote", "shadow", "shadow"]  # v2 by the demo, the candidate in shadow, cleared
    else:
        assert report["promoted_version"] == candidate and report.get("promotion_refused") is None
        assert (release["active"], release["approved_by"]) == (candidate, "demo-approver")
        assert actions == ["promote", "shadow", "promote"]  # v2 by the demo, then the loop
