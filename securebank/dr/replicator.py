"""Replication from the primary region to the second, as AWS does it for the deployed stacks, on moto.

DynamoDB global tables copy every item write to the replica (AWS: typically within a second); S3 CRR copies every
new lake object (Replication Time Control: 99.99% within 15 minutes). Here one pass copies every item of both tables
and every lake object not yet copied, and passes repeat every `interval` seconds until the region is "lost": what
the primary wrote after the last completed pass never reaches the second region.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from securebank.emulator.resources import LocalResources

BATCH = 25  # BatchWriteItem's limit


class Replicator:
    def __init__(
        self, source: tuple[Any, LocalResources], target: tuple[Any, LocalResources], interval: float = 1.0
    ) -> None:
        """`source` and `target` are (client factory `service -> boto3 client`, resources) of each region."""
        (self.source_client, self.source), (self.target_client, self.target) = source, target
        self.interval = interval
        self.passes = 0
        self.last_pass_at: float | None = None  # wall clock when the last completed pass began
        self.copied_objects: set[str] = set()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="replicator", daemon=True)

    def start(self) -> Replicator:
        self._thread.start()
        return self

    def stop(self) -> None:
        """The region is lost: no pass starts after this, and one under way is abandoned where it is."""
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            began = time.time()
            if self.replicate_once():
                self.passes += 1
                self.last_pass_at = began
            self._stop.wait(self.interval)

    def replicate_once(self) -> bool:
        """One pass; False when the region was lost during it (what it copied so far stays copied)."""
        source_db, target_db = self.source_client("dynamodb"), self.target_client("dynamodb")
        for table in (self.source.transactions_table, self.source.customers_table):
            for page in source_db.get_paginator("scan").paginate(TableName=table):
                items = page["Items"]
                for start in range(0, len(items), BATCH):
                    if self._stop.is_set():
                        return False
                    requests = [{"PutRequest": {"Item": item}} for item in items[start : start + BATCH]]
                    self._write(target_db, table, requests)
        return self._copy_lake()

    @staticmethod
    def _write(client: Any, table: str, requests: list[dict[str, Any]]) -> None:
        pending = {table: requests}
        while pending:
            pending = client.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}

    def _copy_lake(self) -> bool:
        source_s3, target_s3 = self.source_client("s3"), self.target_client("s3")
        for page in source_s3.get_paginator("list_objects_v2").paginate(Bucket=self.source.bucket):
            for entry in page.get("Contents", []):
                key = entry["Key"]
                if key in self.copied_objects:
                    continue
                if self._stop.is_set():
                    return False
                body = source_s3.get_object(Bucket=self.source.bucket, Key=key)["Body"].read()
                target_s3.put_object(Bucket=self.target.bucket, Key=key, Body=body)
                self.copied_objects.add(key)
        return True
