"""`ops redrive-quarantine` on moto: quarantined records go back on the stream and from there into the table; what
is still invalid is quarantined again with its reason; the filter and the dry run."""

from __future__ import annotations

import json
from collections.abc import Callable

from adapters.sqs_quarantine import SqsQuarantine, message_body
from securebank.ops.redrive import redrive_quarantine
from tests.integration.test_ops_stack import OpsStack, make_stack, recent_body

__all__ = ["make_stack"]

BUG = "record: could not be parsed (KeyError)"
"""A reason a processor bug gave: once it is fixed, the record is valid."""


def quarantine(stack: OpsStack, payloads: list[tuple[str, str]], dlq: bool = False) -> None:
    url = stack.resources.quarantine_dlq_url if dlq else stack.resources.quarantine_queue_url
    sqs = SqsQuarantine(stack.client("sqs"), url)
    for payload, reason in payloads:
        sqs.put(payload, reason, f"{stack.resources.stream_arn}/shardId-000000000000/1")


def test_a_redrive_empties_the_quarantine_into_the_table_and_a_still_invalid_record_stays_quarantined(
    make_stack: Callable[[], OpsStack],
):
    stack = make_stack()
    good, moved = recent_body("ann"), recent_body("bob")
    bad = {k: v for k, v in recent_body("cat").items() if k != "amount"}
    quarantine(stack, [(json.dumps(good), BUG), (json.dumps(bad), BUG)])
    quarantine(stack, [(json.dumps(moved), BUG)], dlq=True)  # listed five times: moved to the DLQ

    report = redrive_quarantine(stack.target, wait_seconds=0)
    counts = stack.deliver_stream()

    assert (report.redriven, report.put_failed, report.by_reason[BUG]) == (3, 0, 3)
    assert stack.messages(stack.resources.quarantine_dlq_url) == []
    assert stack.transaction_keys() == {("ann", good["transaction_id"]), ("bob", moved["transaction_id"])}
    assert (counts.processed, counts.quarantined) == (2, 1)
    (left,) = stack.messages(stack.resources.quarantine_queue_url)
    assert left["reason"].startswith("amount")
    assert json.loads(left["payload"]) == bad


def test_a_redrive_by_reason_leaves_the_other_reasons_and_a_truncated_payload_quarantined(
    make_stack: Callable[[], OpsStack],
):
    stack = make_stack()
    good = recent_body("ann")
    quarantine(stack, [(json.dumps(good), BUG), (json.dumps(recent_body("bob")), "conflicting_resubmission: x")])
    cut = json.loads(message_body("x" * 300_000, BUG, "src"))
    stack.client("sqs").send_message(QueueUrl=stack.resources.quarantine_queue_url, MessageBody=json.dumps(cut))

    report = redrive_quarantine(stack.target, "record:", wait_seconds=0)
    stack.deliver_stream()

    assert (report.matched, report.redriven, report.truncated_kept) == (2, 1, 1)
    assert stack.transaction_keys() == {("ann", good["transaction_id"])}
    left = stack.messages(stack.resources.quarantine_queue_url)
    assert sorted(m["reason"] for m in left) == ["conflicting_resubmission: x", BUG]


def test_a_dry_run_counts_by_reason_and_changes_nothing(make_stack: Callable[[], OpsStack]):
    stack = make_stack()
    quarantine(stack, [(json.dumps(recent_body("ann")), BUG), ("{", BUG), ("[]", "record: not an object")])

    report = redrive_quarantine(stack.target, dry_run=True, wait_seconds=0)

    assert dict(report.by_reason) == {BUG: 2, "record: not an object": 1}
    assert (report.matched, report.redriven) == (3, 0)
    assert len(stack.messages(stack.resources.quarantine_queue_url)) == 3
    assert stack.stream_records()[1] == []
