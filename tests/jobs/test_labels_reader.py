"""The jobs' labels reader reads every label file below labels/, in date folders or beside them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def _write(path: Path, rows: list[dict[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))


def test_labels_in_date_folders_and_beside_them_are_all_read(spark: Any, tmp_path: Path) -> None:
    from jobs.labels import read_labels

    labels = tmp_path / "labels"
    _write(labels / "feed.jsonl", [{"transaction_id": "t1", "customer_id": "c1", "is_fraud": True}])
    _write(
        labels / "year=2026" / "month=11" / "day=30" / "import-a.jsonl",
        [{"transaction_id": "t2", "customer_id": "c2", "is_fraud": False, "labelled_at": "2026-11-30T10:00:00Z"}],
    )
    _write(labels / "2026" / "12" / "01" / "other.jsonl", [{"transaction_id": "t3", "is_fraud": True}])

    rows = read_labels(spark, str(labels)).collect()

    assert sorted((r["transaction_id"], r["is_fraud"]) for r in rows) == [("t1", True), ("t2", False), ("t3", True)]
    assert set(rows[0].asDict()) == {"transaction_id", "customer_id", "is_fraud", "labelled_at"}
