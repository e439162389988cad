"""The daily customer-profile snapshot: DynamoDB export lines of real profile items -> Parquet rows by date."""

from __future__ import annotations

import gzip
import json
import time
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from adapters.items import profile_to_item, to_attribute_values
from domain.model import CustomerId, Location
from domain.profile import CategoryAmounts, CurrencyAmounts, CustomerProfile, DayTotal

pytestmark = [pytest.mark.spark, pytest.mark.slow]

DAY = date(2025, 1, 7)
OPENED = datetime(2024, 3, 1, 9, 30, tzinfo=UTC)
LAST = datetime(2025, 1, 7, 18, 5, 12, tzinfo=UTC)
SIGNAL_COLUMNS = ("category_amounts", "day_totals", "night_count", "recent_high", "recent_night", "recent_new")


def _profiles() -> list[CustomerProfile]:
    usd = CurrencyAmounts("USD", 3, Decimal("60.50"), Decimal("10.25"), Decimal("30.00"))
    bhd = CurrencyAmounts("BHD", 1, Decimal("1.234"), Decimal("1.234"), Decimal("1.234"))
    return [
        CustomerProfile(CustomerId("c-new"), OPENED),  # opened, nothing applied yet: no home, no amounts
        CustomerProfile(
            CustomerId("c-regular"),
            OPENED,
            location=Location(latitude=40.7, longitude=-74.0),
            preferred_merchants=("m-2", "m-1"),
            last_transaction_timestamp=LAST,
            total_transactions=4,
            total_fraud_flags=1,  # 1 in 4 is more than a tenth: high
            timezone="America/New_York",
            amounts=(usd, bhd),
            categories=("grocery", "home & garden", "fuel"),
            version=4,
            category_amounts=(
                CategoryAmounts("grocery", "USD", 2, Decimal("40.50")),
                CategoryAmounts("home & garden", "USD", 1, Decimal("20.00")),
                CategoryAmounts("fuel", "BHD", 1, Decimal("1.234")),
            ),
            day_totals=(  # days since 1970-01-01: 20095 is 2025-01-07
                DayTotal(20095, "BHD", 1, Decimal("1.234")),
                DayTotal(20095, "USD", 1, Decimal("30.00")),
                DayTotal(20093, "USD", 2, Decimal("30.50")),
            ),
            high_bits=0b10010,  # the last payment but one, and the fifth last, were high
            night_bits=0b00001,  # the last one was at night
            new_bits=0b00111,  # the last three were at merchants new to the holder
            night_count=1,
        ),
        CustomerProfile(CustomerId("c-medium"), OPENED, total_transactions=40, total_fraud_flags=2, version=40),
    ]


def _export_line(profile: CustomerProfile) -> str:
    """One line of a DynamoDB JSON export: `{"Item": <the item's attribute values>}`."""
    return json.dumps({"Item": to_attribute_values(profile_to_item(profile))}, default=str)


