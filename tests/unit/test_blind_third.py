"""The third blind takeover history: deterministic, in time order, valid API bodies, fraud in runs at a sane share."""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from jsonschema import Draft4Validator

from securebank.emulator.schema import component_schema
from securebank.lab import blind_third


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> Path:
    output = tmp_path_factory.mktemp("third")
    assert blind_third.main(["--output-dir", str(output), "--seed", "5", "--holders", "12", "--months", "2"]) == 0
    return output


def read(path: Path) -> list[dict]:
    return [json.loads(line, parse_float=Decimal) for line in path.read_text().splitlines()]


def test_the_same_seed_writes_the_same_bytes(history: Path, tmp_path: Path):
    blind_third.main(["--output-dir", str(tmp_path), "--seed", "5", "--holders", "12", "--months", "2"])
    for name in ("all/transactions.jsonl", "all/labels.jsonl", "all/scenarios.jsonl", "train/labels.jsonl"):
        assert (tmp_path / name).read_bytes() == (history / name).read_bytes(), name


def test_another_seed_writes_another_history(history: Path):
    other = blind_third.generate(6, holders=12, months=2)
    assert [r.body for r in other] != read(history / "all/transactions.jsonl")


def test_timestamps_are_in_time_order_with_an_offset_inside_the_two_months(history: Path):
    stamps = [datetime.fromisoformat(t["timestamp"]) for t in read(history / "all/transactions.jsonl")]
    assert all(s.utcoffset() is not None for s in stamps)
    assert stamps == sorted(stamps)
    assert datetime(2024, 1, 1, tzinfo=UTC) <= stamps[0] < stamps[-1] < datetime(2024, 3, 1, tzinfo=UTC)


def test_every_body_is_valid_against_the_api_schema(history: Path):
    validator = Draft4Validator(component_schema("Transaction"))
    bodies = read(history / "all/transactions.jsonl")
    assert len(bodies) > 1000
    assert [b["transaction_id"] for b in bodies if not validator.is_valid(b)] == []
    assert len({b["transaction_id"] for b in bodies}) == len(bodies)


def test_labels_line_up_with_transactions_and_the_split(history: Path):
    bodies = read(history / "all/transactions.jsonl")
    labels = read(history / "all/labels.jsonl")
    scenarios = read(history / "all/scenarios.jsonl")
    assert [x["transaction_id"] for x in labels] == [b["transaction_id"] for b in bodies]
    assert [x["transaction_id"] for x in scenarios] == [b["transaction_id"] for b in bodies]
    assert all(label["is_fraud"] == bool(s["scenario"]) for label, s in zip(labels, scenarios, strict=True))
    train, test = read(history / "train/labels.jsonl"), read(history / "test/labels.jsonl")
    assert train + test == labels
    assert train and test


def test_fraud_is_a_sane_share_and_comes_in_runs(history: Path):
    bodies = read(history / "all/transactions.jsonl")
    fraud = {x["transaction_id"] for x in read(history / "all/labels.jsonl") if x["is_fraud"]}
    assert 0.003 < len(fraud) / len(bodies) < 0.08
    runs: dict[str, list[list[datetime]]] = defaultdict(list)
    for b in bodies:
        if b["transaction_id"] in fraud:
            when = datetime.fromisoformat(b["timestamp"])
            mine = runs[b["customer_id"]]
            if not mine or when - mine[-1][-1] > timedelta(days=4):
                mine.append([])
            mine[-1].append(when)
    sizes = [len(run) for each in runs.values() for run in each]
    assert len(sizes) >= 2
    assert sum(sizes) / len(sizes) >= 3


def test_the_holders_own_payments_go_on_around_the_runs(history: Path):
    bodies = read(history / "all/transactions.jsonl")
    fraud = {x["transaction_id"] for x in read(history / "all/labels.jsonl") if x["is_fraud"]}
    victims = {b["customer_id"] for b in bodies if b["transaction_id"] in fraud}
    around = 0
    for customer in victims:
        mine = [b["transaction_id"] in fraud for b in bodies if b["customer_id"] == customer]
        first, last = mine.index(True), len(mine) - 1 - mine[::-1].index(True)
        assert not all(mine[:first] + mine[last + 1 :]), customer
        around += (not all(mine[first : last + 1])) and not all(mine[last + 1 :] or [True])
    assert around >= len(victims) // 2
