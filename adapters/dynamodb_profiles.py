"""Customer profiles in DynamoDB: one strongly consistent BatchGetItem per batch (<= 100 keys per call)."""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Mapping
from typing import TYPE_CHECKING

from adapters.dynamodb_batch_get import MAX_ATTEMPTS, UnprocessedKeysError, batch_get
from adapters.items import from_attribute_values, profile_from_item
from contracts.aws import CUSTOMERS_TABLE
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
