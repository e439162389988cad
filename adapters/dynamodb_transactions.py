"""Transactions and profiles written together with TransactWriteItems: exactly once per identity.

The table key is the transaction's identity (customer_id, transaction_id). Each customer's update is one group of
actions: a Put per transaction, conditioned on `attribute_not_exists` of the key (a redelivered or resubmitted
transaction can never be written or counted twice), and a Put of the profile, conditioned on the
version it was read at. Put rather than a conditional Update: same cost on AWS, and much cheaper in moto.
Updates are packed into calls of at most TRANSACT_WRITE_MAX_ACTIONS actions, never splitting a customer's group.
A cancelled call is read through its CancellationReasons (one per action, in order): a customer whose transaction
already exists goes to `duplicates`, one whose profile moved goes to `failed`, and the rest are sent again.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from adapters.dynamodb_batch_get import MAX_ATTEMPTS, AttributeValues, batch_get
from adapters.items import from_attribute_values, profile_to_item, scored_from_item, scored_to_item, to_attribute_values
from contracts.aws import (
    CUSTOMERS_TABLE,
    PROFILE_VERSION_ATTRIBUTE,
    TRANSACT_WRITE_MAX_ACTIONS,
    TRANSACTION_ID,
    TRANSACTION_ID_INDEX,
    TRANSACTIONS_TABLE,
)
from domain.model import CustomerId, TransactionId, TransactionKey
from domain.ports import CommitResult, CustomerUpdate, ScoredTransaction

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

RETRYABLE_ERRORS = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "InternalServerError",
        "ServiceUnavailable",
        "TransactionInProgressException",
    }
)
"""Errors of a whole call that a later delivery can get past: its updates are reported failed, not raised."""
CONDITION_FAILED = "ConditionalCheckFailed"
VERSION_CONFLICT = "profile version conflict"
MAX_TRANSACTIONS_PER_UPDATE = TRANSACT_WRITE_MAX_ACTIONS - 1


class DynamoDbTransactionRepository:
    def __init__(
        self,
        client: DynamoDBClient,
        transactions_table: str = TRANSACTIONS_TABLE.name,
        customers_table: str = CUSTOMERS_TABLE.name,
        *,
        max_attempts: int = MAX_ATTEMPTS,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._client = client
        self._transactions = transactions_table
        self._customers = customers_table
        self._max_attempts = max_attempts
        self._sleep = sleep
        self.max_transactions_per_update = MAX_TRANSACTIONS_PER_UPDATE

    def get_many(self, keys: Collection[TransactionKey]) -> Mapping[TransactionKey, ScoredTransaction]:
        """One strongly consistent BatchGetItem per 100 keys (only called for redeliveries and resubmissions)."""
        pk, sk = TRANSACTIONS_TABLE.partition_key.name, TRANSACTION_ID.name
        wanted: list[AttributeValues] = [{pk: {"S": c}, sk: {"S": t}} for c, t in dict.fromkeys(keys)]
        items = batch_get(self._client, self._transactions, wanted, max_attempts=self._max_attempts, sleep=self._sleep)
        found = (scored_from_item(from_attribute_values(values)) for values in items)
        return {scored.transaction.key: scored for scored in found}

    def find(self, transaction_id: TransactionId, limit: int = 2) -> Sequence[ScoredTransaction]:
        response = self._client.query(
            TableName=self._transactions,
            IndexName=TRANSACTION_ID_INDEX.name,
            KeyConditionExpression="#id = :id",
            ExpressionAttributeNames={"#id": TRANSACTION_ID_INDEX.partition_key.name},
            ExpressionAttributeValues={":id": {"S": transaction_id}},
            Limit=limit,
        )
        items: list[Any] = response.get("Items") or []  # AttributeValue maps
        return [scored_from_item(from_attribute_values(item)) for item in items]

    def commit(self, updates: Sequence[CustomerUpdate]) -> CommitResult:
        duplicates: dict[CustomerId, frozenset[TransactionId]] = {}
        failed: dict[CustomerId, str] = {}
        fitting = []
        for update in updates:
            if len(update.transactions) > MAX_TRANSACTIONS_PER_UPDATE:
                failed[update.profile.customer_id] = (
                    f"more than {MAX_TRANSACTIONS_PER_UPDATE} transactions cannot be written atomically"
                )
            elif update.transactions:
                fitting.append(update)
        for call in _pack(fitting):
            self._commit_call(call, duplicates, failed)
        return CommitResult(duplicates, failed)

    def _commit_call(
        self,
        pending: list[CustomerUpdate],
        duplicates: dict[CustomerId, frozenset[TransactionId]],
        failed: dict[CustomerId, str],
    ) -> None:
        while pending:
            try:
                actions: list[Any] = [a for u in pending for a in self._actions(u)]  # TransactWriteItem shapes
                self._client.transact_write_items(TransactItems=actions)
                return
            except ClientError as exc:
                code = exc.response.get("Error", {}).get("Code", "")
                if code in RETRYABLE_ERRORS:
                    failed.update((u.profile.customer_id, code) for u in pending)
                    return
                if code != "TransactionCanceledException":
                    raise
                reasons = [r.get("Code", "None") for r in exc.response.get("CancellationReasons") or []]
            retry = []
            offset = 0
            for update in pending:
                size = len(update.transactions) + 1
                codes, offset = reasons[offset : offset + size], offset + size
                customer = update.profile.customer_id
                seen = frozenset(
                    s.transaction.transaction_id for s, c in zip(update.transactions, codes, strict=False)
                    if c == CONDITION_FAILED
                )  # fmt: skip
                problems = [c for c in codes if c not in ("None", CONDITION_FAILED)]
                if seen:
                    duplicates[customer] = seen
                elif len(codes) == size and codes[-1] == CONDITION_FAILED:
                    failed[customer] = VERSION_CONFLICT
                elif problems:
                    failed[customer] = f"transaction cancelled: {problems[0]}"
                else:
                    retry.append(update)
            if len(retry) == len(pending):  # no reason names any update: do not loop
                failed.update((u.profile.customer_id, "transaction cancelled without reasons") for u in retry)
                return
            pending = retry

    def _actions(self, update: CustomerUpdate) -> Iterator[dict[str, Any]]:
        key = TRANSACTIONS_TABLE.partition_key.name
        for scored in update.transactions:
            yield {
                "Put": {
                    "TableName": self._transactions,
                    "Item": to_attribute_values(scored_to_item(scored)),
                    "ConditionExpression": "attribute_not_exists(#pk)",
                    "ExpressionAttributeNames": {"#pk": key},
                }
            }
        put: dict[str, Any] = {
            "TableName": self._customers,
            "Item": to_attribute_values(profile_to_item(update.profile)),
            "ExpressionAttributeNames": {"#pk": CUSTOMERS_TABLE.partition_key.name, "#v": PROFILE_VERSION_ATTRIBUTE},
        }
        if update.expected_version == 0:
            put["ConditionExpression"] = "attribute_not_exists(#pk)"
            del put["ExpressionAttributeNames"]["#v"]
        else:
            put["ConditionExpression"] = "#v = :expected"
            put["ExpressionAttributeValues"] = {":expected": {"N": str(update.expected_version)}}
        yield {"Put": put}


def _pack(updates: Sequence[CustomerUpdate]) -> list[list[CustomerUpdate]]:
    """Whole updates in calls of at most TRANSACT_WRITE_MAX_ACTIONS actions: first fit, largest first.

    Customers' updates are independent, so their order across calls does not matter. Packing in input order could
    waste room: 98 one-transaction customers and one two-transaction customer (199 actions) can need three calls
    in input order, two this way.
    """
    calls: list[list[CustomerUpdate]] = []
    room: list[int] = []
    for update in sorted(updates, key=lambda u: len(u.transactions), reverse=True):
        size = len(update.transactions) + 1
        index = next((i for i, free in enumerate(room) if free >= size), None)
        if index is None:
            calls.append([])
            room.append(TRANSACT_WRITE_MAX_ACTIONS)
            index = len(calls) - 1
        calls[index].append(update)
        room[index] -= size
    return calls
