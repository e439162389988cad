"""DynamoDB write units as the bench and the demo count them: an index is written only for items that carry its key
attributes, so the sparse review queue costs the flagged items alone."""

from __future__ import annotations

from typing import Any

from contracts.aws import REVIEW_INDEX, REVIEW_STATUS_ATTRIBUTE, REVIEW_STATUS_OPEN, TRANSACTIONS_TABLE
from securebank.measure.aws_calls import index_keys, request_units

TABLE = "transactions"
INDEXES = {TABLE: index_keys(TRANSACTIONS_TABLE)}


def _put(**extra: Any) -> dict[str, Any]:
    item = {
        "customer_id": {"S": "c1"},
        "transaction_id": {"S": "t1"},
        "amount": {"N": "12.50"},
        "processed_at": {"S": "2026-11-30T12:00:00.000000Z"},
    } | {name: {"S": value} for name, value in extra.items()}
    return {"TransactItems": [{"Put": {"TableName": TABLE, "Item": item}}]}


def test_the_index_keys_are_the_contracts() -> None:
    assert ("review_status", "processed_at") in INDEXES[TABLE]
    assert len(INDEXES[TABLE]) == len(TRANSACTIONS_TABLE.global_indexes) + len(TRANSACTIONS_TABLE.local_indexes)
    assert REVIEW_INDEX.partition_key.name == REVIEW_STATUS_ATTRIBUTE


def test_an_item_without_the_review_status_is_not_written_to_the_review_index() -> None:
    plain, _ = request_units("TransactWriteItems", _put(), INDEXES)
    flagged, _ = request_units("TransactWriteItems", _put(**{REVIEW_STATUS_ATTRIBUTE: REVIEW_STATUS_OPEN}), INDEXES)
    # 2 for the transactional put, 1 for TransactionIdIndex, 1 for AmountIndex (the item has its sort key, amount)
    assert plain == 2 + 2
    assert flagged == plain + 1


def test_an_update_is_counted_in_every_index() -> None:
    update = {"TransactItems": [{"Update": {"TableName": TABLE, "Key": {"customer_id": {"S": "c1"}}}}]}
    assert request_units("TransactWriteItems", update, INDEXES)[0] == 2 + len(INDEXES[TABLE])


def test_a_table_without_indexes_costs_the_item_alone() -> None:
    assert request_units("TransactWriteItems", _put(), {})[0] == 2
