"""The daily merchant-risk job against the pure-Python ledger (`MerchantLedger(...).risk().published(...)`), on
small generated lakes: the snapshot it writes must be what a replay of the same history would publish."""

from __future__ import annotations

import json
import random
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from adapters.merchant_risk_codec import merchant_risk_from_json
from adapters.serialization import dumps, transaction_to_body
from contracts.aws import MERCHANT_RISK_DAYS, MERCHANT_RISK_PREFIX, merchant_risk_key, raw_partition
from domain.labels import Labels
from domain.merchant_risk import KNOWN, MerchantDay, MerchantLedger, MerchantRisk
from domain.model import CustomerId, Location, Transaction, TransactionId
from tests.jobs.lakes import write_label_rows, write_labels, write_raw_batch

pytestmark = [pytest.mark.spark, pytest.mark.slow]

DATE = date(2025, 2, 3)  # the window of 35 days starts on 2024-12-30: December and January (month=01) folders
LABELLED = datetime(2025, 2, 1, 9, tzinfo=UTC)  # every label arrived before the snapshot's date
EST = timezone(timedelta(hours=-5))


def _txn(txn_id: str, merchant: str, at: datetime, customer: str = "c1") -> Transaction:
    return Transaction(
        transaction_id=TransactionId(txn_id),
        customer_id=CustomerId(customer),
        amount=Decimal("12.50"),
        currency="USD",
        merchant_id=merchant,
        merchant_category="grocery",
        timestamp=at,
        location=Location(latitude=40.7, longitude=-74.0),
    )


def _at(day: date, hour: int = 12) -> datetime:
    return datetime.combine(day, time(hour), UTC)


def _archive(lake: Path, transactions: Iterable[Transaction], shard: str = "s") -> None:
    """One batch per UTC hour partition, each body as the processor archives it (the client's own offset)."""
    by_partition: dict[str, list[str]] = {}
    for txn in transactions:
        by_partition.setdefault(raw_partition(txn.timestamp), []).append(dumps(transaction_to_body(txn)))
    for partition, lines in by_partition.items():
        write_raw_batch(lake, partition, lines, shard=shard)


def _expected(transactions: Iterable[Transaction], frauds: Iterable[str], day: date, days: int) -> MerchantRisk:
    confirmed: Mapping[TransactionId, datetime | None] = {TransactionId(t): LABELLED for t in frauds}
    return (
        MerchantLedger(timedelta(days=3))
        .add(transactions, Labels.frauds_by_id(confirmed))
        .risk()
        .published(day.toordinal(), days)
    )


def _publish(
    spark: Any, lake: Path, labels: Path, day: date = DATE, days: int = MERCHANT_RISK_DAYS
) -> tuple[Any, MerchantRisk]:
    from jobs.merchant_risk import publish

    summary = publish(spark, str(lake), str(labels), day, days)
    risk, as_of = merchant_risk_from_json((lake / summary.key).read_text())
    assert as_of == day and summary.key == merchant_risk_key(day)
    return summary, risk


def _entry(transactions: int, frauds: int) -> MerchantDay:
    return MerchantDay(transactions, (KNOWN,) * frauds)


def _history(seed: int, count: int) -> tuple[list[Transaction], dict[str, bool]]:
    """Transactions from before the window to after the date, at several offsets; merchants m0-m5 see fraud,
    m6-m9 none; half the transactions are labelled."""
    rng = random.Random(seed)
    zones = (UTC, EST, timezone(timedelta(hours=9)), timezone(timedelta(hours=5, minutes=30)))
    first = DATE - timedelta(days=MERCHANT_RISK_DAYS + 4)
    transactions: list[Transaction] = []
    labels: dict[str, bool] = {}
    for n in range(count):  # two UTC hours a day, either side of midnight: few objects, and offsets change the day
        day = first + timedelta(days=rng.randrange(MERCHANT_RISK_DAYS + 6))
        at = _at(day, rng.choice((1, 23))) + timedelta(seconds=rng.randrange(3600))
        at = at.astimezone(rng.choice(zones))
        merchant = f"m{rng.randrange(10)}"
        transactions.append(_txn(f"t{seed}-{n}", merchant, at))
        if rng.random() < 0.5:
            labels[f"t{seed}-{n}"] = merchant < "m6" and rng.random() < 0.2
    return transactions, labels


