"""The event source mapping emulator against moto's Kinesis and SQS, with fake handlers."""

import base64
import dataclasses
import json
import os

import boto3
import pytest
from moto import mock_aws

from contracts.aws import EVENT_SOURCE
from securebank.emulator.esm import KinesisEventSourceMapping, first_failed_index

SETTINGS = dataclasses.replace(EVENT_SOURCE, batch_size=10, maximum_retry_attempts=2)


@pytest.fixture
def aws():
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        session = boto3.Session(region_name="us-east-1")
        kinesis, sqs = session.client("kinesis"), session.client("sqs")
        kinesis.create_stream(StreamName="s", ShardCount=1)
        arn = kinesis.describe_stream_summary(StreamName="s")["StreamDescriptionSummary"]["StreamARN"]
        queue = sqs.create_queue(QueueName="on-failure")["QueueUrl"]
        yield kinesis, sqs, arn, queue


class Recorder:
    """A fake handler: records every delivery; `decide(sequence numbers, payloads)` returns or raises."""

    def __init__(self, decide=None):
        self.batches = []
        self.decide = decide or (lambda seqs, payloads: {"batchItemFailures": []})

    def __call__(self, event, context):
        seqs = [r["kinesis"]["sequenceNumber"] for r in event["Records"]]
        payloads = [base64.b64decode(r["kinesis"]["data"]).decode() for r in event["Records"]]
        self.batches.append(payloads)
        return self.decide(seqs, payloads)

    @property
    def delivered(self):
        return [p for batch in self.batches for p in batch]


def _mapping(aws, handler, settings=SETTINGS, **kwargs):
    kinesis, sqs, arn, queue = aws
    return KinesisEventSourceMapping(
        kinesis=kinesis,
        stream_name="s",
        stream_arn=arn,
        handler=handler,
        settings=settings,
        sqs=sqs,
        on_failure_queue_url=queue,
        **kwargs,
    )


def _put(aws, count):
    for n in range(count):
        aws[0].put_record(StreamName="s", Data=f"r{n}".encode(), PartitionKey="p")
    return [f"r{n}" for n in range(count)]


def _on_failure(aws):
    messages = aws[1].receive_message(QueueUrl=aws[3], MaxNumberOfMessages=10).get("Messages", [])
    return [json.loads(m["Body"]) for m in messages]


def test_delivers_every_record_once_in_order_in_batches_of_at_most_batch_size(aws):
    records = _put(aws, 25)
    handler = Recorder()
    captured = []
    mapping = _mapping(aws, lambda event, ctx: captured.append(event) or handler(event, ctx))
    mapping.drain()
    assert handler.delivered == records
    assert [len(b) for b in handler.batches] == [10, 10, 5]
    record = captured[0]["Records"][0]
    assert record["eventSource"] == "aws:kinesis"
    assert record["eventSourceARN"] == aws[2]
    assert record["eventID"] == f"shardId-000000000000:{record['kinesis']['sequenceNumber']}"
    assert record["kinesis"]["partitionKey"] == "p"
    assert record["kinesis"]["kinesisSchemaVersion"] == "1.0"
    assert isinstance(record["kinesis"]["approximateArrivalTimestamp"], float)
    assert mapping.stats.records_checkpointed == 25


def test_partial_failure_retries_from_the_lowest_failed_sequence_number(aws):
    records = _put(aws, 10)
    failed_once = set()

    def decide(seqs, payloads):
        failures = [s for s, p in zip(seqs, payloads, strict=True) if p in ("r4", "r7") and p not in failed_once]
        failed_once.update(p for p in payloads if p in ("r4", "r7"))
        return {"batchItemFailures": [{"itemIdentifier": s} for s in reversed(failures)]}

    handler = Recorder(decide)
    _mapping(aws, handler).drain()
    assert handler.batches == [records, records[4:]]


def test_an_empty_item_identifier_fails_the_whole_batch(aws):
    records = _put(aws, 4)
    calls = iter([{"batchItemFailures": [{"itemIdentifier": ""}]}])
    handler = Recorder(lambda seqs, payloads: next(calls, None))
    _mapping(aws, handler).drain()
    assert handler.batches[0] == records
    assert sorted(handler.delivered[4:]) == records  # redelivered (bisected), nothing lost


