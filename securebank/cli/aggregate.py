"""`python -m securebank aggregate --lake DIR_OR_S3_URI --date YYYY-MM-DD`: the daily Glue job, run locally."""

from __future__ import annotations

import argparse
import json

import attrs


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--lake", required=True, help="lake root: a directory or s3://bucket (s3 needs hadoop-aws)")
    parser.add_argument("--date", required=True, help="the UTC day to aggregate, YYYY-MM-DD")
    parser.add_argument("--master", default="local[*]", help="Spark master (default local[*])")


def run(args: argparse.Namespace) -> int:
    from jobs.daily_aggregation import aggregate_day
    from jobs.lake import parse_day, spark_session

    spark = spark_session("securebank-daily-aggregation", master=args.master)
    spark.sparkContext.setLogLevel("ERROR")
    try:
        summary = aggregate_day(spark, args.lake, parse_day(args.date))
    finally:
        spark.stop()
    print(json.dumps(attrs.asdict(summary), indent=2))
    return 0
