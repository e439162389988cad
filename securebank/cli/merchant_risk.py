"""`python -m securebank merchant-risk --lake DIR --labels DIR [--date YYYY-MM-DD] [--days N]`: the daily Glue job
that publishes the merchant-risk snapshot, run locally."""

from __future__ import annotations

import argparse
import json

import attrs

from contracts.aws import MERCHANT_RISK_DAYS


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--lake", required=True, help="lake root: a directory or s3://bucket (s3 needs hadoop-aws)")
    parser.add_argument("--labels", required=True, help="fraud labels: a JSON Lines file or a directory of them")
    parser.add_argument("--date", default="", help="the snapshot's UTC day, YYYY-MM-DD (default today)")
    parser.add_argument("--days", type=int, default=MERCHANT_RISK_DAYS, help="days before --date covered")
    parser.add_argument("--master", default="local[*]", help="Spark master (default local[*])")


def run(args: argparse.Namespace) -> int:
    from jobs.lake import parse_day, spark_session
    from jobs.merchant_risk import publish

    spark = spark_session("securebank-merchant-risk", master=args.master)
    spark.sparkContext.setLogLevel("ERROR")
    try:
        summary = publish(spark, args.lake, args.labels, parse_day(args.date, days_before_today=0), args.days)
    finally:
        spark.stop()
    print(json.dumps(attrs.asdict(summary), indent=2))
    return 0
