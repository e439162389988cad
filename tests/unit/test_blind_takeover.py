"""The blind takeover generator writes a valid, deterministic, time-ordered history whose fraud comes in runs."""

from __future__ import annotations

import json
from collections import Counter
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from jsonschema import Draft4Validator

from securebank.emulator.schema import component_schema
from securebank.lab import blind_takeover
from securebank.lab.split import Row


@pytest.fixture(scope="module")
def rows() -> list[Row]:
    return blind_takeover.generate(seed=7, holders=12, months=2)


def test_the_same_seed_writes_the_same_bytes(tmp_path: Path):
    for name in ("a", "b"):
        assert (
            blind_takeover.main(
                ["--output-dir", str(tmp_path / name), "--seed", "3", "--holders", "4", "--months", "2"]
            )
            == 0
        )
    for part in (
        "all/transactions.jsonl",
        "all/labels.jsonl",
        "all/scenarios.jsonl",
        "train/labels.jsonl",
        "test/labels.jsonl",
    ):
        assert (tmp_path / "a" / part).read_bytes() == (tmp_path / "b" / part).read_bytes(), part
    assert (tmp_path / "a/test/labels.jsonl").stat().st_size > 0


def test_another_seed_gives_another_history():
    first = [r.body for r in blind_takeover.generate(seed=1, holders=3, months=2)]
    assert first != [r.body for r in blind_takeover.generate(seed=2, holders=3, months=2)]


def test_timestamps_are_in_time_order_within_the_months(rows: list[Row]):
    instants = [datetime.fromisoformat(r.body["timestamp"]) for r in rows]
    assert all(i.utcoffset() is not None for i in instants)
    assert instants == sorted(instants)
    assert instants[0] >= datetime.fromisoformat("2025-01-01T00:00:00+00:00")
    assert instants[-1] < datetime.fromisoformat("2025-03-01T00:00:00+00:00")


def test_every_body_is_valid_against_the_api_schema(rows: list[Row]):
    validator = Draft4Validator(component_schema("Transaction"))
    for row in rows:
        body = json.loads(json.dumps(row.body), parse_float=Decimal)  # as the API parses it
        assert validator.is_valid(body), list(validator.iter_errors(body))


def test_amounts_have_the_minor_units_of_their_currency(rows: list[Row]):
    for row in rows:
        decimals = -Decimal(row.body["amount"]).as_tuple().exponent
        assert decimals == (0 if row.body["currency"] == "JPY" else 2), row.body


def test_fraud_share_is_a_few_percent(rows: list[Row]):
    share = sum(r.is_fraud for r in rows) / len(rows)
    assert 0.005 < share < 0.06


def test_fraud_comes_in_runs_of_several_payments_of_one_holder(rows: list[Row]):
    frauds = Counter(r.body["customer_id"] for r in rows if r.is_fraud)
    assert frauds
    assert all(count >= 3 for count in frauds.values())
    for row in (r for r in rows if r.is_fraud):
        assert row.scenario.startswith("takeover_")


def test_holders_keep_paying_legitimately_around_the_runs(rows: list[Row]):
    robbed = {r.body["customer_id"] for r in rows if r.is_fraud}
    legitimate = Counter(r.body["customer_id"] for r in rows if not r.is_fraud)
    assert all(legitimate[holder] > 20 for holder in robbed)


def test_labels_and_scenarios_line_up_with_the_transactions(tmp_path: Path):
    blind_takeover.main(["--output-dir", str(tmp_path), "--seed", "5", "--holders", "5", "--months", "2"])

    def read(part: str) -> list[dict]:
        return [json.loads(line) for line in (tmp_path / part).read_text().splitlines()]

    ids = [t["transaction_id"] for t in read("all/transactions.jsonl")]
    labels, scenarios = read("all/labels.jsonl"), read("all/scenarios.jsonl")
    assert len(set(ids)) == len(ids)
    assert [x["transaction_id"] for x in labels] == ids == [x["transaction_id"] for x in scenarios]
    assert all(label["is_fraud"] == bool(s["scenario"]) for label, s in zip(labels, scenarios, strict=True))
    train = [x["transaction_id"] for x in read("train/labels.jsonl")]
    test = [x["transaction_id"] for x in read("test/labels.jsonl")]
    assert train + test == ids
    assert train == [t["transaction_id"] for t in read("train/transactions.jsonl")]
