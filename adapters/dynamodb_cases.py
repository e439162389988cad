"""The review queue on the Transactions table: the sparse ReviewIndex lists the open cases, and a label closes one.

Only a flagged transaction whose case is open carries REVIEW_STATUS_ATTRIBUTE (= REVIEW_STATUS_OPEN), so a Query of
that one partition of the index, newest `processed_at` first, is the queue. Its page cursor is the Query's
LastEvaluatedKey (four strings: the table's key and the index's), as urlsafe base64 of JSON; a cursor that does not
decode to exactly that shape is an InvalidCursor, never sent to DynamoDB.

Closing a case is one UpdateItem: REMOVE the review status (the item leaves the index) and SET `label_is_fraud`,
`label_source` and `labelled_at`, on the condition that the item exists and holds no label that wins over this one
by the label rule (domain/labels.py: the newer labelled_at, fraud winning a tie). When an older label arrives after a
newer one, a second UpdateItem only closes the case. labelled_at is stored in UTC with fixed-width microseconds, so
that the condition's string comparison orders instants.
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import UTC
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from adapters.items import from_attribute_values, scored_from_item
from adapters.label_rows import zoned
from contracts.aws import (
    CUSTOMER_ID,
    REVIEW_INDEX,
    REVIEW_SORT_ATTRIBUTE,
    REVIEW_STATUS_ATTRIBUTE,
    REVIEW_STATUS_OPEN,
    TRANSACTION_ID,
    TRANSACTIONS_TABLE,
)
from domain.cases import CaseLabel, CasePage, InvalidCursor
from domain.model import TransactionKey, is_identifier

if TYPE_CHECKING:
    from datetime import datetime

    from mypy_boto3_dynamodb import DynamoDBClient

LABEL_IS_FRAUD = "label_is_fraud"
LABEL_SOURCE = "label_source"
LABELLED_AT = "labelled_at"
CURSOR_KEYS = frozenset({CUSTOMER_ID.name, TRANSACTION_ID.name, REVIEW_STATUS_ATTRIBUTE, REVIEW_SORT_ATTRIBUTE})
CONDITION_FAILED = "ConditionalCheckFailedException"


def stored_instant(at: datetime) -> str:
    """`YYYY-MM-DDTHH:MM:SS.ffffffZ`: one width for every instant, so strings sort as the instants do."""
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def encode_cursor(last_key: dict[str, Any]) -> str:
    plain = from_attribute_values(last_key)
    return base64.urlsafe_b64encode(json.dumps(plain, sort_keys=True, separators=(",", ":")).encode()).decode()


def decode_cursor(cursor: str) -> dict[str, Any]:
    """The ExclusiveStartKey of a cursor `encode_cursor` made; InvalidCursor for anything else."""
    try:
        plain = json.loads(base64.urlsafe_b64decode(cursor.encode("ascii")))
    except (ValueError, UnicodeError, binascii.Error):
        raise InvalidCursor("is not a cursor this API issued") from None
    if not isinstance(plain, dict) or set(plain) != CURSOR_KEYS or not all(type(v) is str for v in plain.values()):
        raise InvalidCursor("is not a cursor this API issued")
    valid = (
        is_identifier(plain[CUSTOMER_ID.name])
        and is_identifier(plain[TRANSACTION_ID.name])
        and plain[REVIEW_STATUS_ATTRIBUTE] == REVIEW_STATUS_OPEN
        and zoned(plain[REVIEW_SORT_ATTRIBUTE]) is not None
    )
    if not valid:
        raise InvalidCursor("is not a cursor this API issued")
    return {name: {"S": value} for name, value in plain.items()}


class DynamoDbReviewQueue:
    def __init__(self, client: DynamoDBClient, transactions_table: str = TRANSACTIONS_TABLE.name) -> None:
        self._client = client
        self._table = transactions_table

    def open_cases(self, limit: int, cursor: str | None = None) -> CasePage:
        request: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": REVIEW_INDEX.name,
            "KeyConditionExpression": "#s = :open",
            "ExpressionAttributeNames": {"#s": REVIEW_STATUS_ATTRIBUTE},
            "ExpressionAttributeValues": {":open": {"S": REVIEW_STATUS_OPEN}},
            "ScanIndexForward": False,
            "Limit": limit,
        }
        if cursor is not None:
            request["ExclusiveStartKey"] = decode_cursor(cursor)
        try:
            response = self._client.query(**request)
        except ClientError as exc:
            if cursor is not None and exc.response.get("Error", {}).get("Code") == "ValidationException":
                raise InvalidCursor("is not a cursor this API issued") from None
            raise
        items: list[Any] = response.get("Items") or []
        last = response.get("LastEvaluatedKey")
        return CasePage(
            tuple(scored_from_item(from_attribute_values(item)) for item in items),
            encode_cursor(dict(last)) if last else None,
        )

    def exists(self, key: TransactionKey) -> bool:
        response = self._client.get_item(
            TableName=self._table,
            Key=self._key(key),
            ProjectionExpression="#pk",
            ExpressionAttributeNames={"#pk": CUSTOMER_ID.name},
            ConsistentRead=True,
        )
        return "Item" in response

    def close(self, label: CaseLabel) -> bool:
        names = {"#pk": CUSTOMER_ID.name, "#s": REVIEW_STATUS_ATTRIBUTE, "#at": LABELLED_AT, "#f": LABEL_IS_FRAUD}
        values: dict[str, Any] = {":at": {"S": stored_instant(label.labelled_at)}}
        if label.is_fraud:  # fraud wins a tie
            newer = "#at <= :at"
        else:
            newer = "#at < :at OR (#at = :at AND #f = :false)"
            values[":false"] = {"BOOL": False}
        try:
            self._client.update_item(
                TableName=self._table,
                Key=self._key(label.key),
                UpdateExpression="REMOVE #s SET #f = :fraud, #src = :source, #at = :at",
                ConditionExpression=f"attribute_exists(#pk) AND (attribute_not_exists(#at) OR {newer})",
                ExpressionAttributeNames={**names, "#src": LABEL_SOURCE},
                ExpressionAttributeValues={
                    **values,
                    ":fraud": {"BOOL": label.is_fraud},
                    ":source": {"S": label.source},
                },
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != CONDITION_FAILED:
                raise
            return self._close_only(label.key)
        return True

    def _close_only(self, key: TransactionKey) -> bool:
        """Take the case off the queue, keeping the newer label the item has; False when there is no item."""
        try:
            self._client.update_item(
                TableName=self._table,
                Key=self._key(key),
                UpdateExpression="REMOVE #s",
                ConditionExpression="attribute_exists(#pk)",
                ExpressionAttributeNames={"#pk": CUSTOMER_ID.name, "#s": REVIEW_STATUS_ATTRIBUTE},
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != CONDITION_FAILED:
                raise
            return False
        return True

    @staticmethod
    def _key(key: TransactionKey) -> dict[str, Any]:
        return {CUSTOMER_ID.name: {"S": key[0]}, TRANSACTION_ID.name: {"S": key[1]}}
