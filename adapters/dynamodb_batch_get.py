"""BatchGetItem over any number of keys: chunks of BATCH_GET_MAX_KEYS, strongly consistent, UnprocessedKeys
retried with exponential backoff at most `max_attempts` calls per chunk, then UnprocessedKeysError."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from contracts.aws import BATCH_GET_MAX_KEYS

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

MAX_ATTEMPTS = 5
BASE_DELAY_SECONDS = 0.05
AttributeValues = dict[str, dict[str, Any]]


class UnprocessedKeysError(RuntimeError):
    """DynamoDB kept returning UnprocessedKeys after every retry: the batch cannot be handled now."""


def batch_get(
    client: DynamoDBClient,
    table: str,
    keys: Sequence[AttributeValues],
    *,
    max_attempts: int = MAX_ATTEMPTS,
    sleep: Callable[[float], None] = time.sleep,
) -> list[AttributeValues]:
    """The items found for `keys` (distinct), in no particular order."""
    found: list[AttributeValues] = []
    for start in range(0, len(keys), BATCH_GET_MAX_KEYS):
        chunk = keys[start : start + BATCH_GET_MAX_KEYS]
        request: dict[str, Any] = {table: {"Keys": list(chunk), "ConsistentRead": True}}
        for attempt in range(max_attempts):
            if attempt:
                sleep(BASE_DELAY_SECONDS * 2 ** (attempt - 1))
            response = client.batch_get_item(RequestItems=request)
            items: list[Any] = response.get("Responses", {}).get(table, [])  # AttributeValue maps
            found.extend(items)
            request = response.get("UnprocessedKeys") or {}
            if not request:
                break
        else:
            raise UnprocessedKeysError(f"{table}: keys still unprocessed after {max_attempts} calls")
    return found
