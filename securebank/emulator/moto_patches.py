"""Narrow performance patches to moto 5.0.28, applied in the moto server process only.

DynamoDB: TransactWriteItems deep-copies every table of the backend before each call, to roll back on failure,
so each call costs time proportional to everything stored (74 ms on an empty table, over 1 s after 1,000
transactions). The patched version keeps moto's checks and error reporting and, instead of the copy, records the
previous state of each item it writes and restores only those on failure.

DynamoDB items: `Item.__init__` stores attributes one by one into a dict that re-measures the whole item on every
insertion (quadratic in the attribute count, most of PutItem's time for our 17-attribute items). The patched
constructor measures once, with the same 405,000-byte limit and the same ItemSizeTooLarge error, and only when the
item's JSON (an upper bound of its size) is over the limit. A transaction's condition is evaluated once, by the
patched TransactWriteItems, not parsed again by the put or update it guards.

Kinesis:
moto keeps a shard's records in an OrderedDict keyed by consecutive integer sequence numbers, but
`get_max_sequence_number` copies every key per PutRecord and `get_records` walks every record of the shard per
GetRecords call (and looks up the last record once per returned record), so both grow with the stream and a
10,000-record demo turns quadratic. The patched versions index by sequence number; they fall back to moto's own code
whenever the keys are not the contiguous run they expect. Behaviour (records, iterators, MillisBehindLatest) is
unchanged; tests/unit/test_emulator_moto_patches.py compares both.

Dispatch: the server's `get_backend_for_host` asks `list_of_moto_modules()` on every request, which lists moto's
package directory and stats each of its ~160 entries (1.3 ms of CPU per request, in every moto process). The
package does not change while the server runs: the patched function lists it once.
"""

from __future__ import annotations

import json
import math
from typing import Any

from contracts.aws import TRANSACT_WRITE_MAX_ACTIONS

MOTO_ITEM_SIZE_LIMIT = 405_000  # moto 5.0.28's LimitedSizeDict limit (bytes), kept by the patched Item constructor
_applied = False
originals: dict[str, Any] = {}


def apply() -> None:
    global _applied
    if _applied:
        return
    from moto.kinesis.models import Shard

    original_get_records = Shard.get_records
    originals.update(get_records=Shard.get_records, get_max_sequence_number=Shard.get_max_sequence_number)

    def get_max_sequence_number(self: Any) -> int:
        return next(reversed(self.records)) if self.records else 0

    def get_records(self: Any, last_sequence_id: str, limit: int | None) -> tuple[list[Any], int, int]:
        records = self.records
        if not records:
            return original_get_records(self, last_sequence_id, limit)
        first, last = next(iter(records)), next(reversed(records))
        if last - first + 1 != len(records):
            return original_get_records(self, last_sequence_id, limit)
        after = int(last_sequence_id)
        start = max(after + 1, first)
        stop = last + 1 if limit is None else min(last + 1, start + limit)
        results = [records[n] for n in range(start, stop)]
        if not results:
            return [], after, 0
        behind = records[last].created_at - results[-1].created_at
        return results, results[-1].sequence_number, int(behind * 1000)

    Shard.get_max_sequence_number = get_max_sequence_number  # type: ignore[method-assign]  # monkey-patching moto
    Shard.get_records = get_records  # type: ignore[method-assign]  # monkey-patching moto
    _patch_transact_write_items()
    _patch_item_init()
    _patch_module_listing()
    _applied = True


def revert() -> None:
    """Restore moto's own code (tests apply the patches in their process and must not leak them)."""
    global _applied
    if not _applied:
        return
    from moto import backends
    from moto.dynamodb import models
    from moto.dynamodb.models import dynamo_type
    from moto.kinesis.models import Shard

    backends.list_of_moto_modules = originals["list_of_moto_modules"]
    Shard.get_records = originals["get_records"]  # type: ignore[method-assign]  # monkey-patching moto
    Shard.get_max_sequence_number = originals["get_max_sequence_number"]  # type: ignore[method-assign]  # monkey-patching moto
    dynamo_type.Item.__init__ = originals["Item.__init__"]  # type: ignore[method-assign]  # monkey-patching moto
    models.DynamoDBBackend.transact_write_items = originals["transact_write_items"]  # type: ignore[method-assign]  # monkey-patching moto
    _applied = False


def _patch_module_listing() -> None:
    from moto import backends

    originals["list_of_moto_modules"] = backends.list_of_moto_modules
    modules = tuple(backends.list_of_moto_modules())
    backends.list_of_moto_modules = lambda: modules


