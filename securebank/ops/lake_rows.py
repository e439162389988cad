"""Removing one customer's rows from the lake's objects under a prefix, one object (key) at a time.

The walk lists every version of every key under the prefix, so a key whose current object was deleted earlier (a
Spark overwrite, a manual delete: only a delete marker is current) is reached as well. The current object is
rewritten only when it holds a row of the customer, by a `RowCodec`: JSON Lines here (raw/ batches, labels/: every
other line kept byte for byte and in order), Parquet in securebank/ops/lake_parquet.py. S3 replaces an object
atomically (a reader gets the whole old or the whole new object, never a partition half-written); the versions that
hold the rows (the one just replaced included) are deleted only after the replacement was written (the lake is
versioned: the rows would otherwise stay readable). An object left with no row is deleted.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable, Iterator
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


@dataclass(frozen=True)
class RowCodec:
    """How the rows of one object format are counted and removed; `applies` picks the keys it reads."""

    count: Callable[[str, bytes, str], int]  # (key, body, customer_id) -> the customer's rows in the object
    without: Callable[[str, bytes, str], bytes | None]  # the object without them; None when no row is left
    applies: Callable[[str], bool] = lambda key: True


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


def _json_lines_without(key: str, body: bytes, customer_id: str) -> bytes | None:
    text = without_customer(decode(key, body), customer_id)[0]
    return encode(key, text) if text else None


JSON_LINES = RowCodec(
    count=lambda key, body, customer_id: without_customer(decode(key, body), customer_id)[1],
    without=_json_lines_without,
)


def erase_from_prefix(
    s3: Any, bucket: str, prefix: str, customer_id: str, *, dry_run: bool, codec: RowCodec = JSON_LINES
) -> PrefixErasure:
    result = PrefixErasure()
    # With versioning on, a write leaves the replaced version behind, a null one (written while it was off) too.
    versioned = s3.get_bucket_versioning(Bucket=bucket).get("Status") == "Enabled"
    for key, versions in key_versions(s3, bucket, prefix):
        if codec.applies(key):
            erasure = _KeyErasure(s3, bucket, key, customer_id, codec, dry_run=dry_run)
            erasure.run(versions, result, versioned=versioned)
    return result


def key_versions(s3: Any, bucket: str, prefix: str) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """Every key under the prefix with its versions (delete markers left out), newest first."""
    key: str | None = None
    versions: list[dict[str, Any]] = []
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket, Prefix=prefix):
        for version in page.get("Versions", []):
            if version["Key"] != key:
                if key is not None:
                    yield key, versions
                key, versions = version["Key"], []
            versions.append(version)
    if key is not None:
        yield key, versions


@dataclass(frozen=True)
class _KeyErasure:
    s3: Any
    bucket: str
    key: str
    customer_id: str
    codec: RowCodec
    dry_run: bool

    def run(self, versions: list[dict[str, Any]], result: PrefixErasure, *, versioned: bool) -> None:
        holding = []  # the ids of the versions that hold the customer's rows and outlive the rewrite
        for version in versions:
            version_id, latest = version.get("VersionId") or NULL_VERSION, bool(version.get("IsLatest"))
            response = self.s3.get_object(Bucket=self.bucket, Key=self.key, VersionId=version_id)
            body = response["Body"].read()
            rows = self.codec.count(self.key, body, self.customer_id)
            if latest:
                result.objects_scanned += 1
                if rows:
                    self._replace(body, response.get("ContentType"), result)
                    result.rows_removed += rows
            # A null version that is current is overwritten in place unless versioning is on.
            if rows and (version_id != NULL_VERSION or not latest or versioned):
                holding.append(version_id)
        if not self.dry_run:  # only now: the replacement is written
            for version_id in holding:
                self.s3.delete_object(Bucket=self.bucket, Key=self.key, VersionId=version_id)
        result.versions_deleted += len(holding)

    def _replace(self, body: bytes, content_type: str | None, result: PrefixErasure) -> None:
        kept = self.codec.without(self.key, body, self.customer_id)
        if kept is None:
            result.objects_deleted += 1
            if not self.dry_run:
                self.s3.delete_object(Bucket=self.bucket, Key=self.key)
            return
        result.objects_rewritten += 1
        if not self.dry_run:
            self.s3.put_object(
                Bucket=self.bucket, Key=self.key, Body=kept, ContentType=content_type or "application/octet-stream"
            )
