"""The label API's way into the lake: one JSON Lines object per label, under `labels/year=/month=/day=/`.

The object's day is the label's `labelled_at` in UTC (contracts/aws.py `labels_day_prefix`), and its name is the
digest of its line (`api-<digest>.jsonl`): the same label (a client's retry) overwrites the same object with the same
bytes, and readers, which keep one label per transaction by the label rule, count it once. The line is the one the
label file import writes (adapters/label_rows.py `label_line`), so the Spark jobs read both unchanged.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC
from typing import TYPE_CHECKING

from adapters.label_rows import label_line
from contracts.aws import LAKE_BUCKET, labels_day_prefix
from domain.cases import CaseLabel

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

DIGEST_CHARS = 32


def label_object(label: CaseLabel) -> tuple[str, bytes]:
    """The label's key and body."""
    line = label_line(
        label.transaction_id, label.customer_id, label.is_fraud, label.labelled_at, label.source, label.note
    )
    body = (json.dumps(line, sort_keys=True, separators=(",", ":")) + "\n").encode()
    digest = hashlib.sha256(body).hexdigest()[:DIGEST_CHARS]
    return f"{labels_day_prefix(label.labelled_at.astimezone(UTC).date())}api-{digest}.jsonl", body


class S3LabelLake:
    def __init__(self, client: S3Client, bucket: str = LAKE_BUCKET) -> None:
        self._client = client
        self._bucket = bucket

    def append(self, label: CaseLabel) -> str:
        key, body = label_object(label)
        self._client.put_object(Bucket=self._bucket, Key=key, Body=body, ContentType="application/x-ndjson")
        return key
