"""The loop's third step: the daily merchant-risk and weekly fraud-patterns jobs, on the local lake.

The jobs are PySpark (jobs/merchant_risk.py `publish`, jobs/fraud_patterns.py `run`) and run here on a local
master, as tests/jobs run them. Spark reads a directory, so the local bucket (moto) is exported to one; whatever
the jobs write there (the merchant-risk snapshot, the weekly report, a candidate policy and its backtest report) is
copied back to the bucket, as the deployed jobs would have written it to S3.

- The merchant-risk job runs for tomorrow: a label counts from the day after it arrived, and the demo's labels
  arrived today, so tomorrow's daily run is the first to know them.
- The weekly job learns from the last week of labelled history and, when it learns a policy other than the one in
  force, publishes a candidate (never the release record). The candidate's version is read from what it wrote.

Spark needs Java: without it (or without pyspark) the step is skipped, with the reason.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from contracts.aws import LABELS_PREFIX, MERCHANT_RISK_DAYS, policy_key_version
from securebank.emulator.stack import LocalStack

WEEKS = 1
"""The weekly job's window: the demo's lake holds a day of transactions."""
HOLDOUT = 0.25
SMALL_SPARK = {
    "spark.sql.shuffle.partitions": "2",
    "spark.default.parallelism": "2",
    "spark.sql.adaptive.coalescePartitions.initialPartitionNum": "2",
    "spark.driver.memory": "1g",
}
SIDE_FILES = ("_SUCCESS", ".crc")


def spark_unavailable() -> str | None:
    """Why Spark cannot run here, or None."""
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return "pyspark is not installed"
    if not os.environ.get("JAVA_HOME") and shutil.which("java") is None:
        return "no Java runtime (java on PATH or JAVA_HOME) for Spark"
    return None


def export_lake(stack: LocalStack, root: Path) -> set[str]:
    """Every object of the local bucket, written below `root` by key; the keys."""
    assert stack.resources is not None
    s3 = stack.client("s3")
    keys: set[str] = set()
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=stack.resources.bucket):
        for obj in page.get("Contents", []):
            target = root / obj["Key"]
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(s3.get_object(Bucket=stack.resources.bucket, Key=obj["Key"])["Body"].read())
            keys.add(obj["Key"])
    return keys


def copy_back(stack: LocalStack, root: Path, exported: set[str]) -> list[str]:
    """Put every file below `root` that was not exported (what the jobs wrote) into the bucket; the keys."""
    assert stack.resources is not None
    s3 = stack.client("s3")
    written = []
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        key = path.relative_to(root).as_posix()
        if key in exported or path.name.startswith(".") or path.name.endswith(SIDE_FILES):
            continue
        s3.put_object(Bucket=stack.resources.bucket, Key=key, Body=path.read_bytes())
        written.append(key)
    return written


@dataclass(frozen=True)
class JobsResult:
    merchant_risk: dict[str, Any]
    weekly: dict[str, Any]
    written: list[str]
    seconds: float

    @property
    def candidate_version(self) -> int | None:
        """The version of the candidate the weekly job published (read from the keys it wrote), or None."""
        versions = [v for key in self.written if (v := policy_key_version(key)) is not None]
        return max(versions) if versions else None


def _session() -> tuple[Any, bool]:
    from pyspark.sql import SparkSession

    from jobs.lake import spark_session

    existing = SparkSession.getActiveSession()
    spark = spark_session("securebank-demo-loop", master="local[2]", conf=SMALL_SPARK)
    spark.sparkContext.setLogLevel("ERROR")
    return spark, existing is None


def run_jobs(stack: LocalStack, root: Path) -> JobsResult:
    """Export the lake to `root` (emptied first), run both jobs on it and copy their outputs back."""
    import attrs

    from jobs import fraud_patterns, merchant_risk

    started = datetime.now(UTC)
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    exported = export_lake(stack, root)
    lake, labels = str(root), str(root / LABELS_PREFIX)
    today = started.date()
    spark, owned = _session()
    try:
        risk = merchant_risk.publish(spark, lake, labels, today + timedelta(days=1), MERCHANT_RISK_DAYS)
        weekly = fraud_patterns.run(spark, lake, labels, today, WEEKS, HOLDOUT)
    finally:
        if owned:
            spark.stop()
    written = copy_back(stack, root, exported)
    seconds = (datetime.now(UTC) - started).total_seconds()
    return JobsResult(attrs.asdict(risk), weekly, written, round(seconds, 1))
