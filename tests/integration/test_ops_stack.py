"""What the ops tests share (a fresh stack on moto, the event source mapping's part played here), and how the tools
find a stack's names."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from adapters.items import from_attribute_values
from adapters.memory import RecordingMetrics
from securebank.emulator.lambda_shapes import StreamRecord
from securebank.emulator.resources import LocalResources, create_resources
from securebank.ops.processor import LocalProcessor
from securebank.ops.replay import stream_record
from securebank.ops.target import StackNames, Target, read_outputs
from tests.conftest import transaction_body


@dataclass(frozen=True)
class OpsStack:
    resources: LocalResources
    target: Target

    def client(self, service: str) -> Any:
        return self.target.client(service)

    def items(self, table: str) -> list[dict[str, Any]]:
        pages = self.client("dynamodb").get_paginator("scan").paginate(TableName=table, ConsistentRead=True)
        return [from_attribute_values(item) for page in pages for item in page["Items"]]

    def transaction_keys(self) -> set[tuple[str, str]]:
        return {(i["customer_id"], i["transaction_id"]) for i in self.items(self.resources.transactions_table)}

    def messages(self, queue_url: str) -> list[dict[str, Any]]:
        """The queue's messages, received and then made visible again."""
        sqs, found = self.client("sqs"), {}
        while True:
            got = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, VisibilityTimeout=30)
            new = [m for m in got.get("Messages", []) if m["MessageId"] not in found]
            if not new:
                break
            found |= {m["MessageId"]: m for m in new}
        for message in found.values():
            sqs.change_message_visibility(
                QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
            )
        return [json.loads(m["Body"]) for m in found.values()]

    def stream_records(self) -> tuple[str, list[StreamRecord]]:
        """(the shard, every record on it), read from the stream's start."""
        kinesis = self.client("kinesis")
        shard = kinesis.list_shards(StreamName=self.resources.stream_name)["Shards"][0]["ShardId"]
        iterator = kinesis.get_shard_iterator(
            StreamName=self.resources.stream_name, ShardId=shard, ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        records: list[StreamRecord] = []
        while iterator:
            response = kinesis.get_records(ShardIterator=iterator, Limit=1000)
            if not response["Records"]:
                break
            records += [stream_record(raw) for raw in response["Records"]]
            iterator = response.get("NextShardIterator")
        return shard, records

    def deliver_stream(self, after: int = 0) -> RecordingMetrics:
        """The event source mapping's part: the stream's records after the first `after` handed to the processor."""
        shard, records = self.stream_records()
        processor = LocalProcessor(self.target)
        if records[after:]:
            processor.run(records[after:], shard, self.resources.stream_arn)
        return processor.counts


def names_of(resources: LocalResources) -> StackNames:
    return StackNames(
        transactions_table=resources.transactions_table,
        customers_table=resources.customers_table,
        stream=resources.stream_name,
        bucket=resources.bucket,
        quarantine_queue=resources.quarantine_queue_url,
        quarantine_dlq=resources.quarantine_dlq_url,
        on_failure_queue=resources.on_failure_queue_url,
    )


@pytest.fixture
def make_stack(aws_session: Any) -> Callable[[], OpsStack]:
    """Factory: every resource of a stack on moto, uniquely named, and the tools' target for it."""

    def make() -> OpsStack:
        resources = create_resources(aws_session, None, suffix=f"-{uuid.uuid4().hex[:8]}")
        return OpsStack(resources, Target(aws_session, names_of(resources)))

    return make


def recent_body(customer: str, **overrides: Any) -> dict[str, Any]:
    """A valid transaction body stamped an hour ago: within the processor's bounds around a receipt now."""
    stamp = (datetime.now(UTC) - timedelta(hours=1)).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    return transaction_body(customer, timestamp=stamp, **overrides)


def test_a_deployed_stacks_names_are_the_contract_names_with_the_stack_and_its_outputs_win(tmp_path: Path):
    outputs = tmp_path / "outputs.json"
    outputs.write_text(json.dumps({"lake_bucket": "securebank-data-lake-prod-1a2b", "api_url": "https://x"}))

    names = StackNames.of("prod", read_outputs(outputs), stream="my-stream", bucket=None)

    assert names.transactions_table == "SecureBank-Transactions-prod"
    assert names.quarantine_dlq == "SecureBank-Quarantine-DLQ-prod"
    assert names.on_failure_queue == "SecureBank-Processor-OnFailure-prod"
    assert names.bucket == "securebank-data-lake-prod-1a2b"
    assert names.stream == "my-stream"
    assert StackNames.of().customers_table == "SecureBank-Customers"
