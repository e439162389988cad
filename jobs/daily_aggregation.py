"""Glue job: one day of raw transactions -> per (customer, merchant category, currency) aggregates in Parquet.

Input: `raw/transactions/year=/month=/day=/hour=/*.jsonl.gz`, one POST body per line (a decision may ride along).
The raw lake holds what the processor committed, at least once, so rows are deduplicated first by the identity
of a transaction, (customer_id, transaction_id): two customers' transactions with the same transaction_id both
count. A line that is not a valid transaction is counted and skipped, never fatal. Amounts stay decimal(18,2)
throughout; no double is involved, and amounts of different currencies are never added: every row is one
currency's (no conversion). A currency must be one in use with at most its minor units (`domain.currency`, as the
processor checks); an amount with a third decimal (BHD, KWD, ...) is counted invalid rather than rounded, as
decimal(18,2) cannot hold it.

Output: `processed/daily-aggregates/year=YYYY/month=MM/day=DD/` (overwritten, so a rerun is idempotent) with
customer_id, merchant_category, currency, txn_count, total_amount, avg_amount, min_amount, max_amount, plus the
seed's signals from the customer's trailing 30 days of earlier aggregates:
- spend_change_ratio: the customer's spend today in the row's currency / (the customer's spend in that currency
  over the 30 previous days / 30); null when the customer spent nothing in that currency in that window. Rows
  written before aggregates had a currency (currency null: their sums may mix currencies) are left out of it;
  rerunning those days rewrites them with currencies.
- unusual_category: the customer has no aggregate row in this category, in any currency, in the 30 previous days.

Glue: `daily_aggregation.py --date 2024-01-05 --lake s3://bucket`; locally: `python -m securebank aggregate`.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from datetime import date, timedelta

import attrs
from pyspark.errors import AnalysisException
from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as fn
from pyspark.sql import types as st

from domain.currency import MINOR_UNITS
from domain.model import MAX_AMOUNT
from jobs.lake import (
    ID_PATTERN,
    ZONED,
    daily_aggregates_path,
    deduplicate,
    existing_paths,
    parse_day,
    parse_job_args,
    raw_day_glob,
    spark_session,
)

MONEY_DECIMALS = 2
MONEY = st.DecimalType(18, MONEY_DECIMALS)
RATIO = st.DecimalType(18, 4)
TRAILING_DAYS = 30
_CATEGORY_PATTERN = r"^[a-z0-9_]{1,64}$"
GROUP = ("customer_id", "merchant_category", "currency")

# Amounts are read as wide decimals (exact for JSON strings and numbers alike) so that a third decimal is seen
# and rejected instead of silently rounded.
RAW_SCHEMA = st.StructType(
    [
        st.StructField("transaction_id", st.StringType()),
        st.StructField("customer_id", st.StringType()),
        st.StructField("amount", st.DecimalType(38, 6)),
        st.StructField("currency", st.StringType()),
        st.StructField("merchant_category", st.StringType()),
        st.StructField("timestamp", st.StringType()),
    ]
)
OUTPUT_SCHEMA = st.StructType(
    [
        st.StructField("customer_id", st.StringType(), False),
        st.StructField("merchant_category", st.StringType(), False),
        st.StructField("currency", st.StringType(), False),  # the currency of every amount in the row
        st.StructField("txn_count", st.LongType(), False),
        st.StructField("total_amount", MONEY),
        st.StructField("avg_amount", MONEY),
        st.StructField("min_amount", MONEY),
        st.StructField("max_amount", MONEY),
        st.StructField("spend_change_ratio", RATIO),
        st.StructField("unusual_category", st.BooleanType(), False),
    ]
)


@attrs.frozen
class AggregationSummary:
    day: str
    output: str
    lines: int
    malformed: int
    duplicates: int
    transactions: int
    groups: int


def _missing(exc: AnalysisException) -> bool:
    text = str(exc)
    return any(mark in text for mark in ("PATH_NOT_FOUND", "Path does not exist", "UNABLE_TO_INFER_SCHEMA"))


def read_raw_lines(spark: SparkSession, lake: str, day: date) -> DataFrame:
    """The day's raw JSON lines (Spark decompresses .gz by extension); none when the day has no objects."""
    try:
        return spark.read.text(raw_day_glob(lake, day)).where(fn.trim("value") != "")
    except AnalysisException as exc:
        if not _missing(exc):  # nothing was archived that day
            raise
        return spark.createDataFrame([], st.StructType([st.StructField("value", st.StringType())]))


