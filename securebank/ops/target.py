"""Which stack the operator tools act on: the physical names of its tables, stream, bucket and queues, and a boto3
session in its region.

Names come from contracts/aws.py; `--stack S` gives a deployed stack's names (`<contract name>-<S>`, as
components/naming.py builds them), a Pulumi outputs file (`pulumi stack output --json`) overrides the tables, stream
and bucket it exports, and each name can be given explicitly. The endpoint (a local moto server) is boto3's own
`AWS_ENDPOINT_URL` (and `AWS_ENDPOINT_URL_<SERVICE>`), which `--endpoint-url` sets.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

import boto3

from components.naming import physical_name
from contracts import aws

OUTPUT_NAMES = {
    "transactions_table": "transactions_table",
    "customers_table": "customers_table",
    "stream_name": "stream",
    "lake_bucket": "bucket",
}
"""Pulumi stack outputs (__main__.py's exports) -> the name they give."""


@dataclass(frozen=True)
class StackNames:
    transactions_table: str = aws.TRANSACTIONS_TABLE.name
    customers_table: str = aws.CUSTOMERS_TABLE.name
    stream: str = aws.STREAM_NAME
    bucket: str = aws.LAKE_BUCKET
    quarantine_queue: str = aws.QUARANTINE_QUEUE
    quarantine_dlq: str = aws.QUARANTINE_DLQ
    on_failure_queue: str = aws.ON_FAILURE_QUEUE
    """Queues by name or URL."""

    @classmethod
    def of(
        cls, stack: str | None = None, outputs: Mapping[str, Any] | None = None, **overrides: str | None
    ) -> StackNames:
        names = cls()
        if stack:
            names = cls(**{f.name: physical_name(stack, base=getattr(names, f.name)) for f in fields(cls)})
        for output, name in OUTPUT_NAMES.items():
            if outputs and isinstance(outputs.get(output), str):
                names = replace(names, **{name: outputs[output]})
        return replace(names, **{name: value for name, value in overrides.items() if value})


def read_outputs(path: Path | None) -> dict[str, Any] | None:
    return None if path is None else dict(json.loads(path.read_text()))


@dataclass(frozen=True)
class Target:
    session: Any
    names: StackNames

    @classmethod
    def connect(cls, names: StackNames, region: str | None = None) -> Target:
        return cls(boto3.Session(region_name=region), names)

    @property
    def region(self) -> str:
        return str(self.session.region_name or "us-east-1")

    def client(self, service: str) -> Any:
        return self.session.client(service, region_name=self.region)

    def queue_url(self, name_or_url: str) -> str:
        if name_or_url.startswith(("https://", "http://")):
            return name_or_url
        return str(self.client("sqs").get_queue_url(QueueName=name_or_url)["QueueUrl"])
