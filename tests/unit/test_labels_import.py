"""`labels import`: a label file is validated whole, lands in labels/ by day, and reads back through the lab's
labels reader (securebank.lab.backtest.read_labels) equal to what the file said."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from domain.labels import Label
from domain.model import CustomerId, TransactionId
from securebank.__main__ import main
from securebank.lab.backtest import read_labels
from securebank.ops.labels_import import DirectoryLake, import_labels

NOW = datetime(2026, 11, 30, 13, 0, tzinfo=UTC)
DAY = "labels/year=2026/month=11/day=30/"

GOOD_CSV = (
    "transaction_id,customer_id,is_fraud,source,labelled_at,note\n"
    "t-1,c-1,true,,2026-11-20T08:00:00+01:00,card not present\n"
    "t-2,c-1,FALSE,analyst,2026-11-21T09:30:00Z,\n"
    "t-3,c-2,true,customer,,\n"
)
GOOD_JSONL = (
    '{"transaction_id": "t-1", "customer_id": "c-1", "is_fraud": true, "labelled_at": "2026-11-20T08:00:00+01:00",'
    ' "note": "card not present"}\n'
    '{"transaction_id": "t-2", "customer_id": "c-1", "is_fraud": false, "source": "analyst",'
    ' "labelled_at": "2026-11-21T09:30:00Z"}\n'
    "\n"
    '{"transaction_id": "t-3", "customer_id": "c-2", "is_fraud": true, "source": "customer"}\n'
)
EXPECTED = {
    ("c-1", "t-1"): Label(True, datetime(2026, 11, 20, 7, 0, tzinfo=UTC)),
    ("c-1", "t-2"): Label(False, datetime(2026, 11, 21, 9, 30, tzinfo=UTC)),
    ("c-2", "t-3"): Label(True, NOW),
}


def _objects(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): p.read_text() for p in (root / "labels").rglob("*") if p.is_file()}


@pytest.mark.parametrize(("data", "csv_format"), [(GOOD_CSV, True), (GOOD_JSONL, False)], ids=["csv", "jsonl"])
def test_a_good_file_lands_in_labels_by_day_and_reads_back_equal(tmp_path: Path, data: str, csv_format: bool) -> None:
    report = import_labels(DirectoryLake(tmp_path), data.encode(), csv_format=csv_format, now=NOW)

    assert report.ok and report.written and report.rows == len(EXPECTED)
    objects = _objects(tmp_path)
    assert list(objects) == [report.key] and report.key.startswith(DAY) and report.key.endswith(".jsonl")
    lines = objects[report.key].splitlines()
    labels, rejections = read_labels(enumerate(lines, start=1))
    assert rejections == []
    assert len(labels) == len(EXPECTED)
    for (customer, txn), label in EXPECTED.items():
        assert labels.label((CustomerId(customer), TransactionId(txn))) == label
    sources = {json.loads(line)["transaction_id"]: json.loads(line)["source"] for line in lines}
    assert sources == {"t-1": "chargeback", "t-2": "analyst", "t-3": "customer"}


def test_reimporting_the_same_file_writes_no_second_object_even_a_day_later(tmp_path: Path) -> None:
    lake = DirectoryLake(tmp_path)
    first = import_labels(lake, GOOD_CSV.encode(), csv_format=True, now=NOW)
    before = _objects(tmp_path)
    again = import_labels(lake, GOOD_CSV.encode(), csv_format=True, now=datetime(2026, 12, 1, 9, tzinfo=UTC))

    assert first.written and not again.written and again.already_imported
    assert again.key == first.key
    assert _objects(tmp_path) == before  # same object, same default labelled_at


def test_a_file_with_bad_rows_is_rejected_whole_naming_every_bad_line_and_field(tmp_path: Path) -> None:
    bad = (
        "transaction_id,customer_id,is_fraud,source,labelled_at,note\n"
        "t-1,c-1,true,,2026-11-20T08:00:00+01:00,\n"  # line 2: good
        ",c-1,true,,,\n"  # 3: no transaction_id
        "t-4,c 1,true,,,\n"  # 4: customer_id not an identifier
        "t-5,c-1,yes,,,\n"  # 5: is_fraud not a boolean
        "t-6,c-1,true,bank,,\n"  # 6: unknown source
        "t-7,c-1,true,,2026-11-20T08:00:00,\n"  # 7: labelled_at without a zone
        "t-1,c-1,false,,2026-11-20T07:00:00Z,\n"  # 8: conflicts with line 2 (the same instant)
        "t-9,c-1,true,,,,extra\n"  # 9: more values than columns
    )
    report = import_labels(DirectoryLake(tmp_path), bad.encode(), csv_format=True, now=NOW)

    assert not report.ok and not report.written
    found = {(r.line, r.field) for r in report.rejected}
    assert found == {
        (3, "transaction_id"),
        (4, "customer_id"),
        (5, "is_fraud"),
        (6, "source"),
        (7, "labelled_at"),
        (8, "is_fraud"),
        (9, "row"),
    }
    assert "line 2" in next(str(r) for r in report.rejected if r.line == 8)
    assert not (tmp_path / "labels").exists()


def test_jsonl_rows_need_json_booleans_objects_and_known_fields(tmp_path: Path) -> None:
    bad = (
        '{"transaction_id": "t-1", "customer_id": "c-1", "is_fraud": "true"}\n'
        "not json\n"
        "[1, 2]\n"
        '{"transaction_id": "t-4", "customer_id": "c-1", "is_fraud": true, "amount": 3}\n'
        '{"transaction_id": "t-5", "customer_id": "c-1", "is_fraud": true, "labelled_at": 5}\n'
    )
    report = import_labels(DirectoryLake(tmp_path), bad.encode(), csv_format=False, now=NOW)

    assert {(r.line, r.field) for r in report.rejected} == {
        (1, "is_fraud"),
        (2, "row"),
        (3, "row"),
        (4, "amount"),
        (5, "labelled_at"),
    }
    assert not (tmp_path / "labels").exists()


def test_exact_duplicate_rows_are_not_a_conflict_and_other_instants_are_not_either(tmp_path: Path) -> None:
    rows = (
        "transaction_id,customer_id,is_fraud,labelled_at\n"
        "t-1,c-1,true,2026-11-20T08:00:00Z\n"
        "t-1,c-1,true,2026-11-20T08:00:00Z\n"
        "t-1,c-1,false,2026-11-25T08:00:00Z\n"  # a later reversal: the label rule keeps the newest
    )
    report = import_labels(DirectoryLake(tmp_path), rows.encode(), csv_format=True, now=NOW)

    assert report.ok and report.written
    labels, _ = read_labels(enumerate((tmp_path / report.key).read_text().splitlines(), start=1))
    assert labels[(CustomerId("c-1"), TransactionId("t-1"))] is False


def test_a_file_without_rows_or_with_an_unknown_column_is_rejected(tmp_path: Path) -> None:
    empty = import_labels(DirectoryLake(tmp_path), b"", csv_format=False, now=NOW)
    header = import_labels(DirectoryLake(tmp_path), b"transaction_id,amount\nt-1,3\n", csv_format=True, now=NOW)

    assert [(r.line, r.field) for r in empty.rejected] == [(1, "file")]
    assert [(r.line, r.field) for r in header.rejected] == [(1, "header")]
    assert not (tmp_path / "labels").exists()


def test_the_command_dry_run_writes_nothing_and_a_bad_file_exits_non_zero(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good, bad = tmp_path / "chargebacks.csv", tmp_path / "bad.jsonl"
    good.write_text(GOOD_CSV)
    bad.write_text('{"transaction_id": "t-1", "is_fraud": true}\n')
    lake = tmp_path / "lake"

    assert main(["labels", "import", "--file", str(good), "--lake", str(lake), "--dry-run"]) == 0
    assert not lake.exists()
    assert main(["labels", "import", "--file", str(bad), "--lake", str(lake)]) == 1
    assert "line 1: customer_id" in capsys.readouterr().err
    assert not lake.exists()
    assert main(["labels", "import", "--file", str(good), "--lake", str(lake)]) == 0
    assert len(_objects(lake)) == 1
