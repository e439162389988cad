"""`ops replay-failures` on moto: the on-failure queue's pointers are fetched from Kinesis and processed once; a
second replay of the same range stores nothing new; a range past retention is reported and its message kept."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace

from contracts import aws
from securebank.emulator.lambda_shapes import StreamRecord, on_failure_message
from securebank.ops.replay import replay_failures
from tests.integration.test_ops_stack import OpsStack, make_stack, recent_body

__all__ = ["make_stack"]

FUNCTION_ARN = "arn:aws:lambda:us-east-1:123456789012:function:securebank-processor"


def put_on_stream(stack: OpsStack, bodies: list[dict[str, str]]) -> tuple[str, list[StreamRecord]]:
    kinesis = stack.client("kinesis")
    for body in bodies:
        kinesis.put_record(StreamName=stack.resources.stream_name, Data=json.dumps(body).encode(),
                           PartitionKey=body["customer_id"])  # fmt: skip
    return stack.stream_records()


def give_up_on(stack: OpsStack, shard: str, records: list[StreamRecord]) -> None:
    """What the event source mapping sends when a batch exhausts its retries."""
    message = on_failure_message(records, shard, stack.resources.stream_arn, FUNCTION_ARN, "RetryAttemptsExhausted", 6)
    stack.client("sqs").send_message(QueueUrl=stack.resources.on_failure_queue_url, MessageBody=json.dumps(message))


def lake_keys(stack: OpsStack) -> list[str]:
    listing = stack.client("s3").list_objects_v2(Bucket=stack.resources.bucket, Prefix=aws.RAW_TRANSACTIONS_PREFIX)
    return sorted(o["Key"] for o in listing.get("Contents", []))


def test_a_replay_of_on_failure_pointers_stores_the_records_once(make_stack: Callable[[], OpsStack]):
    stack = make_stack()
    bodies = [recent_body("ann"), recent_body("bob"), recent_body("ann")]
    shard, records = put_on_stream(stack, bodies)
    give_up_on(stack, shard, records)

    first = replay_failures(stack.target, wait_seconds=0)
    give_up_on(stack, shard, records)  # the same range again: every record is a duplicate now
    second = replay_failures(stack.target, wait_seconds=0)

    assert (first.counts.processed, first.counts.duplicates, first.deleted) == (3, 0, 1)
    assert (second.counts.processed, second.counts.duplicates, second.deleted) == (0, 3, 1)
    assert stack.transaction_keys() == {(b["customer_id"], b["transaction_id"]) for b in bodies}
    assert len(lake_keys(stack)) == 1  # the batch's raw object, rewritten in place by the second replay
    assert stack.messages(stack.resources.on_failure_queue_url) == []


def test_a_range_past_retention_is_reported_and_its_message_kept(make_stack: Callable[[], OpsStack]):
    stack = make_stack()
    shard, records = put_on_stream(stack, [recent_body("ann"), recent_body("bob")])
    trimmed = replace(records[0], sequence_number=str(int(records[0].sequence_number) - 1))
    give_up_on(stack, shard, [trimmed, records[0]])  # starts before the oldest record the stream holds

    report = replay_failures(stack.target, wait_seconds=0)

    (result,) = report.results
    assert (result.status, report.deleted, report.counts.processed) == ("past retention", 0, 0)
    assert stack.transaction_keys() == set()
    (kept,) = stack.messages(stack.resources.on_failure_queue_url)
    assert kept["KinesisBatchInfo"]["startSequenceNumber"] == trimmed.sequence_number


def test_a_range_only_partly_replayed_keeps_its_message(make_stack: Callable[[], OpsStack]):
    stack = make_stack()
    shard, records = put_on_stream(stack, [recent_body("ann")])
    beyond = replace(records[0], sequence_number=str(int(records[0].sequence_number) + 10))
    give_up_on(stack, shard, [records[0], beyond])  # its end is not on the stream

    report = replay_failures(stack.target, wait_seconds=0)

    assert [r.status for r in report.results] == ["incomplete"]
    assert report.deleted == 0
    assert len(stack.messages(stack.resources.on_failure_queue_url)) == 1
