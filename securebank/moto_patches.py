"""A narrow patch of moto's DynamoDB for the benchmark and the local stack (never part of the Lambda bundle).

moto (5.0.28 here) deep-copies every table before each TransactWriteItems call, so that it can roll back when the
transaction is cancelled. That makes a call O(everything stored): measured on the processor benchmark, a 100-action
call took about 1.5 s with 1,000 transactions stored, and the 10,000-transaction run grew past 6 GB and 10 minutes.
(Each item's attributes are a `LimitedSizeDict` whose `__setitem__` re-sums the item's size, and deepcopy rebuilds
dicts through `__setitem__`, so even one item's copy is quadratic in its attributes.)

The patch keeps moto's semantics and changes only what is copied: before the call, the items the transaction
names (by table and key) are saved, deep-copied one by one; the tables themselves are handed to moto's
`copy.deepcopy` as is. If moto cancels the transaction, those items are put back exactly as they were (or removed
if they did not exist), which is what restoring the whole-table copy did for them; no other item can have changed.
`LimitedSizeDict` also gets a `__deepcopy__` that skips the size re-check (a copy of a valid item is valid).
`apply()` is idempotent. tests/integration/test_processor_moto_patch.py checks rollback with and without it.
"""

from __future__ import annotations

import copy
import functools
from collections import OrderedDict
from typing import Any


class _TablesSharedOnDeepcopy(OrderedDict[str, Any]):
    """moto's `copy.deepcopy(self.tables)` returns this very mapping: the rollback is done by the wrapper."""

    def __deepcopy__(self, memo: dict[int, Any]) -> _TablesSharedOnDeepcopy:
        return self


def _limited_size_dict_deepcopy(self: Any, memo: dict[int, Any]) -> Any:
    clone = type(self).__new__(type(self))
    memo[id(self)] = clone
    dict.update(clone, ((key, copy.deepcopy(value, memo)) for key, value in self.items()))
    return clone


def _keys(backend: Any, transact_items: list[dict[str, Any]]) -> list[tuple[Any, Any, Any]]:
    from moto.dynamodb.models.dynamo_type import DynamoType

    keys = []
    for action in transact_items:
        ((_, body),) = action.items()
        table = backend.get_table(body["TableName"])
        attributes = body.get("Key") or body.get("Item") or {}
        hash_key = DynamoType(attributes[table.hash_key_attr])
        range_key = DynamoType(attributes[table.range_key_attr]) if table.range_key_attr else None
        keys.append((table, hash_key, range_key))
    return keys


def _with_item_rollback(original: Any) -> Any:
    @functools.wraps(original)
    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        if not isinstance(self.tables, _TablesSharedOnDeepcopy):
            self.tables = _TablesSharedOnDeepcopy(self.tables)
        try:
            saved = [(t, h, r, copy.deepcopy(t.get_item(h, r))) for t, h, r in _keys(self, transact_items)]
        except Exception:
            original(self, transact_items)  # malformed request: let moto answer it
            return
        try:
            original(self, transact_items)
        except Exception:
            for table, hash_key, range_key, item in reversed(saved):
                table.delete_item(hash_key, range_key)
                if item is not None and range_key is not None:
                    table.items[hash_key][range_key] = item
                elif item is not None:
                    table.items[hash_key] = item
            raise

    transact_write_items.__securebank_patched__ = True  # type: ignore[attr-defined]
    return transact_write_items


def apply() -> None:
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.dynamo_type import LimitedSizeDict

    LimitedSizeDict.__deepcopy__ = _limited_size_dict_deepcopy  # type: ignore[attr-defined]
    if not getattr(DynamoDBBackend.transact_write_items, "__securebank_patched__", False):
        DynamoDBBackend.transact_write_items = _with_item_rollback(DynamoDBBackend.transact_write_items)  # type: ignore[method-assign]
