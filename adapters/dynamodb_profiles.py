"""Customer profiles in DynamoDB: one strongly consistent BatchGetItem per batch (<= 100 keys per call), and the
customer import's write: a Put conditioned on the version read, as the processor's own profile write is."""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from adapters.dynamodb_batch_get import MAX_ATTEMPTS, UnprocessedKeysError, batch_get
from adapters.items import from_attribute_values, profile_from_item, profile_to_item, to_attribute_values
from contracts.aws import CUSTOMERS_TABLE, PROFILE_VERSION_ATTRIBUTE
from domain.model import CustomerId
from domain.profile import CustomerProfile

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

__all__ = ["DynamoDbProfileRepository", "UnprocessedKeysError"]


class DynamoDbProfileRepository:
    """Reads are strongly consistent: a stale profile would only cost a version conflict, but a retry costs more.

    UnprocessedKeys (throttling, 16 MB response limit) are retried with exponential backoff, at most
    `max_attempts` calls per chunk; then UnprocessedKeysError, so that the whole batch is redelivered.
    """

    def __init__(
        self,
        client: DynamoDBClient,
        table_name: str = CUSTOMERS_TABLE.name,
        *,
        max_attempts: int = MAX_ATTEMPTS,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._client = client
        self._table = table_name
        self._max_attempts = max_attempts
        self._sleep = sleep

    def get_many(self, customer_ids: Collection[CustomerId]) -> Mapping[CustomerId, CustomerProfile]:
        key = CUSTOMERS_TABLE.partition_key.name
        keys = [{key: {"S": c}} for c in dict.fromkeys(customer_ids)]
        items = batch_get(self._client, self._table, keys, max_attempts=self._max_attempts, sleep=self._sleep)
        profiles = (profile_from_item(from_attribute_values(values)) for values in items)
        return {profile.customer_id: profile for profile in profiles}

    def put_if_version(self, profile: CustomerProfile, expected_version: int, written_at: datetime) -> bool:
        """Write `profile` if the stored one is still at `expected_version` (0: none stored); False if it moved.

        The same condition as the processor's commit (adapters/dynamodb_transactions.py): whichever of two
        writers that read the same version writes second fails and must read again, so neither loses the
        other's change."""
        names = {"#pk": CUSTOMERS_TABLE.partition_key.name}
        request: dict[str, Any] = {
            "TableName": self._table,
            "Item": to_attribute_values(profile_to_item(profile, written_at)),
            "ConditionExpression": "attribute_not_exists(#pk)",
            "ExpressionAttributeNames": names,
        }
        if expected_version:
            names["#v"] = PROFILE_VERSION_ATTRIBUTE
            request["ConditionExpression"] = "#v = :expected"
            request["ExpressionAttributeValues"] = {":expected": {"N": str(expected_version)}}
        try:
            self._client.put_item(**request)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise
            return False
        return True
