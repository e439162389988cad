"""Quarantine on SQS: a record that cannot be processed is set aside with why, never retried forever nor dropped.

The message body is JSON `{"reason", "source", "payload"}` (ASCII-escaped, so any payload is valid SQS text).
SQS bodies are limited to 256 KiB; a payload that does not fit is cut to fit (escapes included) and the message
gives its full length in characters, since its source (stream, shard and sequence number) identifies the record.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

MAX_BODY_BYTES = 250_000
"""Under SQS's 262,144-byte limit, leaving room for message attributes and metadata."""


class SqsQuarantine:
    def __init__(self, client: SQSClient, queue_url: str) -> None:
        self._client = client
        self._queue_url = queue_url

    def put(self, payload: str, reason: str, source: str) -> None:
        self._client.send_message(QueueUrl=self._queue_url, MessageBody=message_body(payload, reason, source))


MAX_REASON_CHARS = 1_000
"""A reason can quote client input (an unknown field's name): it is cut too, so the payload can always fit."""


def message_body(payload: str, reason: str, source: str) -> str:
    if len(reason) > MAX_REASON_CHARS:
        reason = reason[:MAX_REASON_CHARS] + "..."
    message: dict[str, Any] = {"reason": reason, "source": source, "payload": payload}
    body = json.dumps(message)
    cut = len(payload)
    while len(body) > MAX_BODY_BYTES and cut > 0:  # ASCII-only JSON: characters are bytes
        cut = max(0, cut * MAX_BODY_BYTES // len(body) - 16)
        message = {**message, "payload": payload[:cut], "truncated_from_chars": len(payload)}
        body = json.dumps(message)
    return body
