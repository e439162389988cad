"""What the pipeline actually did, read back from the stack's tables and queues (never assumed).

- processed: accepted transaction ids found in the Transactions table;
- quarantined: messages in the quarantine queue and its DLQ;
- lost = accepted - processed - quarantined (accepted ids that are nowhere);
- double_counted: customers whose profile total_transactions differs from their stored transactions;
- on_failure_messages: batches the event source mapping gave up on (their records count as lost).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from securebank.emulator.resources import LocalResources


@dataclass
class StoredState:
    transactions: dict[str, dict[str, Any]] = field(default_factory=dict)  # transaction_id -> item (some attributes)
    per_customer: Counter[str] = field(default_factory=Counter)
    profile_totals: dict[str, int] = field(default_factory=dict)
    quarantined: int = 0
    on_failure_messages: int = 0


def _scan(dynamodb: Any, table: str, projection: str, names: dict[str, str]) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"TableName": table, "ProjectionExpression": projection, "ExpressionAttributeNames": names}
    while True:
        page = dynamodb.scan(**kwargs)
        items += page["Items"]
        if "LastEvaluatedKey" not in page:
            return items
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def queue_depth(sqs: Any, queue_url: str) -> int:
    """Messages in a queue, visible or in flight (moto's counts are exact)."""
    names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    attributes = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=names)["Attributes"]
    return sum(int(attributes.get(name, 0)) for name in names)


def read_state(dynamodb: Any, sqs: Any, resources: LocalResources) -> StoredState:
    state = StoredState()
    items = _scan(
        dynamodb,
        resources.transactions_table,
        "#t, #c, #f, #p",
        {"#t": "transaction_id", "#c": "customer_id", "#f": "is_fraud", "#p": "processed_at"},
    )
    for item in items:
        transaction_id = item["transaction_id"]["S"]
        state.transactions[transaction_id] = {
            "customer_id": item["customer_id"]["S"],
            "is_fraud": item.get("is_fraud", {}).get("BOOL", False),
            "processed_at": item.get("processed_at", {}).get("S"),
        }
        state.per_customer[item["customer_id"]["S"]] += 1
    for profile in _scan(
        dynamodb, resources.customers_table, "#c, #n", {"#c": "customer_id", "#n": "total_transactions"}
    ):
        state.profile_totals[profile["customer_id"]["S"]] = int(profile.get("total_transactions", {}).get("N", "0"))
    state.quarantined = queue_depth(sqs, resources.quarantine_queue_url) + queue_depth(
        sqs, resources.quarantine_dlq_url
    )
    state.on_failure_messages = queue_depth(sqs, resources.on_failure_queue_url)
    return state


def double_counted(state: StoredState) -> int:
    customers = set(state.per_customer) | set(state.profile_totals)
    return sum(1 for c in customers if state.profile_totals.get(c, 0) != state.per_customer.get(c, 0))


def parse_instant(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
