"""The daily job against a pure-Python computation of the same numbers, on small generated lakes."""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import pytest

from contracts.aws import raw_partition
from tests.jobs.lakes import write_raw_batch

pytestmark = [pytest.mark.spark, pytest.mark.slow]

DAY = date(2025, 1, 7)
CENT = Decimal("0.01")
Key = tuple[str, str, str]  # customer_id, merchant_category, currency


def _transactions(
    day: date, seed: int, count: int, categories: tuple[str, ...], currencies: tuple[str, ...] = ("USD", "EUR")
) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    rows = []
    for n in range(count):
        at = start + timedelta(seconds=rng.randrange(86400))
        rows.append(
            {
                "transaction_id": f"t{seed}-{n}",
                "customer_id": f"c{rng.randrange(6)}",
                "amount": str(Decimal(rng.randrange(1, 50000)) / 100) if n % 2 else rng.randrange(1, 900) / 4,
                "currency": rng.choice(currencies),
                "merchant_id": f"m{rng.randrange(20)}",
                "merchant_category": rng.choice(categories),
                "timestamp": at.isoformat().replace("+00:00", "Z"),
                "location": {"latitude": 40.7, "longitude": -74.0},
            }
        )
    return rows


def _archive(lake: Path, rows: list[dict[str, Any]], batch: int = 20, shard: str = "s") -> None:
    """Archive in batches per hour partition, as the processor does."""
    by_hour: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        by_hour[raw_partition(datetime.fromisoformat(row["timestamp"].replace("Z", "+00:00")))].append(row)
    for partition, hour_rows in by_hour.items():
        for i in range(0, len(hour_rows), batch):
            write_raw_batch(lake, partition, hour_rows[i : i + batch], shard=f"{shard}{i}")


def _expected(rows: list[dict[str, Any]]) -> dict[Key, dict[str, Any]]:
    groups: dict[Key, list[Decimal]] = defaultdict(list)
    for row in {(r["customer_id"], r["transaction_id"]): r for r in rows}.values():
        groups[row["customer_id"], row["merchant_category"], row["currency"]].append(Decimal(str(row["amount"])))
    return {
        key: {
            "txn_count": len(amounts),
            "total_amount": sum(amounts, Decimal(0)),
            "avg_amount": (sum(amounts, Decimal(0)) / len(amounts)).quantize(CENT, ROUND_HALF_UP),
            "min_amount": min(amounts),
            "max_amount": max(amounts),
        }
        for key, amounts in groups.items()
    }


def _read(spark: Any, path: str) -> dict[Key, dict[str, Any]]:
    rows = spark.read.parquet(path).collect()
    return {(r["customer_id"], r["merchant_category"], r["currency"]): r.asDict() for r in rows}


def _row(customer: str, txn_id: str, amount: str, currency: str = "USD", category: str = "grocery") -> dict[str, Any]:
    return {
        "transaction_id": txn_id,
        "customer_id": customer,
        "amount": amount,
        "currency": currency,
        "merchant_id": "m1",
        "merchant_category": category,
        "timestamp": "2025-01-07T12:00:00+01:00",
        "location": {"latitude": 40.7, "longitude": -74.0},
    }


def test_aggregates_match_a_pure_python_computation_despite_duplicates_and_bad_lines(spark, tmp_path):
    from jobs.daily_aggregation import aggregate_day

    rows = _transactions(DAY, seed=1, count=120, categories=("grocery", "travel", "fuel"))
    duplicates = rows[:15]
    _archive(tmp_path, rows)
    _archive(tmp_path, duplicates, batch=5, shard="redelivered")  # a redelivered batch lands in another object
    bad = [
        "{not json",
        {**rows[0], "transaction_id": "bad-3dp", "amount": "1.005"},
        {**rows[0], "transaction_id": "bad-no-customer", "customer_id": None},
        {**rows[0], "transaction_id": "bad-negative", "amount": "-5.00"},
        {**rows[0], "transaction_id": "bad-other-day", "timestamp": "2025-01-09T01:00:00Z"},
        {**rows[0], "transaction_id": "bad-no-zone", "timestamp": "2025-01-07T01:00:00"},
        {**rows[0], "transaction_id": "bad-currency", "currency": "usd"},
        {**rows[0], "transaction_id": "bad-no-currency", "currency": None},
        {**rows[0], "transaction_id": "bad-too-large", "amount": "10000000000000.00"},  # domain.model.MAX_AMOUNT + 0.01
        "",
    ]
    write_raw_batch(tmp_path, raw_partition(datetime(2025, 1, 7, 3, tzinfo=UTC)), bad, shard="bad")

    summary = aggregate_day(spark, str(tmp_path), DAY)

    assert (summary.lines, summary.malformed, summary.duplicates) == (120 + 15 + 9, 9, 15)  # blank: no line
    assert summary.transactions == 120
    actual = _read(spark, summary.output)
    expected = _expected(rows)
    assert set(actual) == set(expected)
    assert {currency for _, _, currency in expected} == {"USD", "EUR"}
    for key, numbers in expected.items():
        assert {k: actual[key][k] for k in numbers} == numbers, key
    assert summary.groups == len(expected)


