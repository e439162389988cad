"""Count AWS API calls per `service.Operation` with botocore event hooks, and estimate DynamoDB request units.

Attach to a boto3 Session (or a botocore event emitter) before the clients are made: clients copy the session's
hooks when they are created. `before-call` fires once per API call (SDK retries of one call are not counted again),
including calls that a test hook answers itself.

Request units are estimated from the items' sizes by DynamoDB's sizing rules (attribute names + values; Numbers
about 1 byte per 2 significant digits + 1): a transactional write costs 2 WRU per started KB; each write to a table
also writes each index with an ALL projection that the item belongs to (it carries the index's key attributes: a
sparse index such as the review queue's takes only the items that do), assumed at the standard 1 WRU per KB; an
Update or Delete, whose item is not in the request, is counted in every index; a strongly consistent read
costs 1 RRU per started 4 KB per item, at least 1 per key asked for.

Time in calls, two ways: `seconds_in_calls` is wall time from `before-call` to `after-call` (signing, sending,
parsing the answer); `cpu_seconds_sending` is the calling thread's CPU time (time.thread_time) from `before-send`
(registered first, so before an in-process moto's own `before-send` handler answers the request) to `before-parse`
(the answer is back, not yet parsed). With in-process moto (mock_aws), which runs in the calling thread, that is
moto's CPU; against a server it is only the client's sending and waiting.
"""

from __future__ import annotations

import math
import threading
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from contracts.aws import TableSpec

IndexKeys = Sequence[tuple[str, ...]]
"""Per index of a table, the names of its key attributes: an item is written to the index only if it has them all."""

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


def index_keys(spec: TableSpec) -> IndexKeys:
    """The key attribute names of each index of a table (global and local)."""
    return tuple(
        tuple(key.name for key in (index.partition_key, index.sort_key) if key is not None)
        for index in (*spec.global_indexes, *spec.local_indexes)
    )


def _indexes_written(body: Mapping[str, Any], indexes: IndexKeys) -> int:
    item = body.get("Item")
    if item is None:  # an Update or Delete: sized by its key, counted in every index
        return len(indexes)
    return sum(1 for keys in indexes if all(name in item for name in keys))


def request_units(
    operation: str, params: Mapping[str, Any], indexes_per_table: Mapping[str, IndexKeys]
) -> tuple[float, float]:
    """(write, read) request units of one DynamoDB request, from its parameters, before DynamoDB answers.

    A transactional write costs 2 WRU per started KB of each item it writes (an Update or Delete is sized by its key:
    the item is not in the request), plus 1 WRU per KB in each index of its table that projects ALL and that the
    item carries the keys of (every index for an Update or Delete); a ConditionCheck
    is a transactional read, 2 RRU. BatchGetItem: 1 RRU per key asked for strongly consistent, 0.5 otherwise (items
    over 4 KB cost more: counted from the response by AwsCallCounter)."""
    write = read = 0.0
    if operation == "TransactWriteItems":
        for action in params.get("TransactItems", []):
            ((kind, body),) = action.items()
            if kind == "ConditionCheck":
                read += 2
                continue
            units = math.ceil(max(item_size(body.get("Item") or body.get("Key") or {}), 1) / KB)
            write += (2 + _indexes_written(body, indexes_per_table.get(body.get("TableName", ""), ()))) * units
    elif operation == "BatchGetItem":
        for request in params.get("RequestItems", {}).values():
            read += (1 if request.get("ConsistentRead") else 0.5) * len(request.get("Keys", []))
    return write, read


class _Started(threading.local):
    at: list[float]
    sending: float | None

    def __init__(self) -> None:
        self.at = []
        self.sending = None


class AwsCallCounter:
    """The one AWS call counter: calls per `service.Operation`, time in each, and DynamoDB request units.

    Thread-safe: the local stack's mapping process runs the handler on several threads."""

    def __init__(self, indexes_per_table: Mapping[str, IndexKeys] | None = None) -> None:
        self.calls: Counter[str] = Counter()
        self.call_seconds: dict[str, float] = {}
        self.write_units = 0.0
        self.read_units = 0.0
        self.seconds_in_calls = 0.0
        self.cpu_seconds_sending = 0.0
        self._indexes = dict(indexes_per_table or {})
        self._started = _Started()
        self._lock = threading.Lock()

    def attach(self, events: Any) -> AwsCallCounter:
        """`events`: a boto3 Session, a botocore client's `meta.events`, or an event emitter."""
        events = getattr(events, "events", events)
        events.register("before-parameter-build.dynamodb", self._estimate_request)
        events.register("before-call", self._count)
        events.register("after-call", self._done)
        events.register("after-call.dynamodb.BatchGetItem", self._estimate_reads)
        events.register_first("before-send", self._sending)
        events.register("before-parse", self._answered)
        return self

    def per_100(self, transactions: int) -> dict[str, float]:
        return {op: round(100 * n / transactions, 3) for op, n in sorted(self.calls.items())}

    def _count(self, event_name: str, **_: Any) -> None:
        _prefix, service, operation = event_name.split(".", 2)
        with self._lock:
            self.calls[f"{service}.{operation}"] += 1
        self._started.at.append(time.perf_counter())

    def _done(self, event_name: str, **_: Any) -> None:
        if not self._started.at:
            return
        elapsed = time.perf_counter() - self._started.at.pop()
        _prefix, service, operation = event_name.split(".", 2)
        op = f"{service}.{operation}"
        with self._lock:
            self.seconds_in_calls += elapsed
            self.call_seconds[op] = self.call_seconds.get(op, 0.0) + elapsed

    def _sending(self, **_: Any) -> None:
        self._started.sending = time.thread_time()

    def _answered(self, **_: Any) -> None:
        started, self._started.sending = self._started.sending, None
        if started is None:
            return
        elapsed = time.thread_time() - started
        with self._lock:
            self.cpu_seconds_sending += elapsed

    def _estimate_request(self, event_name: str, params: Mapping[str, Any], **_: Any) -> None:
        write, read = request_units(event_name.rsplit(".", 1)[-1], params, self._indexes)
        with self._lock:
            self.write_units += write
            self.read_units += read

    def _estimate_reads(self, parsed: Mapping[str, Any], **_: Any) -> None:
        """Items over 4 KB cost more than the units counted when the request was built."""
        items = [i for items in parsed.get("Responses", {}).values() for i in items]
        extra = sum(math.ceil(item_size(i) / (4 * KB)) - 1 for i in items)
        with self._lock:
            self.read_units += extra
