"""Customer profiles in DynamoDB: one strongly consistent BatchGetItem per batch (<= 100 keys per call)."""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Mapping
from typing import Any

from adapters.items import from_attribute_values, profile_from_item
from contracts.aws import BATCH_GET_MAX_KEYS, CUSTOMERS_TABLE
from domain.model import CustomerId
from domain.profile import CustomerProfile

MAX_ATTEMPTS = 5
BASE_DELAY_SECONDS = 0.05


class UnprocessedKeysError(RuntimeError):
    """DynamoDB kept returning UnprocessedKeys after every retry: the batch cannot be scored now."""


class DynamoDbProfileRepository:
    """Reads are strongly consistent: a stale profile would only cost a version conflict, but a retry costs more.

    UnprocessedKeys (throttling, 16 MB response limit) are retried with exponential backoff, at most
    `max_attempts` calls per chunk; then UnprocessedKeysError, so that the whole batch is redelivered.
    """

    def __init__(
        self,
        client: Any,
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
        unique = list(dict.fromkeys(customer_ids))
        found: dict[CustomerId, CustomerProfile] = {}
        for start in range(0, len(unique), BATCH_GET_MAX_KEYS):
            chunk = unique[start : start + BATCH_GET_MAX_KEYS]
            request: dict[str, Any] = {self._table: {"Keys": [{key: {"S": c}} for c in chunk], "ConsistentRead": True}}
            for attempt in range(self._max_attempts):
                if attempt:
                    self._sleep(BASE_DELAY_SECONDS * 2 ** (attempt - 1))
                response = self._client.batch_get_item(RequestItems=request)
                for values in response.get("Responses", {}).get(self._table, []):
                    profile = profile_from_item(from_attribute_values(values))
                    found[profile.customer_id] = profile
                request = response.get("UnprocessedKeys") or {}
                if not request:
                    break
            else:
                raise UnprocessedKeysError(f"{self._table}: keys still unprocessed after {self._max_attempts} calls")
        return found
