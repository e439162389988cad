"""`labels import` on an S3 lake (moto), and the imported object read by the Spark jobs' labels reader
(jobs/labels.py) from the layout it lands in."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from contracts import aws
from domain.model import CustomerId, TransactionId
from securebank.__main__ import main
from securebank.lab.backtest import read_labels
from securebank.ops.labels_import import DirectoryLake, S3Lake, import_labels
from tests.unit.test_labels_import import EXPECTED, GOOD_CSV, GOOD_JSONL, NOW

DAY = aws.labels_day_prefix(NOW.date())


def _keys(s3: Any, bucket: str) -> list[str]:
    return [item["Key"] for item in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]


@pytest.mark.parametrize("prefix", ["", "lake/"])
def test_an_s3_lake_gets_one_object_under_labels_by_day_and_a_reimport_adds_none(aws_session: Any, prefix: str) -> None:
    s3 = aws_session.client("s3")
    s3.create_bucket(Bucket="lake")
    lake = S3Lake(s3, f"s3://lake/{prefix}")
    first = import_labels(lake, GOOD_JSONL.encode(), csv_format=False, now=NOW)
    again = import_labels(lake, GOOD_JSONL.encode(), csv_format=False, now=datetime(2026, 12, 2, tzinfo=UTC))

    assert first.written and first.key.startswith(DAY)
    assert not again.written and again.already_imported and again.key == first.key
    assert _keys(s3, "lake") == [f"{prefix}{first.key}"]
    body = s3.get_object(Bucket="lake", Key=f"{prefix}{first.key}")["Body"].read().decode()
    labels, rejections = read_labels(enumerate(body.splitlines(), start=1))
    assert rejections == []
    assert {(c, t): labels.label((CustomerId(c), TransactionId(t))) for c, t in EXPECTED} == EXPECTED


def test_a_rejected_file_writes_nothing_to_s3_through_the_command(
    aws_session: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    s3 = aws_session.client("s3")
    s3.create_bucket(Bucket="lake")
    bad = tmp_path / "chargebacks.csv"
    bad.write_text(GOOD_CSV + "t-9,c-9,maybe,,,\n")

    assert main(["labels", "import", "--file", str(bad), "--lake", "s3://lake"]) == 1
    assert "line 5: is_fraud" in capsys.readouterr().err
    assert _keys(s3, "lake") == []
    bad.write_text(GOOD_CSV)
    assert main(["labels", "import", "--file", str(bad), "--lake", "s3://lake"]) == 0
    assert len(_keys(s3, "lake")) == 1


def test_the_spark_jobs_read_imported_labels_beside_other_days(tmp_path: Path) -> None:
    pytest.importorskip("pyspark")
    from pyspark.sql import SparkSession

    from jobs.labels import read_labels as spark_labels
    from jobs.lake import spark_session

    lake = DirectoryLake(tmp_path)
    assert import_labels(lake, GOOD_CSV.encode(), csv_format=True, now=NOW).written
    later = b'{"transaction_id": "t-4", "customer_id": "c-3", "is_fraud": true}\n'
    assert import_labels(lake, later, csv_format=False, now=datetime(2026, 12, 1, tzinfo=UTC)).written

    shared = SparkSession.getActiveSession()  # another module's session: used, not stopped
    spark = spark_session("securebank-labels-import", master="local[1]", conf={"spark.sql.shuffle.partitions": "1"})
    spark.sparkContext.setLogLevel("ERROR")
    try:
        rows = spark_labels(spark, f"{tmp_path}/{aws.LABELS_PREFIX}").collect()
    finally:
        if shared is None:
            spark.stop()
    read = {(r.customer_id, r.transaction_id): (r.is_fraud, datetime.fromisoformat(r.labelled_at)) for r in rows}
    expected = {key: (label.is_fraud, label.labelled_at) for key, label in EXPECTED.items()}
    assert read == {**expected, ("c-3", "t-4"): (True, datetime(2026, 12, 1, tzinfo=UTC))}
