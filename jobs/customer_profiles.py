"""Glue job: the Customers table as a daily Parquet snapshot, `processed/customer-profiles/date=YYYY-MM-DD/`.

The snapshot of date D holds every profile as it stood at the end of D (00:00 UTC the next day). The job asks
DynamoDB for a point-in-time export of the table at that instant (ExportTableToPointInTime: the tables have
PITR; an export reads no capacity and does not touch the live table) into `exports/customers/date=D/`, waits for
it, converts its DynamoDB JSON lines to the snapshot's columns with Spark, and deletes the export. An export can
only produce DynamoDB JSON or Ion, never Parquet, hence the conversion.

`snapshot_rows` is the pure transformation (DynamoDB JSON lines -> rows), `write_snapshot` the Spark side that the
tests run locally on an export file; `export_table` and `wait_for_export` are the boto3 side (imported lazily: the
jobs import no boto3 at module level). A line that is not a profile (no valid customer_id, account_created or
version) is counted and skipped. Amounts stay decimal (38,4 holds every currency's minor units) and are per
currency, as the profile keeps them: they are never added across currencies. `risk_profile`, `assigned_risk`,
`average_monthly_spend` and `spend_currency` are read as the item stores them (adapters/items.py); an item written
before profiles stored risk_profile gets it computed from its flags, as the domain did then.

Glue: `customer_profiles.py --lake s3://bucket --table-arn ARN --kms-key ARN [--date D]`; with `--export PATH` it
converts an export already made (e.g. a local file) instead of requesting one.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from typing import Any

import attrs
from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as fn
from pyspark.sql import types as st

from contracts.aws import CUSTOMER_EXPORTS_PREFIX, CUSTOMER_PROFILES_PREFIX
from domain.currency import MINOR_UNITS
from domain.profile import HIGH_RISK_FLAGS
from jobs.lake import ID_PATTERN, lake_root, parse_day, parse_job_args, spark_session

AMOUNT = st.DecimalType(38, max(MINOR_UNITS.values()))
EXPORT_POLL_SECONDS = 30
_STRING = st.StructType([st.StructField("S", st.StringType())])
# Numbers are N; a float DynamoDB cannot hold as a Number (adapters/items.py) is stored as the S of its repr.
_NUMBER = st.StructType([st.StructField("N", st.StringType()), st.StructField("S", st.StringType())])
_STRINGS = st.StructType([st.StructField("L", st.ArrayType(_STRING))])
_LOCATION = st.StructType(
    [st.StructField("M", st.StructType([st.StructField("latitude", _NUMBER), st.StructField("longitude", _NUMBER)]))]
)
_CURRENCY_AMOUNTS = st.StructType(
    [st.StructField("currency", _STRING)]
    + [st.StructField(n, _NUMBER) for n in ("count", "total", "minimum", "maximum")]
)
ITEM_SCHEMA = st.StructType(
    [
        st.StructField(
            "Item",
            st.StructType(
                [
                    st.StructField("customer_id", _STRING),
                    st.StructField("account_created", _STRING),
                    st.StructField("last_transaction_timestamp", _STRING),
                    st.StructField("total_transactions", _NUMBER),
                    st.StructField("total_fraud_flags", _NUMBER),
                    st.StructField("timezone", _STRING),
                    st.StructField("location", _LOCATION),
                    st.StructField("preferred_merchants", _STRINGS),
                    st.StructField("categories", _STRINGS),
                    st.StructField(
                        "amounts",
                        st.StructType(
                            [st.StructField("L", st.ArrayType(st.StructType([st.StructField("M", _CURRENCY_AMOUNTS)])))]
                        ),
                    ),
                    st.StructField("version", _NUMBER),
                    st.StructField("risk_profile", _STRING),
                    st.StructField("assigned_risk", _STRING),
                    st.StructField("average_monthly_spend", _NUMBER),
                    st.StructField("spend_currency", _STRING),
                ]
            ),
        )
    ]
)
AMOUNTS = st.ArrayType(
    st.StructType(
        [
            st.StructField("currency", st.StringType()),
            st.StructField("count", st.LongType()),
            st.StructField("total", AMOUNT),
            st.StructField("minimum", AMOUNT),
            st.StructField("maximum", AMOUNT),
        ]
    )
)
LOCATION = st.StructType([st.StructField("latitude", st.DoubleType()), st.StructField("longitude", st.DoubleType())])
OUTPUT_SCHEMA = st.StructType(
    [
        st.StructField("customer_id", st.StringType(), False),
        st.StructField("account_created", st.TimestampType(), False),
        st.StructField("last_transaction_timestamp", st.TimestampType()),
        st.StructField("total_transactions", st.LongType()),
        st.StructField("total_fraud_flags", st.LongType()),
        st.StructField("risk_profile", st.StringType()),  # low / medium / high, as the item stores it
        st.StructField("assigned_risk", st.StringType()),  # set by an operator or a KYC import, else null
        st.StructField("average_monthly_spend", AMOUNT),  # in spend_currency, the main one; null before any payment
        st.StructField("spend_currency", st.StringType()),
        st.StructField("timezone", st.StringType()),
        st.StructField("home_location", LOCATION),
        st.StructField("preferred_merchants", st.ArrayType(st.StringType())),
        st.StructField("categories", st.ArrayType(st.StringType())),
        st.StructField("amounts", AMOUNTS),  # per currency: count, total, minimum, maximum
        st.StructField("version", st.LongType(), False),
    ]
)


@attrs.frozen
class SnapshotSummary:
    day: str
    output: str
    lines: int
    malformed: int
    profiles: int


def _number(column: Column) -> Column:
    return fn.coalesce(column["N"], column["S"])


def _risk_profile(flags: Column, total: Column) -> Column:
    """domain.profile.CustomerProfile.computed_risk, in Spark: for an item written before the profile stored its
    risk_profile (none of those had an assigned risk)."""
    high = (flags >= HIGH_RISK_FLAGS) | (flags * 10 > total)
    return fn.when(flags == 0, "low").when(high, "high").otherwise("medium")


def snapshot_rows(lines: DataFrame) -> DataFrame:
    """Export lines (`value`: `{"Item": {...}}` in DynamoDB JSON) -> OUTPUT_SCHEMA rows plus a `valid` flag."""
    item = fn.from_json("value", ITEM_SCHEMA)["Item"]
    flags, total = _number(item["total_fraud_flags"]).cast("long"), _number(item["total_transactions"]).cast("long")
    home = item["location"]["M"]
    amounts = fn.transform(
        item["amounts"]["L"],
        lambda a: fn.struct(
            a["M"]["currency"]["S"].alias("currency"),
            _number(a["M"]["count"]).cast("long").alias("count"),
            *(_number(a["M"][n]).cast(AMOUNT).alias(n) for n in ("total", "minimum", "maximum")),
        ),
    )
    rows = lines.select(
        item["customer_id"]["S"].alias("customer_id"),
        fn.to_timestamp(item["account_created"]["S"]).alias("account_created"),
        fn.to_timestamp(item["last_transaction_timestamp"]["S"]).alias("last_transaction_timestamp"),
        total.alias("total_transactions"),
        flags.alias("total_fraud_flags"),
        fn.coalesce(item["risk_profile"]["S"], _risk_profile(flags, total)).alias("risk_profile"),
        item["assigned_risk"]["S"].alias("assigned_risk"),
        _number(item["average_monthly_spend"]).cast(AMOUNT).alias("average_monthly_spend"),
        item["spend_currency"]["S"].alias("spend_currency"),
        item["timezone"]["S"].alias("timezone"),
        fn.when(
            home.isNotNull(),
            fn.struct(
                _number(home["latitude"]).cast("double").alias("latitude"),
                _number(home["longitude"]).cast("double").alias("longitude"),
            ),
        ).alias("home_location"),
        fn.transform(item["preferred_merchants"]["L"], lambda m: m["S"]).alias("preferred_merchants"),
        fn.transform(item["categories"]["L"], lambda c: c["S"]).alias("categories"),
        amounts.cast(AMOUNTS).alias("amounts"),
        _number(item["version"]).cast("long").alias("version"),
    )
    valid = (
        fn.col("customer_id").rlike(ID_PATTERN) & fn.col("account_created").isNotNull() & fn.col("version").isNotNull()
    )
    return rows.withColumn("valid", fn.coalesce(valid, fn.lit(False)))


def profiles_path(lake: str, day: date) -> str:
    return f"{lake_root(lake)}/{CUSTOMER_PROFILES_PREFIX}date={day.isoformat()}/"


def exports_path(lake: str, day: date) -> str:
    return f"{lake_root(lake)}/{CUSTOMER_EXPORTS_PREFIX}date={day.isoformat()}/"


def write_snapshot(spark: SparkSession, lake: str, export: str, day: date) -> SnapshotSummary:
    """Convert the export at `export` (a folder or glob of DynamoDB JSON lines, gzipped or not) into the snapshot of
    `day`, replacing a rerun's."""
    rows = snapshot_rows(spark.read.text(export).where(fn.trim("value") != "")).cache()
    try:
        total, good = rows.count(), rows.where("valid").count()
        output = profiles_path(lake, day)
        frame = rows.where("valid").select([fn.col(f.name).cast(f.dataType) for f in OUTPUT_SCHEMA.fields])
        frame.write.mode("overwrite").parquet(output)
    finally:
        rows.unpersist()
    return SnapshotSummary(day.isoformat(), output, total, total - good, good)


