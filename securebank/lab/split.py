"""The layout every labelled history of the lab is written in, split by month for the tune -> backtest protocol.

all/transactions.jsonl   every POST body, in time order (the backtest replays it all)
all/labels.jsonl         every label (the backtest's merchant feed, each used only once it would have arrived)
all/scenarios.jsonl      the generator's fraud scenario per transaction, for analysis only
train/transactions.jsonl, train/labels.jsonl   before `test_from` (what `tune` sees)
test/labels.jsonl        from `test_from` on (what the backtest is scored on)
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, NamedTuple

from securebank.jsonl import write_lines


class Row(NamedTuple):
    """One POST body, its label and the generator's scenario ("" when legitimate)."""

    body: dict[str, Any]
    is_fraud: bool
    scenario: str


def write_split(rows: Sequence[Row], output: Path, test_from: date) -> dict[str, int]:
    """Write the layout above from rows already in time order; returns the counts."""
    cut = test_from.isoformat()
    before = [r for r in rows if _utc_day(r.body["timestamp"]) < cut]
    after = [r for r in rows if _utc_day(r.body["timestamp"]) >= cut]
    for part in ("all", "train", "test"):
        (output / part).mkdir(parents=True, exist_ok=True)
    write_lines(output / "all/transactions.jsonl", (json.dumps(r.body) for r in rows))
    write_lines(output / "train/transactions.jsonl", (json.dumps(r.body) for r in before))
    scenarios = ({"transaction_id": r.body["transaction_id"], "scenario": r.scenario} for r in rows)
    write_lines(output / "all/scenarios.jsonl", (json.dumps(s) for s in scenarios))
    for part, items in (("all", rows), ("train", before), ("test", after)):
        labels = ({"transaction_id": r.body["transaction_id"], "is_fraud": r.is_fraud} for r in items)
        write_lines(output / part / "labels.jsonl", (json.dumps(label) for label in labels))
    return {
        "transactions": len(rows),
        "frauds": sum(r.is_fraud for r in rows),
        "train": len(before),
        "train_frauds": sum(r.is_fraud for r in before),
        "test": len(after),
        "test_frauds": sum(r.is_fraud for r in after),
    }


def _utc_day(timestamp: str) -> str:
    """The UTC date of an ISO 8601 timestamp with a zone (the months are cut in UTC)."""
    return datetime.fromisoformat(timestamp).astimezone(UTC).date().isoformat()
