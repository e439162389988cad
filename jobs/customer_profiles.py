"""Glue job: the Customers table as a daily Parquet snapshot, `processed/customer-profiles/date=YYYY-MM-DD/`.

The snapshot of date D holds every profile as it stood at the end of D (00:00 UTC the next day). The job asks
DynamoDB for a point-in-time export of the table at that instant (ExportTableToPointInTime: the tables have
PITR; an export reads no capacity and does not touch the live table) into `exports/customers/date=D/`, waits for
it, converts its DynamoDB JSON lines to the snapshot's columns with Spark, and deletes the export. An export can
only produce DynamoDB JSON or Ion, never Parquet, hence the conversion.

`snapshot_rows` is the pure transformation (DynamoDB JSON lines -> rows), `write_snapshot` the Spark side that the
tests run locally on an export file; the export itself is jobs/customer_export.py (boto3 imported lazily: the jobs
import no boto3 at module level). A line that is not a profile (no valid customer_id, account_created or
version) is counted and skipped. Amounts stay decimal (38,4 holds every currency's minor units) and are per
currency, as the profile keeps them: they are never added across currencies. `risk_profile`, `assigned_risk`,
`average_monthly_spend` and `spend_currency` are read as the item stores them (adapters/items.py); an item written
before profiles stored risk_profile gets it computed from its flags, as the domain did then.

Of what the learned signals read (domain/profile.py), the snapshot keeps what still means something a day later: per
(category, currency) payments and total, the day totals, the night count, and the run masks as counts (of the last 5
payments, how many were high, how many at night, how many at merchants new to the holder). An item written before the
profile kept them has them null (unknown, not zero). Not the recent window (ids, times, amounts), which is of no use a
day later.

Glue: `customer_profiles.py --lake s3://bucket --table-arn ARN --kms-key ARN [--date D]`; with `--export PATH` it
converts an export already made (e.g. a local file) instead of requesting one.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from datetime import date

import attrs
from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as fn
from pyspark.sql import types as st

from contracts.aws import CUSTOMER_EXPORTS_PREFIX, CUSTOMER_PROFILES_PREFIX
from domain.currency import MINOR_UNITS
from domain.profile import HIGH_RISK_FLAGS
from jobs.customer_export import export_table, wait_for_export
from jobs.lake import ID_PATTERN, lake_root, parse_day, parse_job_args, spark_session

AMOUNT = st.DecimalType(38, max(MINOR_UNITS.values()))
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
                    st.StructField("category_amounts", _STRINGS),
                    st.StructField("day_totals", _STRINGS),
                    *(st.StructField(n, _NUMBER) for n in ("high_bits", "night_bits", "new_bits", "night_count")),
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


def _totals_by(key: str, kind: st.DataType) -> st.ArrayType:
    """Per (`key`, currency): how many payments, and their total."""
    fields = [(key, kind), ("currency", st.StringType()), ("count", st.LongType()), ("total", AMOUNT)]
    return st.ArrayType(st.StructType([st.StructField(name, field_kind) for name, field_kind in fields]))


CATEGORY_AMOUNTS = _totals_by("category", st.StringType())
DAY_TOTALS = _totals_by("day", st.DateType())
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
        # What the learned signals read (null on an item written before the profile kept them):
        st.StructField("category_amounts", CATEGORY_AMOUNTS),  # per (category, currency): count, total
        st.StructField("day_totals", DAY_TOTALS),  # per UTC day and currency, of the last 8 days kept
        st.StructField("night_count", st.LongType()),  # payments at night in the profile's zone
        st.StructField("recent_high", st.LongType()),  # of the last 5 (RUN_LENGTH) payments, how many were high
        st.StructField("recent_night", st.LongType()),  # ... and how many at night
        st.StructField("recent_new", st.LongType()),  # ... and how many at merchants new to the holder
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
        *_signal_columns(item),
        _number(item["version"]).cast("long").alias("version"),
    )
    valid = (
        fn.col("customer_id").rlike(ID_PATTERN) & fn.col("account_created").isNotNull() & fn.col("version").isNotNull()
    )
    return rows.withColumn("valid", fn.coalesce(valid, fn.lit(False)))


def _signal_columns(item: Column) -> list[Column]:
    """The statistics the learned signals read, from their compact text (adapters/profile_codec.py:
    "USD 12 345.67 grocery" per category, "19723 USD 3 123.45" per day); the run masks as counts of their bits."""

    def category(text: Column) -> Column:
        parts = fn.split(text["S"], " ", 4)  # the category, last, may hold spaces
        return fn.struct(parts[3].alias("category"), parts[0].alias("currency"),
                         parts[1].cast("long").alias("count"), parts[2].cast(AMOUNT).alias("total"))  # fmt: skip

    def day(text: Column) -> Column:
        parts = fn.split(text["S"], " ")
        return fn.struct(fn.date_from_unix_date(parts[0].cast("int")).alias("day"), parts[1].alias("currency"),
                         parts[2].cast("long").alias("count"), parts[3].cast(AMOUNT).alias("total"))  # fmt: skip

    return [
        fn.transform(item["category_amounts"]["L"], category).cast(CATEGORY_AMOUNTS).alias("category_amounts"),
        fn.transform(item["day_totals"]["L"], day).cast(DAY_TOTALS).alias("day_totals"),
        _number(item["night_count"]).cast("long").alias("night_count"),
        *(fn.bit_count(_number(item[f"{run}_bits"]).cast("long")).cast("long").alias(f"recent_{run}")
          for run in ("high", "night", "new")),
    ]  # fmt: skip


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
