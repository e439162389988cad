"""`ops erase-customer` on moto over the customer-profile snapshots (Parquet, as jobs/customer_profiles.py writes
them): the customer's rows leave every version of every snapshot object, the other customers' rows and the
object's schema, compression and timestamp encoding stay, and a dry run counts the same without changing anything."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from contracts import aws
from securebank.ops.erase import NOT_REACHED, erase_customer
from tests.integration.test_ops_stack import OpsStack, make_stack

__all__ = ["make_stack"]

AMOUNTS = pa.list_(pa.struct([("currency", pa.string()), ("count", pa.int64()), ("total", pa.decimal128(38, 4))]))
SCHEMA = pa.schema(
    [
        pa.field("customer_id", pa.string(), nullable=False),
        pa.field("account_created", pa.timestamp("us"), nullable=False),
        pa.field("home_location", pa.struct([("latitude", pa.float64()), ("longitude", pa.float64())])),
        pa.field("amounts", AMOUNTS),
        pa.field("version", pa.int64(), nullable=False),
    ],
    metadata={b"org.apache.spark.sql.parquet.row.metadata": b"{}"},  # Spark's schema key, which must survive
)
PARTITION = f"{aws.CUSTOMER_PROFILES_PREFIX}date=2026-11-29/"
SHARED = f"{PARTITION}part-00000-c000.snappy.parquet"
ANN_ONLY = f"{aws.CUSTOMER_PROFILES_PREFIX}date=2026-11-28/part-00000-c000.snappy.parquet"
OVERWRITTEN = f"{aws.CUSTOMER_PROFILES_PREFIX}date=2026-11-27/part-00000-old.snappy.parquet"


def profile(customer: str, version: int) -> dict[str, Any]:
    return {
        "customer_id": customer,
        "account_created": datetime(2025, 1, version),  # Spark TimestampType: no zone in the file
        "home_location": {"latitude": 40.7, "longitude": -74.0},
        "amounts": [{"currency": "USD", "count": version, "total": Decimal("12.3400")}],
        "version": version,
    }


def parquet(rows: list[dict[str, Any]]) -> bytes:
    """As Spark writes it (INT96 timestamps), with gzip rather than its default snappy: a codec a rewrite must keep."""
    sink = io.BytesIO()
    table = pa.Table.from_pylist(rows, schema=SCHEMA)
    pq.write_table(table, sink, compression="gzip", use_deprecated_int96_timestamps=True)
    return sink.getvalue()


def snapshots(stack: OpsStack) -> None:
    s3, bucket = stack.client("s3"), stack.resources.bucket
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    put = lambda key, body: s3.put_object(Bucket=bucket, Key=key, Body=body)  # noqa: E731
    put(SHARED, parquet([profile("ann", 1), profile("bob", 2), profile("ann", 3), profile("cat", 4)]))
    put(f"{PARTITION}_SUCCESS", b"")
    put(ANN_ONLY, parquet([profile("ann", 5)]))
    put(OVERWRITTEN, parquet([profile("ann", 6), profile("bob", 7)]))
    s3.delete_object(Bucket=bucket, Key=OVERWRITTEN)  # Spark's overwrite: only a delete marker is current


def versions(stack: OpsStack) -> dict[str, bytes]:
    """Every version under the snapshot prefix: `key@version` -> its bytes."""
    s3, bucket = stack.client("s3"), stack.resources.bucket
    listed = s3.list_object_versions(Bucket=bucket, Prefix=aws.CUSTOMER_PROFILES_PREFIX).get("Versions", [])
    return {
        f"{v['Key']}@{v['VersionId']}": s3.get_object(Bucket=bucket, Key=v["Key"], VersionId=v["VersionId"])[
            "Body"
        ].read()
        for v in listed
    }


def customers(body: bytes) -> list[str]:
    return pq.read_table(io.BytesIO(body), columns=["customer_id"])["customer_id"].to_pylist()


def test_erase_customer_removes_the_customers_rows_from_every_snapshot_version(make_stack: Callable[[], OpsStack]):
    stack = make_stack()
    snapshots(stack)
    s3, bucket = stack.client("s3"), stack.resources.bucket
    before = versions(stack)
    original = pq.ParquetFile(io.BytesIO(s3.get_object(Bucket=bucket, Key=SHARED)["Body"].read()))

    dry = erase_customer(stack.target, "ann", dry_run=True)
    assert versions(stack) == before
    report = erase_customer(stack.target, "ann")

    assert dry.as_json() | {"dry_run": False} == report.as_json()
    erased = report.lake[aws.CUSTOMER_PROFILES_PREFIX]
    assert (erased.objects_scanned, erased.rows_removed) == (2, 3)  # SHARED and ANN_ONLY are current; not _SUCCESS
    assert (erased.objects_rewritten, erased.objects_deleted) == (1, 1)
    assert erased.versions_deleted == 3  # SHARED's replaced version, ANN_ONLY's, OVERWRITTEN's old one
    after = versions(stack)
    assert all("ann" not in customers(body) for key, body in after.items() if ".parquet@" in key)
    assert not any(key.startswith((f"{ANN_ONLY}@", f"{OVERWRITTEN}@")) for key in after)
    assert f"{PARTITION}_SUCCESS" in {key.split("@")[0] for key in after}
    rewritten = pq.ParquetFile(io.BytesIO(s3.get_object(Bucket=bucket, Key=SHARED)["Body"].read()))
    assert rewritten.read().to_pylist() == [profile("bob", 2), profile("cat", 4)]
    assert rewritten.schema_arrow == original.schema_arrow
    assert rewritten.schema_arrow.metadata == original.schema_arrow.metadata
    assert rewritten.schema == original.schema  # the Parquet schema: INT96 timestamps, required columns
    compressions = {
        rewritten.metadata.row_group(0).column(i).compression for i in range(rewritten.metadata.num_columns)
    }
    assert compressions == {"GZIP"}


def test_the_report_names_what_erasure_cannot_reach_with_the_stacks_periods(make_stack: Callable[[], OpsStack]):
    report = erase_customer(make_stack().target, "zed", dry_run=True).as_json()

    assert report["not_reached"] == NOT_REACHED
    assert set(NOT_REACHED) == {
        "dynamodb_point_in_time_recovery",
        "aws_backup_recovery_points",
        "dr_region_replica_bucket",
        "quarantine_messages",
    }
    assert "35 days" in NOT_REACHED["dynamodb_point_in_time_recovery"]
    assert "35 days" in NOT_REACHED["aws_backup_recovery_points"]
    assert "14 days" in NOT_REACHED["quarantine_messages"]
    assert "--region and --bucket" in NOT_REACHED["dr_region_replica_bucket"]
