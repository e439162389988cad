"""`backtest --engine columnar` reports and writes what `--engine domain` does, and routes what its columns cannot
follow exactly to the domain engine."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from adapters.serialization import decision_to_dict
from domain.policy import FraudPolicy, VelocityRule
from securebank.__main__ import main
from securebank.lab.backtest import BATCH_SIZE, Backtest
from securebank.lab.columnar import ColumnarBacktest

START = datetime(2024, 3, 1, 12, tzinfo=UTC)


def body(n: int, customer: str = "c1", seconds: int = 0, amount: str = "10.00", currency: str = "USD",
         lat: float = 40.7, category: str = "grocery") -> dict:  # fmt: skip
    at = (START + timedelta(seconds=seconds)).isoformat().replace("+00:00", "Z")
    return {"transaction_id": f"t{n}", "customer_id": customer, "amount": amount, "currency": currency,
            "merchant_id": "m1", "merchant_category": category, "timestamp": at,
            "location": {"latitude": lat, "longitude": -74.0}}  # fmt: skip


def numbered(rows: list) -> list[tuple[int, str]]:
    return [(n, (r if isinstance(r, str) else json.dumps(r)) + "\n") for n, r in enumerate(rows, start=1)]


def same(rows: list, policy: FraudPolicy) -> ColumnarBacktest:
    lines = numbered(rows)
    domain = Backtest(policy).run(lines)
    columnar = ColumnarBacktest(policy).run(lines)
    expected = [(s.transaction.key, decision_to_dict(s.decision)) for s in domain.decisions]
    assert [((c, t), decision_to_dict(d)) for c, t, d in columnar.decisions()] == expected
    assert (columnar.rejections, columnar.duplicates) == (domain.rejections, domain.duplicates)
    return columnar


def attack() -> list:
    """Five small payments, then a large one far away within the hour: velocity + amount + location = 0.9."""
    return [body(i, seconds=60 * i) for i in range(5)] + [body(5, seconds=600, amount="500.00", lat=25.0)]


def test_the_columns_decide_an_attack_as_the_domain_does() -> None:
    columnar = same(attack(), FraudPolicy.default())
    assert columnar.flagged == 1
    assert columnar.by_domain == []  # decided in columns


def test_a_customer_with_a_payment_dated_before_the_previous_one_is_replayed_by_the_domain() -> None:
    rows = [*attack(), body(6, customer="c2", seconds=100), body(7, customer="c2", seconds=50)]
    columnar = same(rows, FraudPolicy.default())
    assert [s.transaction.customer_id for _, s in columnar.by_domain] == ["c2", "c2"]


def test_a_customer_with_more_currencies_than_the_profile_keeps_is_replayed_by_the_domain() -> None:
    currencies = ("USD", "EUR", "GBP", "CHF", "CAD", "AUD", "SEK", "NOK", "DKK", "USD")
    rows = [body(i, seconds=4000 * i, currency=c) for i, c in enumerate(currencies)]
    assert len(same(rows, FraudPolicy.default()).by_domain) == len(rows)


def test_a_burst_beyond_what_the_profile_remembers_is_replayed_by_the_domain() -> None:
    rows = [body(i, seconds=i) for i in range(70)]
    columnar = same(rows, FraudPolicy.default())
    assert len(columnar.by_domain) == len(rows)


def test_a_velocity_window_over_a_day_is_replayed_by_the_domain() -> None:
    policy = FraudPolicy(threshold=Decimal("0.3"), velocity_check=VelocityRule(window_seconds=90_000, max_count=2))
    columnar = same([body(i, seconds=30_000 * i) for i in range(6)], policy)
    assert columnar.columns.height == 0
    assert columnar.flagged == 4


def test_backtest_command_writes_the_same_decisions_and_report_with_either_engine(tmp_path: Path) -> None:
    rows = [*attack(), attack()[2], "not json", {**attack()[3], "amount": "1.00"}]
    path = tmp_path / "t.jsonl"
    path.write_text("".join(text for _, text in numbered(rows)))
    out: dict[str, tuple[str, dict]] = {}
    for engine in ("domain", "columnar"):
        decisions, report = tmp_path / f"{engine}.jsonl", tmp_path / f"{engine}.json"
        args = ["--transactions", str(path), "--output", str(decisions), "--report-json", str(report)]
        assert main(["backtest", *args, "--engine", engine]) == 0
        out[engine] = (decisions.read_text(), json.loads(report.read_text()))
    timing = {"seconds", "transactions_per_second", "engine"}
    domain_report, columnar_report = ({k: v for k, v in r.items() if k not in timing} for _, r in out.values())
    assert out["columnar"][0] == out["domain"][0]
    assert columnar_report == domain_report
    assert (domain_report["duplicates"], domain_report["rejected"], domain_report["flagged"]) == (1, 2, 1)


def test_rejections_come_in_the_domains_order_across_its_batches() -> None:
    """The domain engine reports bad lines as it reads a batch's lines (BATCH_SIZE parsed ones), then the batch's
    conflicts: the last batch is read to the end of the file before its conflicts. The columnar replay lists them in
    that same order."""
    rows: list = [body(i, customer=f"c{i % 97}", seconds=60 * i) for i in range(BATCH_SIZE + 20)]
    conflict = {**rows[3], "amount": "11.00"}
    rows[BATCH_SIZE - 2 : BATCH_SIZE - 2] = ["bad line", conflict, "bad again"]
    rows[BATCH_SIZE + 8 : BATCH_SIZE + 8] = ["bad", {**rows[5], "amount": "12.00"}]
    rows.append("trailing bad line")
    columnar = same(rows, FraudPolicy.default())
    fields = [r.field for r in columnar.rejections]
    assert fields == ["body", "body", "conflicting_resubmission", "body", "body", "conflicting_resubmission"]
