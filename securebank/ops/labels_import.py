"""Import a label file into the lake's `labels/`, all or nothing.

Every row is validated first (securebank/ops/labels_file.py); one rejected row and nothing is written. A good file
becomes one JSON Lines object at `labels/year=YYYY/month=MM/day=DD/import-<digest>.jsonl` (contracts/aws.py
`labels_day_prefix`, the import's UTC day), the layout the merchant-risk and fraud-patterns jobs read
(jobs/labels.py). The digest is of the file's bytes and the default source, and an import whose object already
exists under any day of `labels/` writes nothing: importing the same file again, even on a later day, cannot give
its rows a newer default `labelled_at` that would override a later verdict. Readers deduplicate by the label rule
(domain/labels.py), so a label that also arrived another way is counted once.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from contracts.aws import LABELS_PREFIX, labels_day_prefix
from securebank.ops.labels_file import RowError, parse

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

IMPORT_OBJECT = "import-{digest}.jsonl"
DIGEST_CHARS = 32


class LabelLake(Protocol):
    def find(self, name: str) -> str | None:
        """The key of an object named `name` anywhere under labels/, or None."""

    def put(self, key: str, body: bytes) -> None: ...


class DirectoryLake:
    """A lake in a local directory (`labels/...` under `root`)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def find(self, name: str) -> str | None:
        found = sorted((self.root / LABELS_PREFIX).rglob(name))
        return found[0].relative_to(self.root).as_posix() if found else None

    def put(self, key: str, body: bytes) -> None:
        path = self.root / key
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".import-")
        with os.fdopen(handle, "wb") as out:  # written whole, then renamed: a reader never sees half an object
            out.write(body)
        Path(temporary).replace(path)


class S3Lake:
    """A lake in an S3 bucket, optionally under a prefix (`s3://bucket[/prefix]`)."""

    def __init__(self, client: S3Client, uri: str) -> None:
        bucket, _, prefix = uri.removeprefix("s3://").partition("/")
        self.client, self.bucket, self.prefix = client, bucket, f"{prefix.strip('/')}/" if prefix.strip("/") else ""

    def find(self, name: str) -> str | None:
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=f"{self.prefix}{LABELS_PREFIX}"
        )
        for page in pages:
            for item in page.get("Contents", []):
                key: str = item["Key"]
                if key.rsplit("/", 1)[-1] == name:
                    return key.removeprefix(self.prefix)
        return None

    def put(self, key: str, body: bytes) -> None:
        self.client.put_object(
            Bucket=self.bucket, Key=f"{self.prefix}{key}", Body=body, ContentType="application/x-ndjson"
        )


@dataclass(frozen=True)
class ImportReport:
    rows: int
    key: str
    """The object the file's labels are in (or would be, with dry_run or rejections)."""
    written: bool
    already_imported: bool
    rejected: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.rejected


def import_labels(
    lake: LabelLake,
    data: bytes,
    *,
    csv_format: bool,
    source: str = "chargeback",
    now: datetime | None = None,
    dry_run: bool = False,
) -> ImportReport:
    """Validate every row of `data`; write them as one object unless a row is rejected, `dry_run` is set or the
    same file was imported before."""
    now = (now or datetime.now(UTC)).astimezone(UTC)
    rows, rejected = parse(data, csv_format=csv_format, source=source, now=now)
    digest = hashlib.sha256(source.encode() + b"\n" + data).hexdigest()[:DIGEST_CHARS]
    name = IMPORT_OBJECT.format(digest=digest)
    key = f"{labels_day_prefix(now.date())}{name}"
    if rejected:
        return ImportReport(len(rows), key, written=False, already_imported=False, rejected=rejected)
    existing = lake.find(name)
    if existing is not None or dry_run:
        return ImportReport(len(rows), existing or key, written=False, already_imported=existing is not None)
    lake.put(key, "".join(json.dumps(row.to_json(), sort_keys=True) + "\n" for row in rows).encode())
    return ImportReport(len(rows), key, written=True, already_imported=False)
