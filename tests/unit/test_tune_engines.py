"""`tune --engine columnar` writes the same policy file and report as `--engine domain` (a small generated file
with a bad line, a redelivery and a customer out of time order), and the columnar merchant feed is the domain's."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from securebank.__main__ import main
from securebank.jsonl import numbered_lines
from securebank.lab.backtest import merchant_feed, read_labels
from securebank.lab.columnar_parse import parse_lines
from securebank.lab.columnar_tally import merchant_feed_of
from securebank.lab.generate import generate_workload, write_workload
from securebank.lab.tuning import read_transactions


def workload(tmp_path: Path) -> dict[str, Path]:
    paths = write_workload(generate_workload(customers=40, transactions=1_500, seed=3, days=21, fraud_rate=0.05),
                           tmp_path)  # fmt: skip
    lines = paths["transactions"].read_text().splitlines()
    late = json.loads(lines[700]) | {"transaction_id": "late", "timestamp": "2026-01-01T00:00:00Z"}
    lines += ["not json", lines[10], json.dumps(late)]  # a bad line, a redelivery, one out of time order
    paths["transactions"].write_text("\n".join(lines) + "\n")
    with paths["labels"].open("a") as labels:
        labels.write(json.dumps({"transaction_id": "late", "is_fraud": True, "labelled_at": "2026-01-09T10:00:00Z"}))
    return paths


def tune(paths: dict[str, Path], out: Path, engine: str, *more: str) -> tuple[bytes, dict[str, object]]:
    files = ["--transactions", str(paths["transactions"]), "--labels", str(paths["labels"])]
    code = main(["tune", *files, "--output", str(out / f"{engine}.json"), "--report-json", str(out / f"{engine}.r"),
                 "--engine", engine, *more])  # fmt: skip
    assert code == 0
    return (out / f"{engine}.json").read_bytes(), json.loads((out / f"{engine}.r").read_text())


def test_tune_writes_the_same_policy_and_report_with_either_engine(tmp_path: Path) -> None:
    paths = workload(tmp_path / "data")

    domain_policy, domain_report = tune(paths, tmp_path, "domain")
    columnar_policy, columnar_report = tune(paths, tmp_path, "columnar")

    assert columnar_policy == domain_policy
    assert columnar_report == domain_report
    assert domain_report["rejected_transactions"] == 1
    assert domain_report["transactions"] == 1_502  # the redelivery counts among the transactions read


@pytest.mark.parametrize("engine", ["columnar", "domain"])
def test_frauds_only_with_the_others_legitimate_writes_what_the_complete_labels_write(tmp_path: Path, engine: str):
    """`--unlabelled legitimate` with the frauds of a labels file that names every transaction: the same policy
    file, byte for byte, and the same report but for what it says of the unlabelled (the bad line, the redelivery
    and the transaction out of time order included)."""
    paths = workload(tmp_path / "data")
    rows = [json.loads(line) for line in paths["labels"].read_text().splitlines()]
    frauds = tmp_path / "frauds.jsonl"
    frauds.write_text("".join(json.dumps(row) + "\n" for row in rows if row["is_fraud"]))
    (tmp_path / "complete").mkdir()
    (tmp_path / "frauds").mkdir()

    complete_policy, complete_report = tune(paths, tmp_path / "complete", engine, "--workers", "1")
    policy, report = tune(paths | {"labels": frauds}, tmp_path / "frauds", engine, "--workers", "1",
                          "--unlabelled", "legitimate")  # fmt: skip

    assert policy == complete_policy
    legitimate = sum(1 for row in rows if not row["is_fraud"])
    assert report == complete_report | {"unlabelled_as": "legitimate", "counted_legitimate": legitimate}
    assert complete_report["unlabelled_as"] == "skip" and complete_report["counted_legitimate"] == 0


def test_the_columnar_merchant_feed_is_the_domains(tmp_path: Path) -> None:
    paths = workload(tmp_path)
    lines = list(numbered_lines(paths["transactions"]))
    labels, _ = read_labels(numbered_lines(paths["labels"]))
    transactions = [txn for _, txn in read_transactions(lines)]

    for days in (0, 7):
        expected = merchant_feed(transactions, labels, timedelta(days=days))
        assert merchant_feed_of(parse_lines(lines)[0], labels, timedelta(days=days)) == expected
        assert expected.merchants  # frauds were fed


def test_the_history_measure_times_both_engines_and_checks_they_agree(tmp_path: Path) -> None:
    from securebank.measure.tune_history import main as measure

    paths = workload(tmp_path)
    files = ["--transactions", str(paths["transactions"]), "--labels", str(paths["labels"])]

    assert measure([*files, "--repeat", "1", "--report-json", str(tmp_path / "m.json")]) == 0
    report = json.loads((tmp_path / "m.json").read_text())
    assert report["same_history"] is True
    assert report["labelled"] == 1_501
    assert report["domain_cpu_seconds"] > 0 and report["columnar_cpu_seconds"] > 0