def test_bisects_a_crashing_batch_down_to_the_poison_record_and_sends_it_to_on_failure(aws):
    records = _put(aws, 10)
    succeeded = []

    def decide(seqs, payloads):
        if "r6" in payloads:
            raise RuntimeError("poison")
        succeeded.extend(payloads)
        return {}

    mapping = _mapping(aws, Recorder(decide))
    mapping.drain()
    assert sorted(succeeded) == sorted(r for r in records if r != "r6")
    assert len(succeeded) == 9  # every good record processed exactly once
    [message] = _on_failure(aws)
    info = message["KinesisBatchInfo"]
    assert info["batchSize"] == 1
    assert info["startSequenceNumber"] == info["endSequenceNumber"]
    assert info["shardId"] == "shardId-000000000000"
    assert info["streamArn"] == aws[2]
    assert message["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert mapping.stats.retries == SETTINGS.maximum_retry_attempts + 1
    assert mapping.stats.records_discarded == 1


def test_without_bisect_a_failing_batch_is_retried_then_discarded_whole(aws):
    _put(aws, 6)
    settings = dataclasses.replace(SETTINGS, bisect_batch_on_function_error=False)
    handler = Recorder(lambda seqs, payloads: {"batchItemFailures": [{"itemIdentifier": seqs[0]}]})
    _mapping(aws, handler, settings).drain()
    assert len(handler.batches) == 1 + settings.maximum_retry_attempts
    [message] = _on_failure(aws)
    assert message["KinesisBatchInfo"]["batchSize"] == 6
    assert message["requestContext"]["approximateInvokeCount"] == 3


def test_a_crash_in_the_middle_of_a_batch_redelivers_it_and_loses_nothing(aws):
    records = _put(aws, 10)
    side_effects = []
    crashed = []

    def decide(seqs, payloads):
        for n, payload in enumerate(payloads):
            if n == 5 and not crashed:
                crashed.append(True)
                raise RuntimeError("crash mid-batch")
            side_effects.append(payload)
        return {"batchItemFailures": []}

    mapping = _mapping(aws, Recorder(decide))
    mapping.drain()
    assert set(side_effects) == set(records)
    assert mapping.stats.function_errors == 1
    assert mapping.stats.records_discarded == 0
    assert _on_failure(aws) == []


def test_records_older_than_the_maximum_age_go_to_on_failure_without_an_invocation(aws):
    _put(aws, 3)
    now = [__import__("time").time() + SETTINGS.maximum_record_age_seconds + 5]
    handler = Recorder()
    _mapping(aws, handler, clock=lambda: now[0]).drain()
    assert handler.batches == []
    [message] = _on_failure(aws)
    assert message["requestContext"]["condition"] == "RecordAgeExceeded"
    assert message["KinesisBatchInfo"]["batchSize"] == 3


def test_waits_for_the_batching_window_unless_the_batch_is_full(aws):
    _put(aws, 3)
    now = [1000.0]
    mapping = _mapping(
        aws, Recorder(), settings=dataclasses.replace(SETTINGS, maximum_record_age_seconds=-1), clock=lambda: now[0]
    )
    consumer = mapping.consumers[0]
    consumer.poll()
    assert not consumer.ready()
    now[0] += SETTINGS.maximum_batching_window_seconds
    assert consumer.ready()


def test_reads_the_lowest_failed_index_from_the_handler_response():
    batch = [type("R", (), {"sequence_number": s})() for s in ("11", "12", "13")]
    assert first_failed_index({"batchItemFailures": []}, batch) is None
    assert first_failed_index(None, batch) is None
    assert first_failed_index({"batchItemFailures": [{"itemIdentifier": "13"}, {"itemIdentifier": "12"}]}, batch) == 1
    assert first_failed_index({"batchItemFailures": [{"itemIdentifier": "99"}]}, batch) == 0


class FlakySqs:
    """SQS whose first SendMessage fails, as an unreachable queue would."""

    def __init__(self, sqs):
        self.sqs, self.failures = sqs, 1

    def send_message(self, **kwargs):
        if self.failures:
            self.failures -= 1
            raise ConnectionError("queue unreachable")
        return self.sqs.send_message(**kwargs)


def test_records_are_dropped_only_once_their_on_failure_record_is_sent(aws):
    records = _put(aws, 3)
    settings = dataclasses.replace(SETTINGS, bisect_batch_on_function_error=False, maximum_retry_attempts=0)
    kinesis, sqs, arn, queue = aws

    def crash(seqs, payloads):
        raise RuntimeError("handler crashed")

    mapping = _mapping((kinesis, FlakySqs(sqs), arn, queue), Recorder(crash), settings)
    with pytest.raises(ConnectionError):
        mapping.drain()
    mapping.drain()  # the records were kept; this time the on-failure record goes out
    [message] = _on_failure(aws)
    assert message["KinesisBatchInfo"]["batchSize"] == len(records)
