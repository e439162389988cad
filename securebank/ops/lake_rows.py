"""Removing one customer's rows from the lake's JSON Lines objects (raw/ batches, labels/), one object at a time.

An object is rewritten only when it holds a row of the customer (a line whose JSON object has that customer_id),
with every other line kept byte for byte and in order. S3 replaces an object atomically (a reader gets the whole old
or the whole new object, never a partition half-written); the version that held the rows is deleted only after its
replacement was written, and so is every other noncurrent version of the key that holds them (the lake is
versioned: the rows would otherwise stay readable). An object left with no row is deleted.
"""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass
from typing import Any

NULL_VERSION = "null"
"""S3's version id of an object written while versioning was off."""


@dataclass
class PrefixErasure:
    objects_scanned: int = 0
    rows_removed: int = 0
    objects_rewritten: int = 0
    objects_deleted: int = 0
    versions_deleted: int = 0


def without_customer(text: str, customer_id: str) -> tuple[str, int]:
    """The lines of `text` that are not the customer's rows, and how many were."""
    if customer_id not in text and json.dumps(customer_id)[1:-1] not in text:
        return text, 0  # the common case: the customer's id is nowhere in the object
    kept, removed = [], 0
    for line in text.splitlines(keepends=True):
        if _is_customers(line, customer_id):
            removed += 1
        else:
            kept.append(line)
    return "".join(kept), removed


def _is_customers(line: str, customer_id: str) -> bool:
    try:
        row = json.loads(line)
    except ValueError:
        return False
    return isinstance(row, dict) and row.get("customer_id") == customer_id


def decode(key: str, body: bytes) -> str:
    return (gzip.decompress(body) if key.endswith(".gz") else body).decode("utf-8")


def encode(key: str, text: str) -> bytes:
    raw = text.encode("utf-8")
    return gzip.compress(raw, mtime=0) if key.endswith(".gz") else raw  # mtime 0, as adapters/s3_archive.py writes


def erase_from_prefix(s3: Any, bucket: str, prefix: str, customer_id: str, *, dry_run: bool) -> PrefixErasure:
    result = PrefixErasure()
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for summary in page.get("Contents", []):
            result.objects_scanned += 1
            _erase_from_object(s3, bucket, summary["Key"], customer_id, result, dry_run=dry_run)
    return result


def _erase_from_object(
    s3: Any, bucket: str, key: str, customer_id: str, result: PrefixErasure, *, dry_run: bool
) -> None:
    response = s3.get_object(Bucket=bucket, Key=key)
    text, removed = without_customer(decode(key, response["Body"].read()), customer_id)
    if not removed:
        return
    result.rows_removed += removed
    if dry_run:
        result.objects_rewritten += bool(text)
        result.objects_deleted += not text
        result.versions_deleted += _delete_old_versions(s3, bucket, key, customer_id, None, dry_run=True)
        return
    if text:
        written = s3.put_object(
            Bucket=bucket,
            Key=key,
            Body=encode(key, text),
            ContentType=response.get("ContentType") or "application/octet-stream",
        )
        result.objects_rewritten += 1
        keep = written.get("VersionId")
    else:
        s3.delete_object(Bucket=bucket, Key=key)
        result.objects_deleted += 1
        keep = None
    result.versions_deleted += _delete_old_versions(s3, bucket, key, customer_id, keep, dry_run=False)


def _delete_old_versions(s3: Any, bucket: str, key: str, customer_id: str, keep: str | None, *, dry_run: bool) -> int:
    """Delete the key's versions (other than `keep`, the replacement) that hold the customer's rows, the one just
    replaced included; how many (to delete, in a dry run)."""
    deleted = 0
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket, Prefix=key):
        for version in page.get("Versions", []):
            version_id = version.get("VersionId")
            if version["Key"] != key or version_id in (keep, None, NULL_VERSION):
                continue
            body = s3.get_object(Bucket=bucket, Key=key, VersionId=version_id)["Body"].read()
            if without_customer(decode(key, body), customer_id)[1]:
                if not dry_run:
                    s3.delete_object(Bucket=bucket, Key=key, VersionId=version_id)
                deleted += 1
    return deleted
