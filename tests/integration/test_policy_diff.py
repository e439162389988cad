"""`policy diff`: two versions backtested on the same recent raw history of a lake (a directory and moto S3)."""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
import pytest

from adapters.policy_store import PolicyStore, S3Objects
from adapters.serialization import dumps, transaction_to_body
from contracts.aws import labels_day_prefix, raw_partition
from domain.labels import Labels
from domain.policy import FraudPolicy
from domain.receipt import Received
from securebank.lab.backtest import Backtest
from securebank.ops.lake_objects import DirectoryObjects
from securebank.ops.policy_diff import DiffError, as_json, diff, tables
from tests.jobs.lakes import labelled_history, write_label_rows, write_raw_batch

LOWER = attrs.evolve(FraudPolicy.default(), version=2, threshold=Decimal("0.3"))


def _lake(root: Path) -> tuple[Any, date, int]:
    """Ten days of history archived as the processor does; labels under a date folder; version 2 published."""
    transactions, labels = labelled_history(seed=7, customers=12, days=10, fraud_share=0.08)
    for txn in transactions:
        write_raw_batch(root, raw_partition(txn.timestamp), [dumps(transaction_to_body(txn))], shard=txn.transaction_id)
    rows = [{"transaction_id": t, "is_fraud": f} for t, f in labels.items()]
    write_label_rows(root / labels_day_prefix(date(2025, 2, 1)) / "import-1.jsonl", rows)
    lake = DirectoryObjects(root)
    PolicyStore(lake).publish(LOWER)
    last = max(t.timestamp for t in transactions).date()
    return lake, last, len(transactions)


def test_diff_backtests_both_versions_and_lists_the_decisions_that_change(tmp_path: Path) -> None:
    lake, last, total = _lake(tmp_path)
    transactions, labels = labelled_history(seed=7, customers=12, days=10, fraud_share=0.08)

    result = diff(lake, "active", "2", days=30, today=last)

    assert (result.version_a, result.version_b, result.transactions) == (1, 2, total)
    expected = Labels.by_id(labels)
    ordered = sorted(transactions, key=lambda t: t.timestamp)
    seed = Backtest(FraudPolicy.default()).run_received((n, Received(t, t.timestamp)) for n, t in enumerate(ordered))
    assert result.counts_a == seed.confusion(expected)  # the replay `backtest` does
    assert result.labelled == len(labels) > 0
    flagged_a = result.counts_a.tp + result.counts_a.fp
    flagged_b = result.counts_b.tp + result.counts_b.fp
    assert flagged_b > flagged_a  # a lower threshold flags more, and nothing less (same rules, same scores)
    assert len(result.changes) == flagged_b - flagged_a
    for change in result.changes:
        assert (change.flag_a, change.flag_b) == (False, True)
        assert change.score_a == change.score_b and Decimal("0.3") <= change.score_b < FraudPolicy.default().threshold
        assert change.fraud == labels[change.transaction_id]


def test_active_and_shadow_resolve_through_the_release_record(tmp_path: Path) -> None:
    lake, last, _ = _lake(tmp_path)
    with pytest.raises(DiffError, match="no version is in shadow"):
        diff(lake, "active", "shadow", today=last)
    store = PolicyStore(lake)
    store.shadow(2, by="ana")

    shadowed = diff(lake, "active", "shadow", days=30, today=last)

    assert (shadowed.version_a, shadowed.version_b) == (1, 2)
    assert shadowed == attrs.evolve(diff(lake, "1", "2", days=30, today=last), a="active", b="shadow")
    store.promote(2, approved_by="bo")
    assert diff(lake, "active", "1", days=30, today=last).version_a == 2
    with pytest.raises(ValueError, match="not published"):
        diff(lake, "active", "7", today=last)
    with pytest.raises(DiffError, match="not 'newest'"):
        diff(lake, "active", "newest", today=last)


def test_only_the_last_days_are_replayed(tmp_path: Path) -> None:
    lake, last, total = _lake(tmp_path)

    recent = diff(lake, "active", "2", days=2, today=last)

    assert 0 < recent.transactions < total
    assert (recent.first_day, recent.last_day) == (last - timedelta(days=1), last)
    assert diff(lake, "active", "2", days=3, today=last + timedelta(days=1)).transactions == recent.transactions


def test_the_report_caps_the_changes_and_says_how_many_are_not_shown(tmp_path: Path) -> None:
    lake, last, _ = _lake(tmp_path)
    result = diff(lake, "active", "2", days=30, today=last)
    assert len(result.changes) > 2

    report = as_json(result, limit=2)

    assert len(report["changes"]) == 2 and report["changes_not_shown"] == len(result.changes) - 2
    assert report["a"]["version"] == 1 and report["b"]["precision"] == str(result.counts_b.precision)
    matrix, flips = tables(result, limit=2)
    assert matrix.row_count == 7 and flips.row_count == 2
    assert flips.caption == f"... and {len(result.changes) - 2} more"


def test_diff_on_an_s3_lake_equals_the_directory_lake(tmp_path: Path, aws_session: Any) -> None:
    _, last, _ = _lake(tmp_path)
    s3 = aws_session.client("s3")
    s3.create_bucket(Bucket="lake")
    for path in (p for p in tmp_path.rglob("*") if p.is_file()):
        s3.put_object(Bucket="lake", Key=f"env/{path.relative_to(tmp_path).as_posix()}", Body=path.read_bytes())

    on_s3 = diff(S3Objects.from_uri(s3, "s3://lake/env"), "active", "2", days=30, today=last)

    assert on_s3 == diff(DirectoryObjects(tmp_path), "active", "2", days=30, today=last)
    assert on_s3.changes


def test_the_command_prints_json_or_the_two_tables(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from securebank.__main__ import main

    _, last, _ = _lake(tmp_path)
    days = str((date.today() - last).days + 30)  # the command replays up to today
    lake = ("--lake", str(tmp_path))

    assert main(["policy", "diff", "active", "2", "--days", days, "--json", "--limit", "1", *lake]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["changed"] == len(printed["changes"]) + printed["changes_not_shown"] > 1
    assert (printed["a"]["version"], printed["b"]["version"]) == (1, 2)

    assert main(["policy", "diff", "1", "active", "--days", days, *lake]) == 0
    out = capsys.readouterr().out
    assert "1 (v1)" in out and "active (v1)" in out and "0 decisions change" in out

    assert main(["policy", "diff", "active", "shadow", *lake]) == 1  # refused: said, nothing printed on stdout
    assert "no version is in shadow" in capsys.readouterr().err