def _write_export(folder: Path, lines: list[str]) -> Path:
    data = folder / "AWSDynamoDB" / "01700000000000-abcd1234" / "data"
    data.mkdir(parents=True)
    with gzip.open(data / "part-0.json.gz", "wt", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")
    return data


def _rows(spark: Any, path: str) -> dict[str, dict[str, Any]]:
    return {row["customer_id"]: row.asDict(recursive=True) for row in spark.read.parquet(path).collect()}


def test_snapshot_converts_every_profile_item_of_the_export_and_skips_what_is_not_one(spark, tmp_path):
    from jobs.customer_profiles import write_snapshot

    bad = ['{"Item": {"customer_id": {"S": "no version"}}}', "{not json", json.dumps({"Item": {}})]
    data = _write_export(tmp_path / "export", [_export_line(p) for p in _profiles()] + bad)

    summary = write_snapshot(spark, str(tmp_path / "lake"), str(data), DAY)

    assert (summary.lines, summary.malformed, summary.profiles) == (6, 3, 3)
    assert summary.output.endswith("processed/customer-profiles/date=2025-01-07/")
    rows = _rows(spark, summary.output)
    assert set(rows) == {"c-new", "c-regular", "c-medium"}
    assert rows["c-regular"] == {
        "customer_id": "c-regular",
        "account_created": OPENED.replace(tzinfo=None),  # Spark hands back naive UTC (the session zone)
        "last_transaction_timestamp": LAST.replace(tzinfo=None),
        "total_transactions": 4,
        "total_fraud_flags": 1,
        "risk_profile": "high",
        "assigned_risk": None,
        "average_monthly_spend": Decimal("5.9000"),  # 60.50 USD, its main currency, over 312 days
        "spend_currency": "USD",
        "timezone": "America/New_York",
        "home_location": {"latitude": 40.7, "longitude": -74.0},
        "preferred_merchants": ["m-2", "m-1"],
        "categories": ["grocery", "home & garden", "fuel"],
        "amounts": [
            {
                "currency": "USD",
                "count": 3,
                "total": Decimal("60.5000"),
                "minimum": Decimal("10.2500"),
                "maximum": Decimal("30.0000"),
            },
            {
                "currency": "BHD",
                "count": 1,
                "total": Decimal("1.2340"),
                "minimum": Decimal("1.2340"),
                "maximum": Decimal("1.2340"),
            },
        ],
        "category_amounts": [
            {"category": "grocery", "currency": "USD", "count": 2, "total": Decimal("40.5000")},
            {"category": "home & garden", "currency": "USD", "count": 1, "total": Decimal("20.0000")},
            {"category": "fuel", "currency": "BHD", "count": 1, "total": Decimal("1.2340")},
        ],
        "day_totals": [
            {"day": date(2025, 1, 7), "currency": "BHD", "count": 1, "total": Decimal("1.2340")},
            {"day": date(2025, 1, 7), "currency": "USD", "count": 1, "total": Decimal("30.0000")},
            {"day": date(2025, 1, 5), "currency": "USD", "count": 2, "total": Decimal("30.5000")},
        ],
        "night_count": 1,
        "recent_high": 2,
        "recent_night": 1,
        "recent_new": 3,
        "version": 4,
    }
    assert rows["c-new"]["home_location"] is None and rows["c-new"]["amounts"] == []
    assert rows["c-new"]["last_transaction_timestamp"] is None
    assert {c: rows[c]["risk_profile"] for c in rows} == {"c-new": "low", "c-regular": "high", "c-medium": "medium"}
    assert {p.customer_id: p.risk_profile for p in _profiles()} == {c: rows[c]["risk_profile"] for c in rows}
    assert rows["c-new"]["average_monthly_spend"] is None and rows["c-new"]["spend_currency"] is None
    assert [rows["c-new"][c] for c in SIGNAL_COLUMNS] == [[], [], 0, 0, 0, 0]  # kept, and nothing yet


def test_an_item_written_before_the_profile_kept_the_signals_statistics_has_them_null(spark, tmp_path):
    from jobs.customer_profiles import write_snapshot

    current = json.loads(_export_line(_profiles()[1]))
    legacy = json.loads(_export_line(_profiles()[1]))
    kept = ("category_amounts", "day_totals", "high_bits", "night_bits", "new_bits", "night_count", "recent_amounts",
            "recent_currencies")  # fmt: skip
    for name in kept:
        del legacy["Item"][name]
    legacy["Item"]["customer_id"] = {"S": "c-legacy"}
    data = _write_export(tmp_path / "export", [json.dumps(current), json.dumps(legacy)])

    summary = write_snapshot(spark, str(tmp_path / "lake"), str(data), DAY)

    rows = _rows(spark, summary.output)
    assert (summary.profiles, summary.malformed) == (2, 0)
    assert [rows["c-legacy"][c] for c in SIGNAL_COLUMNS] == [None] * len(SIGNAL_COLUMNS)  # unknown, not zero
    assert all(rows["c-regular"][c] for c in SIGNAL_COLUMNS)
    others = set(rows["c-regular"]) - {"customer_id", *SIGNAL_COLUMNS}
    assert {c: rows["c-legacy"][c] for c in others} == {c: rows["c-regular"][c] for c in others}


def test_the_snapshot_reads_the_stored_risk_profile_and_computes_it_only_for_items_written_before(spark, tmp_path):
    from jobs.customer_profiles import write_snapshot

    kyc = CustomerProfile(CustomerId("c-kyc"), OPENED, total_transactions=40, total_fraud_flags=2, version=41,
                          assigned_risk="high")  # fmt: skip
    legacy = json.loads(_export_line(_profiles()[2]))
    del legacy["Item"]["risk_profile"]  # an item written before the profile stored it
    data = _write_export(tmp_path / "export", [_export_line(kyc), json.dumps(legacy)])

    rows = _rows(spark, write_snapshot(spark, str(tmp_path / "lake"), str(data), DAY).output)

    assert (rows["c-kyc"]["risk_profile"], rows["c-kyc"]["assigned_risk"]) == ("high", "high")  # flags say medium
    assert rows["c-medium"]["risk_profile"] == "medium"


def test_snapshots_are_partitioned_by_a_string_date_and_a_rerun_replaces_its_day(spark, tmp_path):
    from jobs.customer_profiles import write_snapshot

    lake = str(tmp_path / "lake")
    first = _write_export(tmp_path / "first", [_export_line(p) for p in _profiles()])
    again = _write_export(tmp_path / "again", [_export_line(_profiles()[0])])
    write_snapshot(spark, lake, str(first), date(2025, 1, 6))
    write_snapshot(spark, lake, str(first), DAY)
    write_snapshot(spark, lake, str(again), DAY)  # a rerun of the day

    snapshots = spark.read.parquet(f"{lake}/processed/customer-profiles")
    assert dict(snapshots.dtypes)["date"] == "string"
    counts = {row["date"]: row["count"] for row in snapshots.groupBy("date").count().collect()}
    assert counts == {"2025-01-06": 3, "2025-01-07": 1}
    types = dict(snapshots.dtypes)
    assert types["amounts"].startswith("array<struct<currency:string,count:bigint,total:decimal(38,4)")
    assert types["day_totals"] == "array<struct<day:date,currency:string,count:bigint,total:decimal(38,4)>>"


def test_the_snapshot_of_a_day_is_the_table_at_the_end_of_that_day_in_utc():
    from jobs.customer_export import export_time

    assert export_time(DAY) == datetime(2025, 1, 8, tzinfo=UTC)


def test_the_glue_entry_point_converts_an_export_it_is_given(spark, tmp_path, capsys):
    from jobs.customer_profiles import main

    data = _write_export(tmp_path / "export", [_export_line(p) for p in _profiles()])
    lake = tmp_path / "lake"

    code = main(["--JOB_NAME", "profiles", "--lake", str(lake), "--date", DAY.isoformat(), "--export", str(data)])

    assert code == 0
    assert "'profiles': 3" in capsys.readouterr().out
    assert spark.read.parquet(str(lake / "processed/customer-profiles/date=2025-01-07")).count() == 3


def test_the_job_requests_a_kms_encrypted_export_of_the_day_and_waits_for_it(aws_session, monkeypatch):
    from contracts.aws import CUSTOMER_EXPORTS_PREFIX, CUSTOMERS_TABLE
    from jobs.customer_export import export_table, wait_for_export
    from securebank.emulator.resources import create_table

    # A TableArn parameter makes botocore address an account endpoint, which moto does not route.
    monkeypatch.setenv("AWS_ACCOUNT_ID_ENDPOINT_MODE", "disabled")
    dynamodb, s3 = aws_session.client("dynamodb"), aws_session.client("s3")
    s3.create_bucket(Bucket="lake")
    create_table(dynamodb, CUSTOMERS_TABLE, CUSTOMERS_TABLE.name)
    dynamodb.update_continuous_backups(  # as the stacks' tables have it: exports need it
        TableName=CUSTOMERS_TABLE.name, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
    )
    table_arn = dynamodb.describe_table(TableName=CUSTOMERS_TABLE.name)["Table"]["TableArn"]
    for profile in _profiles():
        dynamodb.put_item(TableName=CUSTOMERS_TABLE.name, Item=to_attribute_values(profile_to_item(profile)))
    sent: list[dict[str, Any]] = []
    dynamodb.meta.events.register(
        "provide-client-params.dynamodb.ExportTableToPointInTime", lambda params, **_: sent.append(params)
    )
    naps: list[float] = []

    def nap(seconds: float) -> None:  # moto completes the export on a thread of its own: give it real time
        naps.append(seconds)
        time.sleep(0.05)

    arn = export_table(dynamodb, table_arn, "lake", "arn:aws:kms:us-east-1:123456789012:key/k", DAY)
    wait_for_export(dynamodb, arn, sleep=nap)

    [params] = sent
    assert params["ExportTime"] == datetime(2025, 1, 8, tzinfo=UTC)
    assert (params["S3SseAlgorithm"], params["ExportFormat"]) == ("KMS", "DYNAMODB_JSON")
    assert params["S3Prefix"] == f"{CUSTOMER_EXPORTS_PREFIX}date=2025-01-07"
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket="lake")["Contents"]]
    assert any(k.startswith(f"{CUSTOMER_EXPORTS_PREFIX}date=2025-01-07/AWSDynamoDB/") and "/data/" in k for k in keys)


def test_a_failed_export_fails_the_job():
    from jobs.customer_export import wait_for_export

    class Failing:
        def describe_export(self, ExportArn: str) -> dict[str, Any]:  # noqa: N803 - boto3's parameter name
            return {"ExportDescription": {"ExportStatus": "FAILED", "FailureMessage": "PITR is off"}}

    with pytest.raises(RuntimeError, match="PITR is off"):
        wait_for_export(Failing(), "arn", sleep=lambda _: None)
