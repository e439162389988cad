"""Quarantine contract: every record put is kept with its payload, reason and source (SQS: one message each)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from adapters.memory import RecordingQuarantine
from adapters.sqs_quarantine import MAX_BODY_BYTES, SqsQuarantine
from tests.conftest import Resources
from tests.contract.conftest import MOTO_EXAMPLES

Kept = tuple[str, str, str]


def receive_all(client: Any, queue_url: str) -> list[dict[str, Any]]:
    bodies: list[dict[str, Any]] = []
    while messages := client.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages"):
        bodies += [json.loads(m["Body"]) for m in messages]
        client.delete_message_batch(QueueUrl=queue_url, Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]}
                                                                 for i, m in enumerate(messages)])  # fmt: skip
    return bodies


@pytest.fixture(params=["memory", "sqs"])
def make_quarantine(request: pytest.FixtureRequest) -> Callable[[], tuple[Any, Callable[[], list[Kept]]]]:
    if request.param == "memory":

        def memory() -> tuple[Any, Callable[[], list[Kept]]]:
            quarantine = RecordingQuarantine()
            return quarantine, lambda: list(quarantine.records)

        return memory
    make_resources: Callable[[], Resources] = request.getfixturevalue("make_resources")

    def sqs() -> tuple[Any, Callable[[], list[Kept]]]:
        resources = make_resources()
        client = resources.client("sqs")

        def read() -> list[Kept]:
            return [
                (m["payload"], m["reason"], m["source"]) for m in receive_all(client, resources.quarantine_queue_url)
            ]

        return SqsQuarantine(client, resources.quarantine_queue_url), read

    return sqs


payloads = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40)


@MOTO_EXAMPLES
@given(records=st.lists(st.tuples(payloads, st.sampled_from(["body: is not JSON", "amount: must be greater than 0"]),
                                  st.from_regex(r"shardId-0/[0-9]{1,5}", fullmatch=True)), max_size=5))  # fmt: skip
def test_keeps_every_record_with_its_reason_and_source(make_quarantine, records: list[Kept]):
    quarantine, read = make_quarantine()
    for record in records:
        quarantine.put(*record)

    assert sorted(read()) == sorted(records)


@pytest.mark.parametrize("char", ["x", "\u00e9", "\U0001f4b3"])
def test_sqs_cuts_an_oversized_payload_to_fit_and_says_so(make_resources: Callable[[], Resources], char: str):
    resources = make_resources()
    client = resources.client("sqs")
    payload = char * 300_000
    SqsQuarantine(client, resources.quarantine_queue_url).put(payload, "body: too big", "s/1")

    (message,) = receive_all(client, resources.quarantine_queue_url)
    assert len(json.dumps(message)) <= MAX_BODY_BYTES
    assert payload.startswith(message["payload"]) and len(message["payload"]) > 1000
    assert message["truncated_from_chars"] == 300_000


def test_a_huge_reason_is_cut_too_so_the_message_always_fits():
    from adapters.sqs_quarantine import MAX_REASON_CHARS, message_body

    body = json.loads(message_body("payload", "extra: " + "k" * 300_000, "s/1"))
    assert len(json.dumps(body)) <= MAX_BODY_BYTES
    assert len(body["reason"]) <= MAX_REASON_CHARS + 3
    assert body["payload"] == "payload"
