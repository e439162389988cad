"""AWS fixtures: moto's mock_aws with fake credentials, and fresh, uniquely named pipeline resources on demand.

Tables are created from the TableSpecs in contracts/aws.py (no re-typed names or keys). Every fixture that touches
AWS returns a factory, so that each Hypothesis example can get fresh resources (STYLE E6).
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import pytest

from contracts import aws
from securebank.emulator import lambda_shapes
from securebank.emulator.lambda_shapes import stream_records
from securebank.emulator.resources import create_table

REGION = "us-east-1"
STREAM_ARN = f"arn:aws:kinesis:{REGION}:123456789012:stream/{aws.STREAM_NAME}"
SHARD_ID = "shardId-000000000000"


@dataclass(frozen=True)
class Resources:
    session: Any
    transactions_table: str
    customers_table: str
    bucket: str
    quarantine_queue_url: str

    def client(self, service: str) -> Any:
        return self.session.client(service, region_name=REGION)


@pytest.fixture
def aws_session(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A boto3 Session inside moto's mock_aws, with fake credentials and no endpoint override."""
    import boto3
    from moto import mock_aws

    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                        "AWS_SESSION_TOKEN": "testing", "AWS_DEFAULT_REGION": REGION}.items():  # fmt: skip
        monkeypatch.setenv(name, value)
    monkeypatch.delenv(aws.ENV_AWS_ENDPOINT_URL, raising=False)
    with mock_aws():
        yield boto3.Session(region_name=REGION)


@pytest.fixture
def make_resources(aws_session: Any) -> Callable[[], Resources]:
    """Factory: a fresh set of tables, lake bucket and quarantine queue with unique names."""

    def make() -> Resources:
        import boto3

        suffix = uuid.uuid4().hex[:10]
        session = boto3.Session(region_name=REGION)  # its own event hooks: tests inject faults per resource set
        dynamodb = session.client("dynamodb", region_name=REGION)
        transactions, customers = f"{aws.TRANSACTIONS_TABLE.name}-{suffix}", f"{aws.CUSTOMERS_TABLE.name}-{suffix}"
        create_table(dynamodb, aws.TRANSACTIONS_TABLE, transactions)
        create_table(dynamodb, aws.CUSTOMERS_TABLE, customers)
        bucket = f"{aws.LAKE_BUCKET}-{suffix}"
        session.client("s3", region_name=REGION).create_bucket(Bucket=bucket)
        queue = session.client("sqs", region_name=REGION).create_queue(QueueName=f"{aws.QUARANTINE_QUEUE}-{suffix}")
        return Resources(session, transactions, customers, bucket, queue["QueueUrl"])

    return make


_ids = itertools.count(1)


def transaction_body(customer: str = "c1", **overrides: Any) -> dict[str, Any]:
    """A valid POST /v1/transactions body; ids are unique unless given."""
    n = next(_ids)
    body = {
        "transaction_id": f"t{n}",
        "customer_id": customer,
        "amount": "25.00",
        "currency": "USD",
        "merchant_id": f"m{n % 7}",
        "merchant_category": "grocery",
        "timestamp": f"2024-03-01T12:{n % 60:02d}:00Z",
        "location": {"latitude": 40.7128, "longitude": -74.006},
    }
    return {**body, **overrides}


def kinesis_event(payloads: Sequence[bytes | dict[str, Any]], first_sequence: int = 1000) -> dict[str, Any]:
    """A Lambda Kinesis event as the event source mapping delivers it, with increasing sequence numbers (built by the
    emulator's mapping, the one builder)."""
    records = stream_records(payloads, 49_000_000_000_000_000_000 + first_sequence)
    return lambda_shapes.kinesis_event(records, SHARD_ID, STREAM_ARN, REGION)