def parse_lines(lines: DataFrame, day: date) -> DataFrame:
    """Every line with its parsed fields and a `valid` flag; invalid lines are kept so they can be counted."""
    parsed = lines.select("value", fn.from_json("value", RAW_SCHEMA).alias("t")).select("value", "t.*")
    event_time = fn.to_timestamp("timestamp")
    amount = fn.col("amount")
    valid = (
        fn.col("transaction_id").rlike(ID_PATTERN)
        & fn.col("customer_id").rlike(ID_PATTERN)
        & fn.col("merchant_category").rlike(_CATEGORY_PATTERN)
        & _in_minor_units(amount, fn.col("currency"))
        & fn.col("timestamp").rlike(ZONED)
        & event_time.isNotNull()
        & (fn.to_date(event_time) == fn.lit(day.isoformat()).cast("date"))
        & amount.isNotNull()
        & (amount > 0)
        & (amount <= fn.lit(MAX_AMOUNT))
    )
    return parsed.withColumn("valid", fn.coalesce(valid, fn.lit(False))).withColumn("amount", amount.cast(MONEY))


def _in_minor_units(amount: Column, currency: Column) -> Column:
    """The currency is one in use and the amount has at most its decimals (domain.currency), and at most 2, what
    MONEY holds."""
    check = currency.isin(sorted(MINOR_UNITS)) & (amount == fn.round(amount, MONEY_DECIMALS))
    for units in sorted({u for u in MINOR_UNITS.values() if u < MONEY_DECIMALS}):
        codes = sorted(code for code, u in MINOR_UNITS.items() if u == units)
        check &= ~currency.isin(codes) | (amount == fn.round(amount, units))
    return check


def daily_groups(transactions: DataFrame) -> DataFrame:
    return transactions.groupBy(*GROUP).agg(
        fn.count(fn.lit(1)).alias("txn_count"),
        fn.sum("amount").cast(MONEY).alias("total_amount"),
        fn.avg("amount").cast(MONEY).alias("avg_amount"),
        fn.min("amount").alias("min_amount"),
        fn.max("amount").alias("max_amount"),
    )


def read_trailing(spark: SparkSession, lake: str, day: date) -> DataFrame | None:
    """Earlier aggregates of the TRAILING_DAYS days before `day`, or None if there are none.

    Only the window's day folders that exist are read (listed with Hadoop's FileSystem), with the output schema
    given, so neither the whole aggregate history nor its Parquet footers are touched."""
    days = [day - timedelta(days=n) for n in range(TRAILING_DAYS, 0, -1)]
    paths = existing_paths(spark, [daily_aggregates_path(lake, d) for d in days])
    if not paths:
        return None
    history = spark.read.schema(OUTPUT_SCHEMA).parquet(*paths)  # a file without `currency` reads it as null
    return history.select(*GROUP, "total_amount")


def with_signals(groups: DataFrame, trailing: DataFrame | None) -> DataFrame:
    spend = ["customer_id", "currency"]  # a customer's spend is compared within one currency
    today = groups.groupBy(*spend).agg(fn.sum("total_amount").alias("_today"))
    if trailing is None:
        schema = "customer_id string, merchant_category string, currency string, total_amount decimal(18,2)"
        trailing = groups.sparkSession.createDataFrame([], schema)
    average = (
        trailing.where(fn.col("currency").isNotNull())  # older rows without currency may mix currencies
        .groupBy(*spend)
        .agg((fn.sum("total_amount") / fn.lit(TRAILING_DAYS)).alias("_avg"))
    )
    used = trailing.select("customer_id", "merchant_category").distinct().withColumn("_used", fn.lit(True))
    ratio = fn.when(fn.col("_avg") > 0, fn.col("_today") / fn.col("_avg")).cast(RATIO)
    return (
        groups.join(today, spend)
        .join(average, spend, "left")
        .join(used, ["customer_id", "merchant_category"], "left")
        .select(
            *groups.columns,
            ratio.alias("spend_change_ratio"),
            fn.col("_used").isNull().alias("unusual_category"),
        )
    )


def aggregate_day(spark: SparkSession, lake: str, day: date) -> AggregationSummary:
    lines = parse_lines(read_raw_lines(spark, lake, day), day).cache()
    try:
        valid = lines.where("valid")
        unique = deduplicate(valid).cache()
        total, good, distinct = lines.count(), valid.count(), unique.count()
        result = with_signals(daily_groups(unique), read_trailing(spark, lake, day))
        output = daily_aggregates_path(lake, day)
        frame = result.select([fn.col(f.name).cast(f.dataType) for f in OUTPUT_SCHEMA.fields])
        frame.write.mode("overwrite").parquet(output)
        groups = spark.read.parquet(output).count()
        unique.unpersist()
    finally:
        lines.unpersist()
    return AggregationSummary(day.isoformat(), output, total, total - good, good - distinct, distinct, groups)


def main(argv: Sequence[str]) -> int:
    args = parse_job_args(argv, "lake", date="", master="")  # the daily schedule passes no date: yesterday
    spark = spark_session("securebank-daily-aggregation", master=args.master or None)
    summary = aggregate_day(spark, args.lake, parse_day(args.date))
    print(attrs.asdict(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
