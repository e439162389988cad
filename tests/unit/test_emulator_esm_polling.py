"""When the mapping polls again: at the idle interval with nothing pending; while a batch fills, when it should be
full at the rate records arrive, or when its window ends, never sooner than FILLING_POLL_INTERVAL."""

import dataclasses
from datetime import UTC, datetime

import pytest

from contracts.aws import EVENT_SOURCE
from securebank.emulator.esm import FILLING_POLL_INTERVAL, KinesisEventSourceMapping

IDLE = 0.2


class FakeKinesis:
    """One shard; `arrive(n)` puts n records that the next GetRecords returns."""

    def __init__(self):
        self.waiting = 0
        self.sequence = 0

    def list_shards(self, StreamName):  # noqa: N803  (boto3's parameter names)
        return {"Shards": [{"ShardId": "shardId-000000000000"}]}

    def get_shard_iterator(self, **kwargs):
        return {"ShardIterator": "it"}

    def get_records(self, ShardIterator, Limit):  # noqa: N803
        records = []
        for _ in range(self.waiting):
            self.sequence += 1
            arrival = datetime.now(UTC)
            records.append({"SequenceNumber": str(self.sequence), "PartitionKey": "p", "Data": b"{}",
                            "ApproximateArrivalTimestamp": arrival})  # fmt: skip
        self.waiting = 0
        return {"Records": records, "NextShardIterator": "it"}


@pytest.fixture
def shard():
    now = [1000.0]
    kinesis = FakeKinesis()
    settings = dataclasses.replace(EVENT_SOURCE, batch_size=100, maximum_batching_window_seconds=1)
    mapping = KinesisEventSourceMapping(
        kinesis=kinesis, stream_name="s", stream_arn="arn", handler=lambda e, c: None, settings=settings,
        clock=lambda: now[0],
    )  # fmt: skip
    return mapping.consumers[0], kinesis, now


def test_with_nothing_pending_the_mapping_polls_at_its_idle_interval(shard):
    consumer, _, _ = shard
    assert consumer.next_poll_in(IDLE) == IDLE


def test_while_a_batch_fills_the_next_poll_is_when_it_should_be_full(shard):
    consumer, kinesis, now = shard
    consumer.poll()  # the first poll: no rate yet
    now[0] += 0.1
    kinesis.waiting = 30
    consumer.poll()  # 30 records in 0.1 s: 300 a second, 70 more make a batch in 0.233 s
    assert consumer.arrival_rate == pytest.approx(300)
    assert consumer.next_poll_in(1.0) == pytest.approx(70 / 300)
    assert consumer.next_poll_in(IDLE) == IDLE  # never later than the idle interval
    now[0] += 0.1
    kinesis.waiting = 69
    consumer.poll()
    assert consumer.next_poll_in(IDLE) == FILLING_POLL_INTERVAL  # one record short: soon, but not in a busy loop


def test_a_batch_that_will_not_fill_is_polled_for_when_its_window_ends(shard):
    consumer, kinesis, now = shard
    consumer.poll()
    now[0] += 1.0
    kinesis.waiting = 5  # 5 a second: the batch would take 19 s to fill
    consumer.poll()
    now[0] += 0.9
    assert consumer.next_poll_in(IDLE) == pytest.approx(0.1)
