"""A transaction item stays within 1 KB: above it, its put costs 4 WRU instead of 2 and each index 2 instead of 1.

Sized by the call counter's rule (securebank/measure/aws_calls.item_size), on the item the converter writes
(adapters/items.py). The case here is the worst a realistic payment reaches: UUID-long identifiers, the largest
amount, every default rule triggered with its reason, numbers at full float precision, the default policy. It is
not the worst the contract accepts: with 64-character identifiers, or a learned policy that changes every parameter
and triggers seven rules, the item reaches 1,068 to 1,461 bytes (docs/architecture.md, "Cost per transaction").
A feature that adds to the item (a shadow decision, a flag event) must make room here first.
"""

from __future__ import annotations

from datetime import UTC, datetime, time
from decimal import Decimal

from adapters.items import scored_to_item, to_attribute_values
from domain.model import MAX_AMOUNT, CustomerId, Location, Transaction, TransactionId
from domain.observation import Observation
from domain.policy import FraudPolicy
from domain.ports import ScoredTransaction
from domain.scoring import evaluate
from securebank.measure.aws_calls import KB, item_size

UUID_LENGTH = 36
"""Identifiers as most clients send them (a UUID); the contract allows up to 64 characters."""
CATEGORY_LENGTH = 32
DEFAULT_RULES = 4


def _worst_realistic_item() -> dict:
    at = datetime(2024, 3, 1, 23, 59, 59, 999999, tzinfo=UTC)
    txn = Transaction(
        transaction_id=TransactionId("t" * UUID_LENGTH),
        customer_id=CustomerId("c" * UUID_LENGTH),
        amount=MAX_AMOUNT,
        currency="USD",
        merchant_id="m" * UUID_LENGTH,
        merchant_category="g" * CATEGORY_LENGTH,
        timestamp=at,
        location=Location(-89.12345678901234, -179.12345678901234),
    )
    observation = Observation(
        amount=txn.amount,
        currency=txn.currency,
        velocity_count=999,
        prior_count=999_999,
        prior_total=Decimal("99999999999999999.99"),
        history_count=999_999,
        distance_miles=12345.678901234567,
        hours_since_previous=0.000012345678901234567,
        local_time=time(3, 4, 5, 123456),
        category_seen=False,
        merchant_frauds=999,
        merchant_transactions=9999,
    )
    decision = evaluate(FraudPolicy.default(), observation)
    assert len(decision.triggered_rules) == DEFAULT_RULES  # every rule of the default policy, each with its reason
    return to_attribute_values(scored_to_item(ScoredTransaction(txn, decision, at)))


def test_the_worst_realistic_transaction_item_fits_in_one_kb() -> None:
    assert item_size(_worst_realistic_item()) <= KB


def test_the_size_rule_counts_every_attribute_name_and_value() -> None:
    """The rule the test above relies on: names count, and strings count by their UTF-8 bytes."""
    item = _worst_realistic_item()
    size = item_size(item)
    assert item_size({**item, "x": {"S": "é"}}) == size + 1 + 2
    without_id = {k: v for k, v in item.items() if k != "transaction_id"}
    assert item_size(without_id) == size - len("transaction_id") - UUID_LENGTH