def test_the_snapshot_equals_what_the_ledger_publishes_on_that_date(spark: Any, tmp_path: Path) -> None:
    transactions, labels = _history(seed=1, count=400)
    _archive(tmp_path, transactions)
    _archive(tmp_path, transactions[::25], shard="redelivered")  # at-least-once: some batches archived twice
    write_raw_batch(tmp_path, raw_partition(_at(DATE - timedelta(days=3))), ["{not json"], shard="bad")
    frauds = [t for t, fraud in labels.items() if fraud]
    write_labels(tmp_path / "labels" / "part-0.jsonl", labels, labelled_at=LABELLED)

    summary, risk = _publish(spark, tmp_path, tmp_path / "labels")

    expected = _expected(transactions, frauds, DATE, MERCHANT_RISK_DAYS)
    assert risk == expected
    first = DATE - timedelta(days=MERCHANT_RISK_DAYS)
    in_window = [t for t in transactions if first <= t.timestamp.astimezone(UTC).date() < DATE]
    assert summary.lines == len(in_window) + len([t for t in transactions[::25] if t in in_window]) + 1
    assert summary.malformed == 1
    assert summary.transactions == len(in_window)
    assert summary.confirmed_frauds == len({t.transaction_id for t in in_window} & set(frauds)) > 0
    assert summary.merchants == len(expected.merchants) == 6  # m0-m5; m6-m9 never saw a fraud


def test_a_transaction_archived_several_times_counts_once(spark: Any, tmp_path: Path) -> None:
    day = DATE - timedelta(days=2)
    transactions = [_txn("a", "m1", _at(day, 10)), _txn("b", "m1", _at(day, 11)), _txn("c", "m1", _at(day, 12))]
    _archive(tmp_path, transactions)
    _archive(tmp_path, transactions[:1] * 2, shard="again")  # twice in a redelivered batch, once in the first
    write_labels(tmp_path / "labels.jsonl", {"a": True, "b": False})

    summary, risk = _publish(spark, tmp_path, tmp_path / "labels.jsonl")

    assert risk.merchants == {"m1": {day.toordinal(): _entry(3, 1)}}
    assert (summary.lines, summary.transactions, summary.confirmed_frauds) == (5, 3, 1)
    assert risk == _expected(transactions, ["a"], DATE, MERCHANT_RISK_DAYS)


def test_an_id_of_several_customers_is_several_transactions_and_labels_apply_as_named(
    spark: Any, tmp_path: Path
) -> None:
    """A label naming its customer applies to that customer's transaction only; one without applies to every
    customer's transaction with that id (and is counted as shared); the newest applicable label wins."""
    day = DATE - timedelta(days=2)
    transactions = [
        _txn("named", "m-named", _at(day, 9), "c1"),
        _txn("named", "m-other", _at(day, 10), "c2"),  # the same card-level id, another customer
        _txn("unnamed", "m-a", _at(day, 11), "c1"),
        _txn("unnamed", "m-b", _at(day, 12), "c2"),
        _txn("reversed", "m-c", _at(day, 13), "c1"),
        _txn("reversed", "m-d", _at(day, 14), "c2"),
    ]
    _archive(tmp_path, transactions)
    _archive(tmp_path, transactions[:1], shard="again")  # a redelivery archived c1's copy again
    at = LABELLED.isoformat()
    later = (LABELLED + timedelta(hours=1)).isoformat()
    labels = write_label_rows(
        tmp_path / "labels.jsonl",
        [
            {"transaction_id": "named", "customer_id": "c1", "is_fraud": True, "labelled_at": at},
            {"transaction_id": "unnamed", "is_fraud": True, "labelled_at": at},
            {"transaction_id": "reversed", "is_fraud": True, "labelled_at": at},
            {"transaction_id": "reversed", "customer_id": "c2", "is_fraud": False, "labelled_at": later},
            {"transaction_id": "named", "customer_id": "not an id", "is_fraud": True},  # not a label
        ],
    )

    summary, risk = _publish(spark, tmp_path, labels)

    frauds = {"m-named", "m-a", "m-b", "m-c"}
    assert risk.merchants == {merchant: {day.toordinal(): _entry(1, 1)} for merchant in frauds}
    assert (summary.lines, summary.transactions, summary.confirmed_frauds) == (7, 6, 4)
    assert summary.shared_id_labels == 2  # "unnamed" and "reversed": an unnamed label of an id of two customers


