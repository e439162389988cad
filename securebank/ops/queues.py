"""Reading a whole SQS queue for an operator: every message received once, held invisible while it is handled, then
deleted (handled) or released (made visible again at once).

Each receive counts towards the quarantine's redrive policy (QUARANTINE_MAX_RECEIVES, then its DLQ): the tools read
the DLQ too, so a message moved there by repeated listings is still found.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

SQS_MAX_MESSAGES = 10
"""ReceiveMessage and the *Batch calls take at most 10 messages or entries."""
HOLD_SECONDS = 300
"""How long a received message stays invisible to other readers while the tool handles it."""


@dataclass(frozen=True)
class Message:
    queue_url: str
    message_id: str
    receipt_handle: str
    body: str


def receive_all(sqs: Any, queue_url: str, wait_seconds: int = 1) -> Iterator[Message]:
    """Every message of the queue, each once (by id), until a receive returns none. Long polling (`wait_seconds`)
    asks every SQS server, so an empty answer means an empty (or fully held) queue."""
    seen: set[str] = set()
    while True:
        response = sqs.receive_message(
            QueueUrl=queue_url,
            MaxNumberOfMessages=SQS_MAX_MESSAGES,
            VisibilityTimeout=HOLD_SECONDS,
            WaitTimeSeconds=wait_seconds,
        )
        batch = [m for m in response.get("Messages", []) if m["MessageId"] not in seen]
        if not batch:
            return
        for message in batch:
            seen.add(message["MessageId"])
            yield Message(queue_url, message["MessageId"], message["ReceiptHandle"], message["Body"])


def delete(sqs: Any, messages: list[Message]) -> None:
    _batched(sqs.delete_message_batch, messages, lambda m: {})


def release(sqs: Any, messages: list[Message]) -> None:
    """Visible again now, for the next reader (a dry run, or messages the tool did not handle)."""
    _batched(sqs.change_message_visibility_batch, messages, lambda m: {"VisibilityTimeout": 0})


def _batched(call: Any, messages: list[Message], extra: Any) -> None:
    by_queue: dict[str, list[Message]] = {}
    for message in messages:
        by_queue.setdefault(message.queue_url, []).append(message)
    for queue_url, queued in by_queue.items():
        for start in range(0, len(queued), SQS_MAX_MESSAGES):
            chunk = queued[start : start + SQS_MAX_MESSAGES]
            entries = [{"Id": str(i), "ReceiptHandle": m.receipt_handle, **extra(m)} for i, m in enumerate(chunk)]
            response = call(QueueUrl=queue_url, Entries=entries)
            if response.get("Failed"):
                raise RuntimeError(f"SQS refused {len(response['Failed'])} of {len(entries)}: {response['Failed']}")
