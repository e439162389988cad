"""Glue job (daily): publish the merchant-risk snapshot, confirmed fraud per merchant and UTC day.

A compromised terminal (skimmed, or a merchant's own till) turns ordinary payments of ordinary customers into
fraud: nothing in a customer's history changes, so only the merchant's record of confirmed fraud reveals it. Fraud
labels (chargebacks, disputes, investigations) arrive days or weeks after the payment, so the record is rebuilt
every day from the whole window rather than updated: a label that arrived yesterday for a payment a month ago
counts in today's snapshot.

Per merchant that has at least one confirmed fraud in the `--days` UTC days before `--date`, and per day of that
window, the snapshot holds [transactions, confirmed frauds] (the days without fraud too: the rule needs the share).
It is written by `adapters.serialization.merchant_risk_to_json` at `contracts.aws.merchant_risk_key(date)`; the
processor reads the newest snapshot and caches it (`adapters.s3_merchant_risk`). A rerun of a date overwrites its
own snapshot. Every label present is known now, so the snapshot marks every fraud KNOWN (`labelled_at` only
matters to a replay of history, `domain.merchant_risk.MerchantLedger`).

The raw lake is at-least-once, so lines are deduplicated by the transaction's identity, (customer_id,
transaction_id): two customers' transactions with the same transaction_id are two transactions. A line without a
valid transaction_id, customer_id, merchant_id or zoned timestamp is counted as malformed and skipped, never
fatal. Labels apply to transactions as `jobs.labels` says (a label naming its customer_id applies to that
customer's transaction only; one without applies to every customer's transaction with that id, and the summary
counts such shared ids as `shared_id_labels`). A transaction's day is the UTC day of its instant (the raw
partitions are laid out the same way). Days without objects, an empty window or a missing labels path give a
smaller (or empty) snapshot, not an error.

    merchant_risk.py --lake s3://bucket --labels s3://bucket/labels/ [--date 2025-04-01] [--days 35]

Glue's schedule passes no date: the snapshot of today (UTC), covering the days before it. Locally:
`python -m securebank merchant-risk`.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Sequence
from datetime import date, timedelta

import attrs
from pyspark.sql import DataFrame, Row, SparkSession, Window
from pyspark.sql import functions as fn

from adapters.merchant_risk_codec import merchant_risk_to_json
from contracts.aws import MERCHANT_RISK_DAYS, merchant_risk_key
from domain.merchant_risk import KNOWN, Day, MerchantDay, MerchantRisk
from jobs.labels import label_transactions, read_labels, shared_id_labels
from jobs.lake import (
    ID_PATTERN,
    ZONED,
    LakeFiles,
    deduplicate,
    existing_paths,
    parse_day,
    parse_job_args,
    raw_day_path,
    raw_root,
    spark_session,
)

RAW_FIELDS = "transaction_id string, customer_id string, merchant_id string, timestamp string"


@attrs.frozen
class MerchantRiskSummary:
    date: str
    days: int
    lines: int
    malformed: int
    transactions: int
    confirmed_frauds: int
    merchants: int
    key: str
    shared_id_labels: int  # labels without customer_id whose transaction_id several customers use (jobs.labels)


def read_lines(spark: SparkSession, lake: str, first: date, end: date) -> DataFrame:
    """The non-blank raw lines of the days [first, end); only the day folders that exist are read."""
    days = [first + timedelta(days=n) for n in range((end - first).days)]
    folders = existing_paths(spark, [raw_day_path(lake, day) for day in days])
    if not folders:
        return spark.createDataFrame([], "value string")
    raw = spark.read.option("basePath", raw_root(lake)).text(folders)
    return raw.select("value").where(fn.trim("value") != "")


def parse_lines(lines: DataFrame, first: date, end: date) -> DataFrame:
    """value, transaction_id, customer_id, merchant_id, day (the UTC date of the instant) and `valid`: the fields
    are there and well formed, and the day is in [first, end) (a line filed under another day is not trusted)."""
    parsed = lines.select("value", fn.from_json("value", RAW_FIELDS).alias("t")).select("value", "t.*")
    day = fn.to_date(fn.to_timestamp("timestamp"))  # the session time zone is UTC
    valid = (
        fn.col("transaction_id").rlike(ID_PATTERN)
        & fn.col("customer_id").rlike(ID_PATTERN)
        & fn.col("merchant_id").rlike(ID_PATTERN)
        & fn.col("timestamp").rlike(ZONED)
        & (day >= fn.lit(first.isoformat()).cast("date"))
        & (day < fn.lit(end.isoformat()).cast("date"))
    )
    return parsed.select(
        "value",
        "transaction_id",
        "customer_id",
        "merchant_id",
        day.alias("day"),
        fn.coalesce(valid, fn.lit(False)).alias("valid"),
    )


def merchant_days(transactions: DataFrame) -> DataFrame:
    """Distinct transactions (merchant_id, day, is_fraud: true for a confirmed fraud) -> merchant_id, day,
    transactions, frauds, merchant_frauds (the merchant's frauds over the whole window)."""
    per_day = transactions.groupBy("merchant_id", "day").agg(
        fn.count(fn.lit(1)).alias("transactions"), fn.count(fn.when(fn.col("is_fraud"), 1)).alias("frauds")
    )
    return per_day.withColumn("merchant_frauds", fn.sum("frauds").over(Window.partitionBy("merchant_id")))


def to_risk(rows: Iterable[Row]) -> MerchantRisk:
    """The collected (merchant_id, day, transactions, frauds) rows as a snapshot: every fraud KNOWN."""
    merchants: dict[str, dict[Day, MerchantDay]] = {}
    for row in rows:
        entry = MerchantDay(row["transactions"], (KNOWN,) * row["frauds"])
        merchants.setdefault(row["merchant_id"], {})[row["day"].toordinal()] = entry
    return MerchantRisk(merchants)


def publish(spark: SparkSession, lake: str, labels: str, day: date, days: int) -> MerchantRiskSummary:
    """Compute the snapshot of `day` over the `days` days before it and write it (replacing a rerun's)."""
    if days < 0:
        raise ValueError(f"--days must be 0 or more, got {days}")
    first = day - timedelta(days=days)
    lines = parse_lines(read_lines(spark, lake, first, day), first, day).cache()
    try:
        counts = lines.agg(fn.count(fn.lit(1)).alias("n"), fn.count(fn.when(~fn.col("valid"), 1)).alias("bad"))
        total, malformed = counts.first() or (0, 0)
        unique = deduplicate(lines.where("valid")).select("customer_id", "transaction_id", "merchant_id", "day")
        label_rows = read_labels(spark, labels)
        labelled = label_transactions(unique, label_rows)
        # What is known on `day`: a label that arrived on it or later (a rerun or backfill of a past date) is not.
        arrived = fn.to_date(fn.to_timestamp("labelled_at"))
        known = fn.col("labelled_at").isNull() | (arrived < fn.lit(day.isoformat()).cast("date"))
        groups = merchant_days(labelled.withColumn("is_fraud", fn.col("is_fraud") & known)).cache()
        sums = groups.agg(fn.sum("transactions").alias("t"), fn.sum("frauds").alias("f")).first()
        transactions, frauds = (sums["t"] or 0, sums["f"] or 0) if sums else (0, 0)
        risky = groups.where("merchant_frauds > 0").select("merchant_id", "day", "transactions", "frauds")
        risk = to_risk(risky.collect())  # small: the days of the merchants with confirmed fraud
        shared = shared_id_labels(unique, label_rows)
        groups.unpersist()
    finally:
        lines.unpersist()
    key = merchant_risk_key(day)
    LakeFiles(spark, lake).create(key, merchant_risk_to_json(risk, as_of=day), overwrite=True)
    merchants = len(risk.merchants)
    return MerchantRiskSummary(day.isoformat(), days, total, malformed, transactions, frauds, merchants, key, shared)


def main(argv: Sequence[str]) -> int:
    args = parse_job_args(argv, "lake", "labels", date="", days=str(MERCHANT_RISK_DAYS), master="")
    spark = spark_session("securebank-merchant-risk", master=args.master or None)
    day = parse_day(args.date, days_before_today=0)  # the daily schedule passes no date: the days before today
    print(attrs.asdict(publish(spark, args.lake, args.labels, day, int(args.days))))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