def _json_length(attrs: dict[str, Any]) -> float:
    """An upper bound of an item's DynamoDB size: its wire JSON is longer than the UTF-8 of its names and values
    (a name's quotes, a value's type tag; a non-ASCII character escapes to 6 characters for at most 4 bytes)."""
    try:
        return len(json.dumps(attrs))
    except (TypeError, ValueError):  # not wire JSON (bytes, sets): measure exactly
        return math.inf


def _patch_item_init() -> None:
    from moto.dynamodb.exceptions import ItemSizeTooLarge
    from moto.dynamodb.models import dynamo_type
    from moto.dynamodb.models.utilities import bytesize

    originals["Item.__init__"] = dynamo_type.Item.__init__

    def item_init(self: Any, hash_key: Any, range_key: Any, attrs: dict[str, Any]) -> None:
        self.hash_key = hash_key
        self.range_key = range_key
        values = {key: dynamo_type.DynamoType(value) for key, value in attrs.items()}
        if _json_length(attrs) > MOTO_ITEM_SIZE_LIMIT and (
            sum(bytesize(key) + value.size() for key, value in values.items()) > MOTO_ITEM_SIZE_LIMIT
        ):
            raise ItemSizeTooLarge
        self.attrs = dynamo_type.LimitedSizeDict(values)

    dynamo_type.Item.__init__ = item_init  # type: ignore[method-assign]  # monkey-patching moto


def _patch_transact_write_items() -> None:
    from moto.dynamodb import models
    from moto.dynamodb.exceptions import (
        ConditionalCheckFailed,
        MultipleTransactionsException,
        TooManyTransactionsException,
        TransactionCanceledException,
        TransactWriteSingleOpException,
    )

    backend_class = models.DynamoDBBackend
    originals["transact_write_items"] = backend_class.transact_write_items
    filter_expression = models.get_filter_expression  # type: ignore[attr-defined]  # moto re-exports it implicitly

    def rollback(self: Any, undo: list[tuple[str, dict[str, Any], dict[str, Any] | None]]) -> None:
        for table_name, key, previous in reversed(undo):
            if previous is None:
                self.delete_item(table_name, key)
            else:
                self.put_item(table_name, previous)

    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        if len(transact_items) > TRANSACT_WRITE_MAX_ACTIONS:
            raise TooManyTransactionsException()
        target_items: set[tuple[str, str]] = set()
        undo: list[tuple[str, dict[str, Any], dict[str, Any] | None]] = []
        errors: list[tuple[Any, Any, Any]] = []
        for item in transact_items:
            original_item: dict[str, Any] | None = None
            if len(list(item.keys())) > 1:
                raise TransactWriteSingleOpException
            try:
                op_type, op = next(iter(item.items()))
                if op_type not in {"ConditionCheck", "Put", "Delete", "Update"}:
                    raise ValueError("Unsupported transaction operation")
                table_name = op["TableName"]
                condition_expression = op.get("ConditionExpression")
                names = op.get("ExpressionAttributeNames")
                values = op.get("ExpressionAttributeValues")
                if op_type == "Put":
                    table = self.get_table(table_name)
                    key = {table.hash_key_attr: op["Item"][table.hash_key_attr]}
                    if table.range_key_attr is not None:
                        key[table.range_key_attr] = op["Item"][table.range_key_attr]
                else:
                    key = op["Key"]
                marker = (str(table_name), str(key))
                if marker in target_items:
                    raise MultipleTransactionsException()
                target_items.add(marker)
                current = self.get_item(table_name, key)
                if condition_expression is not None:
                    condition = filter_expression(condition_expression, names, values)
                    if not condition.expr(current):
                        if op.get("ReturnValuesOnConditionCheckFailure") == "ALL_OLD" and current:
                            original_item = current.to_json()["Attributes"]
                        raise ConditionalCheckFailed(item=original_item)
                if op_type != "ConditionCheck":
                    undo.append((table_name, key, current.to_json()["Attributes"] if current else None))
                # the condition was checked on `current` just above, under the service lock: not parsed twice
                common = {"expression_attribute_names": names, "expression_attribute_values": values}
                if op_type == "Put":
                    self.put_item(table_name, op["Item"], **common)
                elif op_type == "Delete":
                    self.delete_item(table_name, key, **common)
                elif op_type == "Update":
                    self.update_item(table_name, key, update_expression=op["UpdateExpression"], **common)
                errors.append((None, None, None))
            except MultipleTransactionsException:
                rollback(self, undo)
                raise MultipleTransactionsException() from None
            except ConditionalCheckFailed as e:
                errors.append(("ConditionalCheckFailed", str(e.message), original_item))
            except Exception as e:
                errors.append((type(e).__name__, str(e), original_item))
        if any(code is not None for code, _, _ in errors):
            rollback(self, undo)
            raise TransactionCanceledException(errors)

    backend_class.transact_write_items = transact_write_items  # type: ignore[method-assign]  # monkey-patching moto
