"""Quarantine on SQS: a record that cannot be processed is set aside with why, never retried forever nor dropped.

The message body is JSON `{"reason", "source", "payload"}` (ASCII-escaped, so any payload is valid SQS text).
SQS messages are limited to 256 KiB; a larger payload is cut to PAYLOAD_LIMIT characters and the message says so
(with the full length), since its source (stream, shard and sequence number) still identifies the record.
"""

from __future__ import annotations

import json
from typing import Any

PAYLOAD_LIMIT = 200_000


class SqsQuarantine:
    def __init__(self, client: Any, queue_url: str) -> None:
        self._client = client
        self._queue_url = queue_url

    def put(self, payload: str, reason: str, source: str) -> None:
        message: dict[str, Any] = {"reason": reason, "source": source, "payload": payload[:PAYLOAD_LIMIT]}
        if len(payload) > PAYLOAD_LIMIT:
            message["truncated_from_chars"] = len(payload)
        self._client.send_message(QueueUrl=self._queue_url, MessageBody=json.dumps(message))
