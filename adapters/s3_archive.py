"""The raw lake: one gzip JSON Lines object per (batch, event-time hour), at a key derived from the batch.

A retried batch produces the same keys and bytes (gzip mtime 0), so it overwrites its own objects instead of adding
copies. Lines are the POST body of each transaction, in batch order.
"""

from __future__ import annotations

import gzip
from collections.abc import Sequence
from typing import TYPE_CHECKING

from adapters.serialization import dumps, transaction_to_body
from contracts.aws import LAKE_BUCKET, raw_object_key, raw_partition
from domain.model import Transaction
from domain.ports import BatchRef

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client


class S3RawArchive:
    def __init__(self, client: S3Client, bucket: str = LAKE_BUCKET) -> None:
        self._client = client
        self._bucket = bucket

    def store(self, batch: BatchRef, transactions: Sequence[Transaction]) -> None:
        partitions: dict[str, list[str]] = {}
        for txn in transactions:
            partitions.setdefault(raw_partition(txn.timestamp), []).append(dumps(transaction_to_body(txn)))
        for partition, lines in partitions.items():
            body = gzip.compress(("\n".join(lines) + "\n").encode(), mtime=0)
            self._client.put_object(
                Bucket=self._bucket,
                Key=raw_object_key(partition, batch.source, batch.first_sequence, batch.last_sequence),
                Body=body,
                ContentType="application/gzip",  # no Content-Encoding: readers must get the .gz bytes as stored
            )