def export_time(day: date) -> datetime:
    """The end of `day` in UTC: the instant the snapshot of `day` shows."""
    return datetime.combine(day + timedelta(days=1), clock(), UTC)


def export_table(dynamodb: Any, table_arn: str, bucket: str, kms_key: str, day: date) -> str:
    """Request the point-in-time export of `day`'s snapshot into the lake (encrypted with the lake key); its ARN."""
    response = dynamodb.export_table_to_point_in_time(
        TableArn=table_arn,
        ExportTime=export_time(day),
        S3Bucket=bucket,
        S3Prefix=f"{CUSTOMER_EXPORTS_PREFIX}date={day.isoformat()}",
        S3SseAlgorithm="KMS",
        S3SseKmsKeyId=kms_key,
        ExportFormat="DYNAMODB_JSON",
    )
    return str(response["ExportDescription"]["ExportArn"])


def wait_for_export(
    dynamodb: Any, export_arn: str, sleep: Callable[[float], None] = time.sleep, polls: int = 240
) -> None:
    """Poll DescribeExport until the export completes (raise if it fails or is not done after `polls` polls)."""
    for _ in range(polls):
        description = dynamodb.describe_export(ExportArn=export_arn)["ExportDescription"]
        status = description["ExportStatus"]
        if status == "COMPLETED":
            return
        if status == "FAILED":
            raise RuntimeError(f"export {export_arn} failed: {description.get('FailureMessage')}")
        sleep(EXPORT_POLL_SECONDS)
    raise TimeoutError(f"export {export_arn} did not complete after {polls} polls")


def delete_folder(spark: SparkSession, folder: str) -> None:
    jvm = spark.sparkContext._jvm
    assert jvm is not None  # set once a SparkContext is running
    path = jvm.org.apache.hadoop.fs.Path(folder)
    path.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration()).delete(path, True)


def main(argv: Sequence[str]) -> int:
    args = parse_job_args(argv, "lake", date="", export="", **{"table-arn": "", "kms-key": "", "master": ""})
    spark = spark_session("securebank-customer-profiles", master=args.master or None)
    day = parse_day(args.date)  # the schedule passes no date: yesterday, as it stood at 00:00 UTC today
    export = args.export
    if not export:
        import boto3

        dynamodb = boto3.client("dynamodb")
        delete_folder(spark, exports_path(args.lake, day))  # a rerun's earlier export would be read twice
        bucket = lake_root(args.lake).removeprefix("s3://")
        wait_for_export(dynamodb, export_table(dynamodb, args.table_arn, bucket, args.kms_key, day))
        export = f"{exports_path(args.lake, day)}AWSDynamoDB/*/data/"
    summary = write_snapshot(spark, args.lake, export, day)
    if not args.export:
        delete_folder(spark, exports_path(args.lake, day))
    print(attrs.asdict(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