def test_a_currency_must_be_in_use_and_an_amount_have_at_most_its_minor_units(spark, tmp_path):
    """The processor's rule (domain/currency.py); a third decimal, which decimal(18,2) cannot hold, is counted
    invalid instead of rounded."""
    from jobs.daily_aggregation import aggregate_day

    good = [_row("c1", "yen", "5000", "JPY"), _row("c1", "dinar", "1.230", "BHD"), _row("c1", "dollar", "12.5")]
    bad = [_row("c1", "yen-cents", "18.75", "JPY"), _row("c1", "none", "5.00", "XXX"), _row("c1", "gold", "1", "XAU"),
           _row("c1", "fils", "1.234", "BHD")]  # fmt: skip
    write_raw_batch(tmp_path, raw_partition(datetime(2025, 1, 7, 11, tzinfo=UTC)), good + bad)

    summary = aggregate_day(spark, str(tmp_path), DAY)

    assert (summary.lines, summary.malformed, summary.transactions) == (7, 4, 3)
    totals = {currency: row["total_amount"] for (_, _, currency), row in _read(spark, summary.output).items()}
    assert totals == {"JPY": Decimal("5000.00"), "BHD": Decimal("1.23"), "USD": Decimal("12.50")}


def test_two_customers_transactions_with_one_id_both_count_and_a_redelivered_copy_counts_once(spark, tmp_path):
    from jobs.daily_aggregation import aggregate_day

    partition = raw_partition(datetime(2025, 1, 7, 11, tzinfo=UTC))
    first, second = _row("c1", "card-42", "10.00"), _row("c2", "card-42", "20.00")  # card-level ids repeat
    write_raw_batch(tmp_path, partition, [first, second], shard="s")
    write_raw_batch(tmp_path, partition, [first], shard="redelivered")  # archived again after a redelivery

    summary = aggregate_day(spark, str(tmp_path), DAY)

    assert (summary.lines, summary.duplicates, summary.transactions) == (3, 1, 2)
    actual = _read(spark, summary.output)
    assert {key: (row["txn_count"], row["total_amount"]) for key, row in actual.items()} == {
        ("c1", "grocery", "USD"): (1, Decimal("10.00")),
        ("c2", "grocery", "USD"): (1, Decimal("20.00")),
    }


def test_amounts_in_different_currencies_are_never_added(spark, tmp_path):
    """One row per currency; the spend ratio compares a currency with itself; rows of an older job without a
    currency still say which categories were used, but their sums (maybe of mixed currencies) are not compared."""
    from jobs.daily_aggregation import aggregate_day

    earlier = DAY - timedelta(days=2)
    before = {**_row("c1", "old", "30.00", "USD", "travel"), "timestamp": "2025-01-05T09:00:00Z"}
    write_raw_batch(tmp_path, raw_partition(datetime(2025, 1, 5, 9, tzinfo=UTC)), [before], shard="s")
    aggregate_day(spark, str(tmp_path), earlier)
    unversioned = tmp_path / "processed/daily-aggregates/year=2025/month=01/day=06"  # written before currencies
    spark.createDataFrame(
        [("c1", "grocery", 1, Decimal("900.00"), Decimal("900.00"), Decimal("900.00"), Decimal("900.00"), None, True)],
        "customer_id string, merchant_category string, txn_count long, total_amount decimal(18,2), "
        "avg_amount decimal(18,2), min_amount decimal(18,2), max_amount decimal(18,2), "
        "spend_change_ratio decimal(18,4), unusual_category boolean",
    ).write.parquet(str(unversioned))
    today = [_row("c1", "a", "10.00"), _row("c1", "b", "5.00"), _row("c1", "c", "1000.00", "EUR")]
    write_raw_batch(tmp_path, raw_partition(datetime(2025, 1, 7, 11, tzinfo=UTC)), today, shard="s")

    actual = _read(spark, aggregate_day(spark, str(tmp_path), DAY).output)

    numbers = ("txn_count", "total_amount", "max_amount", "spend_change_ratio", "unusual_category")
    assert {key: tuple(row[n] for n in numbers) for key, row in actual.items()} == {
        ("c1", "grocery", "USD"): (2, Decimal("15.00"), Decimal("10.00"), Decimal("15.0000"), False),  # 15 / (30/30)
        ("c1", "grocery", "EUR"): (1, Decimal("1000.00"), Decimal("1000.00"), None, False),  # no EUR history
    }