def test_a_merchant_without_fraud_is_absent_and_a_risky_merchants_clean_days_are_kept(
    spark: Any, tmp_path: Path
) -> None:
    fraud_day, clean_day = DATE - timedelta(days=4), DATE - timedelta(days=9)
    transactions = [
        _txn("f1", "risky", _at(fraud_day)),
        _txn("ok1", "risky", _at(clean_day)),
        _txn("ok2", "risky", _at(clean_day, 13)),
        _txn("ok3", "clean", _at(fraud_day)),
        _txn("ok4", "clean", _at(clean_day)),
    ]
    _archive(tmp_path, transactions)
    write_labels(tmp_path / "labels.jsonl", {"f1": True, "ok3": False, "ok4": False})

    summary, risk = _publish(spark, tmp_path, tmp_path / "labels.jsonl")

    assert risk.merchants == {"risky": {clean_day.toordinal(): _entry(2, 0), fraud_day.toordinal(): _entry(1, 1)}}
    assert (summary.transactions, summary.merchants) == (5, 1)
    assert risk == _expected(transactions, ["f1"], DATE, MERCHANT_RISK_DAYS)


def test_only_the_days_before_the_date_within_the_window_count(spark: Any, tmp_path: Path) -> None:
    days = 7
    first, last = DATE - timedelta(days=days), DATE - timedelta(days=1)
    transactions = [
        _txn("before", "m1", _at(first - timedelta(days=1), 23)),  # fraud, the day before the window
        _txn("first", "m1", _at(first, 0)),
        _txn("last", "m1", _at(last, 23)),
        _txn("today", "m1", _at(DATE, 0)),  # fraud, the snapshot's own day: not covered
        _txn("other", "m2", _at(DATE + timedelta(days=1))),  # fraud after the date, the only one of m2
    ]
    _archive(tmp_path, transactions)
    write_labels(tmp_path / "labels.jsonl", {"before": True, "first": True, "today": True, "other": True})

    summary, risk = _publish(spark, tmp_path, tmp_path / "labels.jsonl", days=days)

    assert risk.merchants == {"m1": {first.toordinal(): _entry(1, 1), last.toordinal(): _entry(1, 0)}}
    assert (summary.lines, summary.transactions, summary.confirmed_frauds) == (2, 2, 1)
    assert risk == _expected(transactions, ["before", "first", "today", "other"], DATE, days)


def test_malformed_lines_are_counted_and_skipped(spark: Any, tmp_path: Path) -> None:
    day = DATE - timedelta(days=1)
    good = _txn("good", "m1", _at(day))
    body = transaction_to_body(good)
    bad: list[str | dict[str, Any]] = [
        "{not json",
        {**body, "transaction_id": "no-merchant", "merchant_id": None},
        {**body, "transaction_id": "no-zone", "timestamp": "2025-02-02T12:00:00"},
        {**body, "transaction_id": "no-time", "timestamp": "yesterday"},
        {**body, "transaction_id": "bad id"},
        {k: v for k, v in body.items() if k != "transaction_id"},
        "",
    ]
    _archive(tmp_path, [good])
    write_raw_batch(tmp_path, raw_partition(good.timestamp), bad, shard="bad")
    write_labels(tmp_path / "labels.jsonl", {"good": True, "no-merchant": True, "no-zone": True, "bad id": True})

    summary, risk = _publish(spark, tmp_path, tmp_path / "labels.jsonl")

    assert (summary.lines, summary.malformed, summary.transactions, summary.confirmed_frauds) == (7, 6, 1, 1)
    assert risk.merchants == {"m1": {day.toordinal(): _entry(1, 1)}}


