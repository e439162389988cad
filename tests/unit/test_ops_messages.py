"""How the operator tools read the messages they act on: the quarantine's, the on-failure destination's, and the
lake's JSON Lines rows of one customer."""

from __future__ import annotations

import gzip
import json

from adapters.sqs_quarantine import message_body
from securebank.ops.lake_rows import decode, encode, without_customer
from securebank.ops.queues import Message
from securebank.ops.redrive import DEFAULT_PARTITION_KEY, PARTITION_KEY_MAX_CHARS, parse
from securebank.ops.replay import Pointer


def message(body: str) -> Message:
    return Message("https://sqs/q", "id-1", "handle", body)


def test_a_quarantined_record_is_redriven_under_its_customers_partition_key():
    quarantined = parse(message(message_body(json.dumps({"customer_id": "ann", "amount": "x"}), "amount: bad", "s")))

    assert quarantined is not None
    assert (quarantined.reason, quarantined.partition_key) == ("amount: bad", "ann")
    assert json.loads(quarantined.payload or "") == {"customer_id": "ann", "amount": "x"}


def test_a_record_without_a_customer_is_keyed_by_its_source_and_a_cut_payload_is_not_redriven():
    no_customer = parse(message(message_body("{", "record: not JSON", "arn/shard/7" + "x" * 300)))
    cut = parse(message(message_body("y" * 300_000, "record: too big", "")))

    assert no_customer is not None and cut is not None
    assert no_customer.partition_key == ("arn/shard/7" + "x" * 300)[:PARTITION_KEY_MAX_CHARS]
    assert (cut.payload, cut.partition_key) == (None, DEFAULT_PARTITION_KEY)
    assert parse(message("not json")) is None
    assert parse(message(json.dumps({"reason": "r", "payload": 3}))) is None


def test_an_on_failure_record_points_at_its_shard_range_and_stream():
    arn = "arn:aws:kinesis:eu-west-1:1:stream/S-dev"
    body = {"KinesisBatchInfo": {"shardId": "shardId-000000000001", "startSequenceNumber": "49", "batchSize": 2,
                                 "endSequenceNumber": "51", "streamArn": arn}}  # fmt: skip

    pointer = Pointer.of(json.dumps(body))

    assert pointer == Pointer("shardId-000000000001", "49", "51", 2, arn)
    assert pointer.stream_name == "S-dev"
    assert Pointer.of(json.dumps({"requestContext": {}})) is None


def test_only_the_customers_rows_are_removed_and_every_other_line_is_kept_byte_for_byte():
    lines = ['{"customer_id":"ann","n":1}\n', '{"customer_id": "bob", "n": 2}\n', "not json ann\n",
             '{"customer_id":"anne"}\n', '{"transaction_id":"t-ann"}\n', '{"customer_id":"ann"}']  # fmt: skip

    text, removed = without_customer("".join(lines), "ann")

    assert removed == 2
    assert text == "".join(lines[1:5])
    assert without_customer("".join(lines), "zed") == ("".join(lines), 0)


def test_a_customer_id_written_with_json_escapes_is_found():
    row = json.dumps({"customer_id": "zoë"}) + "\n"  # ASCII-escaped, as json.dumps writes by default

    assert without_customer(row, "zoë") == ("", 1)


def test_gzip_objects_are_read_and_written_as_gzip_and_others_as_text():
    assert gzip.decompress(encode("a/b.jsonl.gz", "x\n")) == b"x\n"
    assert decode("a/b.jsonl.gz", encode("a/b.jsonl.gz", "x\n")) == "x\n"
    assert encode("labels/l.jsonl", "y\n") == b"y\n"
