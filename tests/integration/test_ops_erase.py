"""`ops erase-customer` on moto: exactly one customer's transactions, profile and lake rows (raw batches and labels,
every version) are removed; everyone else's are left as they were."""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable
from typing import Any

from contracts import aws
from securebank.emulator.lambda_shapes import stream_records
from securebank.ops.erase import erase_customer
from securebank.ops.processor import LocalProcessor
from tests.conftest import SHARD_ID, transaction_body
from tests.integration.test_ops_stack import OpsStack, make_stack

__all__ = ["make_stack"]


def lake(stack: OpsStack, prefix: str) -> dict[str, list[dict[str, Any]]]:
    """Every version of every object under the prefix: `key@version` -> its rows."""
    s3, found = stack.client("s3"), {}
    for version in s3.list_object_versions(Bucket=stack.resources.bucket, Prefix=prefix).get("Versions", []):
        key, version_id = version["Key"], version["VersionId"]
        body = s3.get_object(Bucket=stack.resources.bucket, Key=key, VersionId=version_id)["Body"].read()
        text = (gzip.decompress(body) if key.endswith(".gz") else body).decode()
        found[f"{key}@{version_id}"] = [json.loads(line) for line in text.splitlines()]
    return found


def customers_in(objects: dict[str, list[dict[str, Any]]]) -> set[str]:
    return {row["customer_id"] for rows in objects.values() for row in rows if "customer_id" in row}


def workload(stack: OpsStack) -> list[dict[str, Any]]:
    stack.client("s3").put_bucket_versioning(Bucket=stack.resources.bucket,
                                             VersioningConfiguration={"Status": "Enabled"})  # fmt: skip
    processor = LocalProcessor(stack.target)
    first = [transaction_body("ann"), transaction_body("bob"), transaction_body("ann")]
    second = [transaction_body("bob")]
    for batch, sequence in ((first, 100), (first, 100), (second, 200)):  # the first batch delivered twice
        assert processor.run(stream_records(batch, sequence), SHARD_ID, stack.resources.stream_arn) == []
    labels = [{"transaction_id": first[0]["transaction_id"], "customer_id": "ann", "is_fraud": True},
              {"transaction_id": first[1]["transaction_id"], "customer_id": "bob", "is_fraud": False},
              {"transaction_id": first[2]["transaction_id"], "is_fraud": True}]  # fmt: skip
    s3 = stack.client("s3")
    s3.put_object(Bucket=stack.resources.bucket, Key=f"{aws.LABELS_PREFIX}feed.jsonl",
                  Body="".join(json.dumps(label) + "\n" for label in labels).encode())  # fmt: skip
    s3.put_object(Bucket=stack.resources.bucket, Key=f"{aws.LABELS_PREFIX}ann-only.jsonl.gz",
                  Body=gzip.compress(json.dumps(labels[0]).encode() + b"\n"))  # fmt: skip
    return [*first, *second]


def test_erase_customer_removes_exactly_that_customers_items_profile_and_lake_rows(make_stack: Callable[[], OpsStack]):
    stack = make_stack()
    bodies = workload(stack)
    raw_before, labels_before = lake(stack, aws.RAW_TRANSACTIONS_PREFIX), lake(stack, aws.LABELS_PREFIX)
    current = _current(stack)
    bob_raw = sorted(
        json.dumps(r) for k, rows in raw_before.items() for r in rows if r["customer_id"] == "bob" and k in current
    )

    dry = erase_customer(stack.target, "ann", dry_run=True)
    assert lake(stack, aws.RAW_TRANSACTIONS_PREFIX) == raw_before
    assert len(stack.transaction_keys()) == len(bodies)
    report = erase_customer(stack.target, "ann")

    assert dry.as_json() | {"dry_run": False} == report.as_json()
    assert (report.transactions, report.profiles) == (2, 1)
    raw = report.lake[aws.RAW_TRANSACTIONS_PREFIX]
    assert (raw.rows_removed, raw.objects_rewritten, raw.objects_deleted) == (2, 1, 0)
    assert raw.versions_deleted == 2  # the batch object's version replaced, and its first delivery's
    labels = report.lake[aws.LABELS_PREFIX]
    assert (labels.rows_removed, labels.objects_rewritten, labels.objects_deleted) == (2, 1, 1)
    assert labels.versions_deleted == 2  # feed.jsonl's replaced version, ann-only.jsonl.gz's only one
    assert stack.transaction_keys() == {("bob", b["transaction_id"]) for b in bodies if b["customer_id"] == "bob"}
    assert [p["customer_id"] for p in stack.items(stack.resources.customers_table)] == ["bob"]
    raw_after, labels_after = lake(stack, aws.RAW_TRANSACTIONS_PREFIX), lake(stack, aws.LABELS_PREFIX)
    assert customers_in(raw_after) == customers_in(labels_after) == {"bob"}
    current_raw = [r for key, rows in raw_after.items() for r in rows if key in _current(stack)]
    assert sorted(json.dumps(r) for r in current_raw) == bob_raw
    assert sum(len(rows) for rows in labels_after.values()) == 2  # bob's, and the label naming no customer
    assert len(labels_before) == 2


def _current(stack: OpsStack) -> set[str]:
    s3 = stack.client("s3")
    versions = s3.list_object_versions(Bucket=stack.resources.bucket, Prefix=aws.RAW_TRANSACTIONS_PREFIX)
    return {f"{v['Key']}@{v['VersionId']}" for v in versions.get("Versions", []) if v["IsLatest"]}


def test_erasing_a_customer_with_nothing_stored_removes_nothing(make_stack: Callable[[], OpsStack]):
    stack = make_stack()
    workload(stack)
    before = stack.transaction_keys()

    report = erase_customer(stack.target, "zed")

    assert (report.transactions, report.profiles) == (0, 0)
    assert all(vars(erasure)["rows_removed"] == 0 for erasure in report.lake.values())
    assert stack.transaction_keys() == before