def test_output_is_decimal_money_in_a_zero_padded_partition(spark, tmp_path):
    from jobs.daily_aggregation import aggregate_day

    _archive(tmp_path, _transactions(DAY, seed=2, count=10, categories=("grocery",)))
    summary = aggregate_day(spark, str(tmp_path), DAY)

    assert summary.output.endswith("processed/daily-aggregates/year=2025/month=01/day=07/")
    types = dict(spark.read.parquet(summary.output).dtypes)
    assert {types[c] for c in ("total_amount", "avg_amount", "min_amount", "max_amount")} == {"decimal(18,2)"}
    partitions = spark.read.parquet(str(tmp_path / "processed/daily-aggregates")).select("month", "day").first()
    assert (partitions["month"], partitions["day"]) == ("01", "07")


def test_an_empty_day_writes_an_empty_partition_and_is_not_an_error(spark, tmp_path):
    from jobs.daily_aggregation import aggregate_day

    summary = aggregate_day(spark, str(tmp_path), DAY)

    assert (summary.lines, summary.transactions, summary.groups) == (0, 0, 0)
    assert spark.read.parquet(summary.output).count() == 0


def test_signals_compare_today_with_the_trailing_thirty_days_of_aggregates(spark, tmp_path):
    from jobs.daily_aggregation import aggregate_day

    earlier = [DAY - timedelta(days=d) for d in (12, 31)]  # the 31st day back is outside the window
    history = {
        d: _transactions(d, seed=10 + i, count=40, categories=("grocery", "fuel")) for i, d in enumerate(earlier)
    }
    today = _transactions(DAY, seed=3, count=60, categories=("grocery", "fuel", "travel"), currencies=("USD", "GBP"))
    for rows in [*history.values(), today]:
        _archive(tmp_path, rows)
    for d in sorted(earlier):
        aggregate_day(spark, str(tmp_path), d)

    actual = _read(spark, aggregate_day(spark, str(tmp_path), DAY).output)

    window = [r for d, rows in history.items() if d >= DAY - timedelta(days=30) for r in rows]
    spent_before: dict[tuple[str, str], Decimal] = defaultdict(Decimal)  # per customer and currency
    used = {(r["customer_id"], r["merchant_category"]) for r in window}
    for r in window:
        spent_before[r["customer_id"], r["currency"]] += Decimal(str(r["amount"]))
    spent_today: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for r in today:
        spent_today[r["customer_id"], r["currency"]] += Decimal(str(r["amount"]))
    assert all(row["spend_change_ratio"] is None for (_, _, currency), row in actual.items() if currency == "GBP")
    assert any(row["spend_change_ratio"] is not None for row in actual.values())
    for (customer, category, currency), row in actual.items():
        assert row["unusual_category"] is ((customer, category) not in used)
        if spent_before[customer, currency]:
            ratio = spent_today[customer, currency] / (spent_before[customer, currency] / 30)
            assert row["spend_change_ratio"] == ratio.quantize(Decimal("0.0001"), ROUND_HALF_UP)
        else:
            assert row["spend_change_ratio"] is None
    assert any(row["unusual_category"] for row in actual.values())  # travel is new for everyone
    assert not all(row["unusual_category"] for row in actual.values())


def test_glue_style_job_arguments_are_parsed_and_unknown_ones_ignored():
    from jobs.lake import parse_job_args

    args = parse_job_args(
        ["--JOB_NAME", "x", "--date", "2025-01-07", "--TempDir", "s3://t", "--lake", "s3://b"], "date", "lake"
    )

    assert (args.date, args.lake) == ("2025-01-07", "s3://b")


def test_the_glue_entry_point_runs_the_job_on_the_active_session(spark, tmp_path, capsys):
    from jobs.daily_aggregation import main

    _archive(tmp_path, _transactions(DAY, seed=4, count=12, categories=("fuel",)))

    code = main(["--JOB_NAME", "daily", "--date", DAY.isoformat(), "--lake", str(tmp_path), "--TempDir", "/tmp"])

    assert code == 0
    assert "'transactions': 12" in capsys.readouterr().out
    assert spark.read.parquet(str(tmp_path / "processed/daily-aggregates")).count() >= 1


def test_a_scheduled_run_without_a_date_takes_yesterday_in_utc():
    from datetime import UTC, datetime, timedelta

    from jobs.lake import parse_day

    today = datetime.now(UTC).date()
    assert parse_day("") == today - timedelta(days=1)
    assert parse_day("", days_before_today=0) == today
    assert parse_day("2025-01-07") == DAY.__class__(2025, 1, 7)