def test_an_empty_range_publishes_an_empty_snapshot(spark: Any, tmp_path: Path) -> None:
    summary, risk = _publish(spark, tmp_path / "lake", tmp_path / "no-labels-yet")

    assert risk == MerchantRisk() and not risk
    assert (summary.lines, summary.transactions, summary.merchants) == (0, 0, 0)

    transactions = [_txn("f", "m1", _at(DATE - timedelta(days=1)))]
    _archive(tmp_path / "lake", transactions)
    write_labels(tmp_path / "labels" / "part-0.jsonl", {"f": True})
    (tmp_path / "empty-labels").mkdir()

    assert _publish(spark, tmp_path / "lake", tmp_path / "labels", days=0)[1] == MerchantRisk()
    assert _publish(spark, tmp_path / "lake", tmp_path / "empty-labels")[1] == MerchantRisk()
    assert _publish(spark, tmp_path / "lake", tmp_path / "labels")[1].merchants  # the same lake, with its label


def test_a_rerun_of_the_date_overwrites_its_own_snapshot(spark: Any, tmp_path: Path) -> None:
    day = DATE - timedelta(days=3)
    transactions = [_txn("a", "m1", _at(day)), _txn("b", "m2", _at(day))]
    _archive(tmp_path, transactions)
    write_labels(tmp_path / "labels" / "week-1.jsonl", {"a": True})
    _publish(spark, tmp_path, tmp_path / "labels", day=DATE - timedelta(days=1))  # yesterday's stays

    _, first = _publish(spark, tmp_path, tmp_path / "labels")
    write_labels(tmp_path / "labels" / "week-2.jsonl", {"b": True}, labelled_at=LABELLED)  # a label arrived since
    _, second = _publish(spark, tmp_path, tmp_path / "labels")

    assert set(first.merchants) == {"m1"}
    assert second == _expected(transactions, ["a", "b"], DATE, MERCHANT_RISK_DAYS)
    assert merchant_risk_from_json((tmp_path / merchant_risk_key(DATE)).read_text())[0] == second
    names = sorted(p.name for p in (tmp_path / MERCHANT_RISK_PREFIX).iterdir())
    assert names == [f"{DATE - timedelta(days=1)}.json", f"{DATE}.json"]  # no side files either


def test_an_offset_timestamp_near_midnight_counts_on_its_utc_day(spark: Any, tmp_path: Path) -> None:
    evening = datetime(2025, 1, 20, 23, 30, tzinfo=EST)  # 2025-01-21 04:30 UTC
    morning = datetime(2025, 1, 21, 0, 30, tzinfo=timezone(timedelta(hours=2)))  # 2025-01-20 22:30 UTC
    transactions = [_txn("evening", "m1", evening), _txn("morning", "m1", morning)]
    _archive(tmp_path, transactions)
    write_labels(tmp_path / "labels.jsonl", {"evening": True})

    _, risk = _publish(spark, tmp_path, tmp_path / "labels.jsonl")

    assert transaction_to_body(transactions[0])["timestamp"] == "2025-01-20T23:30:00-05:00"  # as archived
    assert risk.merchants == {
        "m1": {date(2025, 1, 20).toordinal(): _entry(1, 0), date(2025, 1, 21).toordinal(): _entry(1, 1)}
    }
    assert risk == _expected(transactions, ["evening"], DATE, MERCHANT_RISK_DAYS)


def test_zero_padded_month_folders_are_read(spark: Any, tmp_path: Path) -> None:
    transactions = [_txn("jan", "m1", _at(date(2025, 1, 15))), _txn("dec", "m1", _at(date(2024, 12, 31)))]
    _archive(tmp_path, transactions)
    write_labels(tmp_path / "labels.jsonl", {"jan": True})

    _, risk = _publish(spark, tmp_path, tmp_path / "labels.jsonl")

    assert list(tmp_path.rglob("month=01/day=15"))
    assert risk.merchants == {
        "m1": {date(2024, 12, 31).toordinal(): _entry(1, 0), date(2025, 1, 15).toordinal(): _entry(1, 1)}
    }


