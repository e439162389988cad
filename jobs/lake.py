"""Spark plumbing shared by the Glue jobs: the session, Glue-style job arguments, lake paths and small files.

The jobs run unchanged on Glue 5 (Spark 3.5) and locally on `local[*]`. Glue starts a script as
`script.py --JOB_NAME x --date 2024-01-05 --lake s3://bucket ...` plus arguments of its own, so the jobs parse
their own arguments with argparse and ignore the rest; `awsglue` is not needed.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

from pyspark.sql import DataFrame, SparkSession, Window
from pyspark.sql import functions as fn

from contracts.aws import (
    DAILY_AGGREGATES_PREFIX,
    RAW_OBJECT_SUFFIX,
    RAW_TRANSACTIONS_PREFIX,
    daily_aggregates_prefix,
    raw_day_prefix,
)
from domain import model

SPARK_CONF: dict[str, str] = {
    # Keep month=01 a zero-padded string, never the integer 1.
    "spark.sql.sources.partitionColumnTypeInference.enabled": "false",
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.ansi.enabled": "false",
}
# Checks of raw lines as Spark patterns (a line is not parsed by the domain in the jobs' hot path):
ID_PATTERN = f"^{model.ID_PATTERN}$"
ZONED = r"(Z|[+-][0-9]{2}:[0-9]{2})$"  # an ISO 8601 timestamp must carry its zone, as the API requires
# What identifies a transaction, everywhere (the Transactions table's key): two customers may use the same
# transaction_id (card-level ids repeat across customers), and those are two transactions.
IDENTITY = ("customer_id", "transaction_id")


def spark_session(app_name: str, master: str | None = None, conf: Mapping[str, str] | None = None) -> SparkSession:
    """The active session (Glue's) or a new one; the job's SQL settings are applied either way."""
    builder = SparkSession.builder.appName(app_name)
    for key, value in (conf or {}).items():
        builder = builder.config(key, value)
    if master is not None:
        # Local runs: Python workers use this interpreter (the venv), not whatever `python3` is on the PATH.
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        builder = builder.master(master).config("spark.ui.enabled", "false")
        if master.startswith("local"):  # keep the driver and block manager on the loopback interface
            os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
            builder = builder.config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1")
        builder = builder.config("spark.ui.showConsoleProgress", "false")
    spark = builder.getOrCreate()
    for key, value in SPARK_CONF.items():
        spark.conf.set(key, value)
    return spark


def deduplicate(lines: DataFrame) -> DataFrame:
    """One row per transaction IDENTITY. The raw lake is at-least-once (a redelivery may archive a committed
    transaction again, in another object) and holds only what was committed, so the copies of one identity are
    identical; the pick (the first `value` in text order) is deterministic all the same."""
    first = Window.partitionBy(*IDENTITY).orderBy("value")
    return lines.withColumn("_n", fn.row_number().over(first)).where("_n = 1").drop("_n")


def parse_job_args(argv: Sequence[str], *names: str, **optional: str) -> argparse.Namespace:
    """Parse Glue's `--key value` job arguments: `names` are required, `optional` have defaults; unknown ones
    (`--JOB_NAME`, `--TempDir`, ...) are ignored."""
    parser = argparse.ArgumentParser(add_help=False, allow_abbrev=False)
    for name in names:
        parser.add_argument(f"--{name}", required=True)
    for name, default in optional.items():
        parser.add_argument(f"--{name}", default=default)
    known, _ = parser.parse_known_args(list(argv))
    return known


def parse_day(text: str, *, days_before_today: int = 1) -> date:
    """The `--date` argument, or, when a scheduled trigger passes none, `days_before_today` before today (UTC)."""
    if text:
        return date.fromisoformat(text)
    return datetime.now(UTC).date() - timedelta(days=days_before_today)


def lake_root(lake: str) -> str:
    """`/tmp/lake`, `file:///tmp/lake` or `s3://bucket[/prefix]`, without a trailing slash."""
    return lake.rstrip("/")


def raw_day_glob(lake: str, day: date) -> str:
    """Every hour of one day of the raw lake."""
    return f"{raw_day_path(lake, day)}hour=*/*{RAW_OBJECT_SUFFIX}"


def raw_day_path(lake: str, day: date) -> str:
    """The folder of one day of the raw lake (its hour=HH/ folders below), as contracts.aws lays it out."""
    return f"{lake_root(lake)}/{raw_day_prefix(day)}"


def raw_root(lake: str) -> str:
    return f"{lake_root(lake)}/{RAW_TRANSACTIONS_PREFIX}"


def daily_aggregates_root(lake: str) -> str:
    return f"{lake_root(lake)}/{DAILY_AGGREGATES_PREFIX}"


def daily_aggregates_path(lake: str, day: date) -> str:
    return f"{lake_root(lake)}/{daily_aggregates_prefix(day.year, day.month, day.day)}"


def existing_paths(spark: SparkSession, paths: list[str]) -> list[str]:
    """The paths (files or folders) that exist, local or on S3, asked of Hadoop's FileSystem."""
    jvm = spark.sparkContext._jvm
    assert jvm is not None  # set once a SparkContext is running
    conf = spark.sparkContext._jsc.hadoopConfiguration()
    found = []
    for path in paths:
        hadoop_path = jvm.org.apache.hadoop.fs.Path(path)
        if hadoop_path.getFileSystem(conf).exists(hadoop_path):
            found.append(path)
    return found


class LakeFiles:
    """Whole small objects in the lake (policy versions, reports), through Hadoop's FileSystem: local and S3."""

    def __init__(self, spark: SparkSession, lake: str) -> None:
        jvm = spark.sparkContext._jvm
        assert jvm is not None  # set once a SparkContext is running
        self._jvm = jvm
        self._conf = spark.sparkContext._jsc.hadoopConfiguration()
        self._root = lake_root(lake)

    def _path(self, key: str) -> Any:
        path = self._jvm.org.apache.hadoop.fs.Path(f"{self._root}/{key}")
        fs = path.getFileSystem(self._conf)
        fs.setWriteChecksum(False)  # no .crc side files on local disks
        return path, fs

    def keys(self, prefix: str) -> list[str]:
        path, fs = self._path(prefix)
        if not fs.exists(path):
            return []
        return sorted(prefix + status.getPath().getName() for status in fs.listStatus(path) if status.isFile())

    def read(self, key: str) -> str:
        path, fs = self._path(key)
        stream = fs.open(path)
        try:
            reader = self._jvm.java.io.BufferedReader(self._jvm.java.io.InputStreamReader(stream, "UTF-8"))
            return "\n".join(iter(reader.readLine, None))
        finally:
            stream.close()

    def create(self, key: str, text: str, *, overwrite: bool = False) -> None:
        """Write a whole object; refuses to replace an existing one unless `overwrite` (a rerun replacing its own
        output). On S3 the object appears, whole, when the stream closes."""
        path, fs = self._path(key)
        stream = fs.create(path, overwrite)
        try:
            stream.write(bytearray(text.encode("utf-8")))
        finally:
            stream.close()
