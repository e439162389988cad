"""securebank.moto_patches: a cancelled TransactWriteItems leaves every item as it was, patched or not, and the
patched call no longer copies items the transaction does not name."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from securebank import moto_patches
from tests.conftest import Resources


@pytest.fixture(params=["stock", "patched"])
def moto_flavour(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.dynamo_type import LimitedSizeDict

    monkeypatch.setattr(DynamoDBBackend, "transact_write_items", DynamoDBBackend.transact_write_items)
    if hasattr(LimitedSizeDict, "__deepcopy__"):
        monkeypatch.setattr(LimitedSizeDict, "__deepcopy__", LimitedSizeDict.__deepcopy__)
    else:
        monkeypatch.setattr(LimitedSizeDict, "__deepcopy__", None, raising=False)
        monkeypatch.delattr(LimitedSizeDict, "__deepcopy__")
    if request.param == "patched":
        moto_patches.apply()
    return str(request.param)


def put(table: str, key: str, value: str, condition: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"TableName": table, "Item": {"customer_id": {"S": key}, "v": {"S": value}}}
    if condition:
        body["ConditionExpression"] = condition
    return {"Put": body}


def scan(client: Any, table: str) -> list[dict[str, Any]]:
    return sorted(client.scan(TableName=table)["Items"], key=lambda i: i["customer_id"]["S"])


def test_a_cancelled_transaction_changes_no_item(moto_flavour: str, make_resources: Callable[[], Resources]):
    resources = make_resources()
    client = resources.client("dynamodb")
    table = resources.customers_table
    client.transact_write_items(TransactItems=[put(table, "a", "1"), put(table, "b", "1")])
    client.update_item(
        TableName=table,
        Key={"customer_id": {"S": "c"}},
        UpdateExpression="SET v = :v",
        ExpressionAttributeValues={":v": {"S": "1"}},
    )
    before = scan(client, table)

    update = {
        "Update": {
            "TableName": table,
            "Key": {"customer_id": {"S": "c"}},
            "UpdateExpression": "SET v = :v",
            "ExpressionAttributeValues": {":v": {"S": "2"}},
        }
    }
    with pytest.raises(ClientError) as cancelled:
        client.transact_write_items(
            TransactItems=[
                put(table, "a", "2"),
                put(table, "new", "2"),
                update,
                put(table, "b", "2", "attribute_not_exists(customer_id)"),
            ]
        )

    assert cancelled.value.response["Error"]["Code"] == "TransactionCanceledException"
    assert [r["Code"] for r in cancelled.value.response["CancellationReasons"]] == [
        "None",
        "None",
        "None",
        "ConditionalCheckFailed",
    ]
    assert scan(client, table) == before
    client.transact_write_items(TransactItems=[put(table, "a", "3"), put(table, "new", "3")])
    assert [i["v"]["S"] for i in scan(client, table)] == ["3", "1", "1", "3"]


def test_the_patched_call_copies_only_the_items_it_names(
    monkeypatch: pytest.MonkeyPatch, moto_flavour: str, make_resources: Callable[[], Resources]
):
    resources = make_resources()
    client = resources.client("dynamodb")
    table = resources.customers_table
    for start in range(0, 60, 20):
        client.transact_write_items(TransactItems=[put(table, f"k{i}", "1") for i in range(start, start + 20)])
    copies: list[object] = []
    real = copy.deepcopy

    def counting(value: Any, memo: Any = None) -> Any:
        result = real(value, memo)
        if result is not value:
            copies.append(value)
        return result

    from moto.dynamodb import models

    monkeypatch.setattr(models.copy, "deepcopy", counting)
    client.transact_write_items(TransactItems=[put(table, "k1", "2")])

    copied_items = sum(1 for c in copies if type(c).__name__ == "Item")
    tables_copied = any(isinstance(c, dict) and table in c for c in copies)
    assert (copied_items, tables_copied) == ((1, False) if moto_flavour == "patched" else (0, True))