def test_the_newest_label_of_a_transaction_wins(spark: Any, tmp_path: Path) -> None:
    day = DATE - timedelta(days=5)
    _archive(tmp_path, [_txn("reversed", "m1", _at(day)), _txn("confirmed", "m2", _at(day))])
    write_labels(tmp_path / "labels" / "a.jsonl", {"reversed": True, "confirmed": False}, labelled_at=LABELLED)
    later = LABELLED + timedelta(hours=1)
    write_labels(tmp_path / "labels" / "b.jsonl", {"reversed": False, "confirmed": True}, labelled_at=later)

    _, risk = _publish(spark, tmp_path, tmp_path / "labels")

    assert risk.merchants == {"m2": {day.toordinal(): _entry(1, 1)}}


def test_a_label_that_arrived_on_the_date_or_later_is_not_in_its_snapshot(spark: Any, tmp_path: Path) -> None:
    """A rerun or backfill of a past date publishes what was known then, as `MerchantRisk.published` does."""
    day = DATE - timedelta(days=5)
    _archive(
        tmp_path, [_txn(t, "m1", _at(day, 9 + n)) for n, t in enumerate(("before", "on", "after", "bad", "unsaid"))]
    )
    labels = tmp_path / "labels"
    write_labels(labels / "a.jsonl", {"before": True}, labelled_at=datetime.combine(DATE, time(), EST))  # 05:00Z, D
    write_labels(labels / "b.jsonl", {"on": True}, labelled_at=datetime.combine(DATE, time(), UTC))
    write_labels(labels / "c.jsonl", {"after": True}, labelled_at=_at(DATE + timedelta(days=2)))
    (labels / "d.jsonl").write_text(
        json.dumps({"transaction_id": "bad", "is_fraud": True, "labelled_at": "2025-02-01T09:00:00"}) + "\n"
    )
    write_labels(labels / "e.jsonl", {"unsaid": True})  # no labelled_at: present, so known

    _, risk = _publish(spark, tmp_path, labels)

    # "before" arrived at 05:00 UTC on the date itself: only known from the next day, like "on" and "after";
    # "bad" has a labelled_at without a zone and is dropped, as the local reader rejects it
    assert risk.merchants == {"m1": {day.toordinal(): _entry(5, 1)}}


def test_glue_arguments_default_to_today_and_the_contract_days(
    spark: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from jobs.merchant_risk import main

    before = datetime.now(UTC).date()
    assert main(["--JOB_NAME", "merchant-risk", "--lake", str(tmp_path), "--labels", str(tmp_path / "labels")]) == 0
    printed = capsys.readouterr().out

    assert f"'days': {MERCHANT_RISK_DAYS}" in printed
    assert any((tmp_path / merchant_risk_key(d)).exists() for d in {before, datetime.now(UTC).date()})


def test_the_command_line_knows_merchant_risk(capsys: pytest.CaptureFixture[str]) -> None:
    from securebank.__main__ import main

    with pytest.raises(SystemExit) as exit_:
        main(["merchant-risk", "--help"])

    assert exit_.value.code == 0
    assert "--labels" in capsys.readouterr().out


def test_the_snapshot_is_the_published_json_shape(spark: Any, tmp_path: Path) -> None:
    day = DATE - timedelta(days=1)
    _archive(tmp_path, [_txn("a", "m1", _at(day)), _txn("b", "m1", _at(day, 13))])
    write_labels(tmp_path / "labels.jsonl", {"a": True})

    summary, _ = _publish(spark, tmp_path, tmp_path / "labels.jsonl")

    document = json.loads((tmp_path / summary.key).read_text())
    assert document == {"as_of": DATE.isoformat(), "merchants": {"m1": {day.isoformat(): [2, 1]}}}
