"""Count AWS API calls per `service.Operation` with botocore event hooks, and estimate DynamoDB request units.

Attach to a boto3 Session (or a botocore event emitter) before the clients are made: clients copy the session's
hooks when they are created. `before-call` fires once per API call (SDK retries of one call are not counted again),
including calls that a test hook answers itself.

Request units are estimated from the items' sizes by DynamoDB's sizing rules (attribute names + values; Numbers
about 1 byte per 2 significant digits + 1): a transactional write costs 2 WRU per started KB; each write to a table
also writes each index with an ALL projection, assumed at the standard 1 WRU per KB; a strongly consistent read
costs 1 RRU per started 4 KB per item, at least 1 per key asked for.
"""

from __future__ import annotations

import math
import time
from collections import Counter
from collections.abc import Mapping
from typing import Any

KB = 1024


def attribute_size(value: Mapping[str, Any]) -> int:
    """Bytes of one DynamoDB AttributeValue (`{"S": ...}`, `{"N": ...}`, `{"M": {...}}`, ...)."""
    ((kind, data),) = value.items()
    if kind == "S":
        return len(data.encode())
    if kind == "N":
        digits = data.lstrip("-").replace(".", "").lstrip("0") or "0"
        return math.ceil(len(digits.rstrip("0") or "0") / 2) + 1
    if kind == "B":
        return len(data)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "L":
        return 3 + sum(1 + attribute_size(v) for v in data)
    if kind == "M":
        return 3 + sum(1 + len(k.encode()) + attribute_size(v) for k, v in data.items())
    if kind in ("SS", "NS", "BS"):
        return sum(attribute_size({kind[0]: v}) for v in data)
    raise ValueError(f"unknown AttributeValue type {kind}")


def item_size(item: Mapping[str, Mapping[str, Any]]) -> int:
    return sum(len(name.encode()) + attribute_size(value) for name, value in item.items())


class AwsCallCounter:
    def __init__(self, indexes_per_table: Mapping[str, int] | None = None) -> None:
        self.calls: Counter[str] = Counter()
        self.write_units = 0.0
        self.read_units = 0.0
        self.seconds_in_calls = 0.0
        self._indexes = dict(indexes_per_table or {})
        self._started: list[float] = []

    def attach(self, events: Any) -> AwsCallCounter:
        """`events`: a boto3 Session, a botocore client's `meta.events`, or an event emitter."""
        events = getattr(events, "events", events)
        events.register("before-parameter-build.dynamodb", self._estimate_request)
        events.register("before-call", self._count)
        events.register("after-call", self._done)
        events.register("after-call.dynamodb.BatchGetItem", self._estimate_reads)
        return self

    def per_100(self, transactions: int) -> dict[str, float]:
        return {op: round(100 * n / transactions, 3) for op, n in sorted(self.calls.items())}

    def _count(self, event_name: str, **_: Any) -> None:
        _prefix, service, operation = event_name.split(".", 2)
        self.calls[f"{service}.{operation}"] += 1
        self._started.append(time.perf_counter())

    def _done(self, **_: Any) -> None:
        if self._started:
            self.seconds_in_calls += time.perf_counter() - self._started.pop()

    def _estimate_request(self, event_name: str, params: Mapping[str, Any], **_: Any) -> None:
        if event_name.endswith(".BatchGetItem"):
            self.read_units += sum(len(r.get("Keys", [])) for r in params.get("RequestItems", {}).values())
        if not event_name.endswith(".TransactWriteItems"):
            return
        for action in params.get("TransactItems", []):
            put = action.get("Put")
            if put is None:
                continue
            units = math.ceil(item_size(put["Item"]) / KB)
            self.write_units += 2 * units + units * self._indexes.get(put["TableName"], 0)

    def _estimate_reads(self, parsed: Mapping[str, Any], **_: Any) -> None:
        """Items over 4 KB cost more than the 1 RRU per key counted when the request was built."""
        items = [i for items in parsed.get("Responses", {}).values() for i in items]
        self.read_units += sum(math.ceil(item_size(i) / (4 * KB)) - 1 for i in items)
