"""`ops erase-customer`: an erasure request. The customer's transactions (a query on the partition key), profile and
rows in the lake (raw/ batches and labels/, rewritten without them: securebank/ops/lake_rows.py; the daily
customer-profile Parquet snapshots: securebank/ops/lake_parquet.py), with a count of what was removed, and what the
command cannot reach (copies that only expire: `NOT_REACHED`).

Run it once the customer can no longer send transactions (the API key or the customer disabled): a transaction
processed meanwhile would write a new item, profile and raw row; running it again removes those. Labels that name no
customer (only a transaction_id) are not the customer's rows and stay. The prod lake's replica in the second region
(S3 replication) receives the rewrites and deletions of current objects, but not the deletion of old versions: run
the command against the replica's bucket too (`--region`, `--bucket`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from components.dr import RETENTION_DAYS as BACKUP_RETENTION_DAYS
from contracts.aws import (
    CUSTOMER_ID,
    CUSTOMER_PROFILES_PREFIX,
    LABELS_PREFIX,
    QUEUE_RETENTION_SECONDS,
    RAW_TRANSACTIONS_PREFIX,
    TRANSACTION_ID,
)
from securebank.ops.lake_parquet import PARQUET
from securebank.ops.lake_rows import JSON_LINES, PrefixErasure, RowCodec, erase_from_prefix
from securebank.ops.target import Target

BATCH_WRITE_MAX = 25
UNPROCESSED_RETRIES = 8
LAKE_PREFIXES: dict[str, RowCodec] = {
    RAW_TRANSACTIONS_PREFIX: JSON_LINES,
    LABELS_PREFIX: JSON_LINES,
    CUSTOMER_PROFILES_PREFIX: PARQUET,
}
PITR_WINDOW_DAYS = 35
"""DynamoDB's point-in-time recovery window: components/storage.py enables PITR with no recovery period, so the
service's default (and maximum), 35 days, applies."""
SECONDS_A_DAY = 24 * 3600
NOT_REACHED: dict[str, str] = {
    "dynamodb_point_in_time_recovery": (
        f"a restore to a point up to {PITR_WINDOW_DAYS} days back brings the items back; they age out of the window "
        f"{PITR_WINDOW_DAYS} days after this erasure"
    ),
    "aws_backup_recovery_points": (
        f"the weekly backups (and their copies in the second region) keep the tables for {BACKUP_RETENTION_DAYS} days "
        "(components/dr.py); a restore from one brings the items back until it expires"
    ),
    "dr_region_replica_bucket": (
        "the lake's replica receives the rewrites and deletions of current objects, not the deletion of old "
        "versions: run the command again with --region and --bucket of the replica"
    ),
    "quarantine_messages": (
        f"messages in the quarantine queues (and the processor's on-failure queue) may name the customer; they "
        f"expire after {QUEUE_RETENTION_SECONDS // SECONDS_A_DAY} days (contracts/aws.py)"
    ),
}
"""What the command cannot erase promptly: copies that only expire. The report carries it as it is."""


@dataclass
class ErasureReport:
    customer_id: str
    dry_run: bool
    transactions: int = 0
    profiles: int = 0
    lake: dict[str, PrefixErasure] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {
            "customer_id": self.customer_id,
            "dry_run": self.dry_run,
            "transactions_removed": self.transactions,
            "profiles_removed": self.profiles,
            "lake": {prefix: vars(erasure) for prefix, erasure in self.lake.items()},
            "not_reached": dict(NOT_REACHED),
        }


def erase_customer(target: Target, customer_id: str, *, dry_run: bool = False) -> ErasureReport:
    if not customer_id:
        raise ValueError("the customer id is empty")
    names = target.names
    dynamodb, s3 = target.client("dynamodb"), target.client("s3")
    report = ErasureReport(customer_id, dry_run)
    report.transactions = _erase_transactions(dynamodb, names.transactions_table, customer_id, dry_run=dry_run)
    key = {CUSTOMER_ID.name: {"S": customer_id}}
    if dry_run:
        report.profiles = int("Item" in dynamodb.get_item(TableName=names.customers_table, Key=key))
    else:
        old = dynamodb.delete_item(TableName=names.customers_table, Key=key, ReturnValues="ALL_OLD")
        report.profiles = int(bool(old.get("Attributes")))
    for prefix, codec in LAKE_PREFIXES.items():
        report.lake[prefix] = erase_from_prefix(s3, names.bucket, prefix, customer_id, dry_run=dry_run, codec=codec)
    return report


def _erase_transactions(dynamodb: Any, table: str, customer_id: str, *, dry_run: bool) -> int:
    keys = []
    pages = dynamodb.get_paginator("query").paginate(
        TableName=table,
        KeyConditionExpression="#c = :c",
        ProjectionExpression="#c, #t",
        ExpressionAttributeNames={"#c": CUSTOMER_ID.name, "#t": TRANSACTION_ID.name},
        ExpressionAttributeValues={":c": {"S": customer_id}},
        ConsistentRead=True,
    )
    for page in pages:
        keys += page["Items"]
    if not dry_run:
        for start in range(0, len(keys), BATCH_WRITE_MAX):
            chunk = keys[start : start + BATCH_WRITE_MAX]
            _batch_delete(dynamodb, table, [{"DeleteRequest": {"Key": item}} for item in chunk])
    return len(keys)


def _batch_delete(dynamodb: Any, table: str, requests: list[dict[str, Any]]) -> None:
    pending = {table: requests}
    for attempt in range(UNPROCESSED_RETRIES):
        pending = dynamodb.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}
        if not pending:
            return
        time.sleep(0.05 * 2**attempt)
    raise RuntimeError(f"DynamoDB left {len(pending.get(table, []))} deletions unprocessed; run the command again")
