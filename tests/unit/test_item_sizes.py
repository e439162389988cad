"""A transaction item stays within 1 KB: above it, its put costs 4 WRU instead of 2 and each index 2 instead of 1.

Sized by the call counter's rule (securebank/measure/aws_calls.item_size), on the item the converter writes
(adapters/items.py). The case here is the worst a realistic payment reaches: UUID-long identifiers, the largest
amount, every default rule triggered with its reason, numbers at full float precision, the default policy. It is
not the worst the contract accepts: with 64-character identifiers, or a learned policy that changes every parameter
and triggers seven rules, the item reaches 1,068 to 1,461 bytes (docs/architecture.md, "Cost per transaction").
A feature that adds to the item (a shadow decision, a flag event) must make room here first.

A model policy's items are larger (the tests at the end pin them): a typical one takes 2 KB, the worst realistic 3 KB.
"""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime, time
from decimal import Decimal
from typing import Any

import attrs

from adapters.items import from_attribute_values, scored_to_item, to_attribute_values
from adapters.serialization import policy_from_json
from domain.ensemble import LEAF, Tree, TreeModel
from domain.features import FEATURES
from domain.model import MAX_AMOUNT, CustomerId, Location, Transaction, TransactionId
from domain.observation import Observation
from domain.policy import FraudPolicy
from domain.ports import ScoredTransaction
from domain.scoring import MODEL_REASONS, evaluate
from securebank.measure.aws_calls import KB, item_size

UUID_LENGTH = 36
"""Identifiers as most clients send them (a UUID); the contract allows up to 64 characters."""
CATEGORY_LENGTH = 32
DEFAULT_RULES = 4


def _worst_realistic_payment() -> tuple[Transaction, Observation]:
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
    return txn, observation


def _worst_realistic_item() -> dict[str, Any]:
    txn, observation = _worst_realistic_payment()
    decision = evaluate(FraudPolicy.default(), observation)
    assert len(decision.triggered_rules) == DEFAULT_RULES  # every rule of the default policy, each with its reason
    return to_attribute_values(scored_to_item(ScoredTransaction(txn, decision, txn.timestamp)))


def test_the_worst_realistic_transaction_item_fits_in_one_kb() -> None:
    assert item_size(_worst_realistic_item()) <= KB


def test_the_size_rule_counts_every_attribute_name_and_value() -> None:
    """The rule the test above relies on: names count, and strings count by their UTF-8 bytes."""
    item = _worst_realistic_item()
    size = item_size(item)
    assert item_size({**item, "x": {"S": "é"}}) == size + 1 + 2
    without_id = {k: v for k, v in item.items() if k != "transaction_id"}
    assert item_size(without_id) == size - len("transaction_id") - UUID_LENGTH


# A model policy's items (adapters/recorded_decisions.py, adapters/stored_decisions.py): a learned policy as `tune`
# writes a trees-only one (every rule at weight 0 with its defaults, but for the merchant window its model reads; a
# 7-digit threshold) with a 20-feature model.
LEARNED_RULES = {
    "velocity_check": {"weight": "0"},
    "amount_anomaly": {"weight": "0"},
    "location_anomaly": {"weight": "0"},
    "time_anomaly": {"weight": "0"},
    "merchant_risk": {"weight": "0", "window_days": 5, "lag_days": 3},
}
MODEL_FEATURES = 20
WORST_MODEL_ITEM = 1_506
"""Bytes, measured 2026-12-01 with `min_24h`, `recent_new`, `previous_amount` and `recent_new_1h` among the signals
(1,502 without the last two, 1,479 on 2026-11-30 without any of the four): 2
KB, 4 WRU for the transactional put and 2 per index that projects it. On 2026-11-30, 2,463 (3 KB), and 2,925 before
that: the reasons named all 20 features (958 bytes; now the largest five, 236), the policy kept every searched
parameter at weight 0 (446; now 184), and before that the model's points were [source, points] pairs (558; now 229)
and the signals map entries (271; now 138)."""
TYPICAL_MODEL_ITEM = 983
"""Bytes, measured 2026-12-01 with `min_24h`, `recent_new`, `previous_amount` and `recent_new_1h` among the signals
(979 without the last two, 972 on 2026-11-30 without any of the four): within
1 KB, 2 WRU for the put and 1 per index (1,390 and 1,856 earlier on 2026-11-30, 2 KB: see WORST_MODEL_ITEM). The
observation map (227), the policy's changes (184) and the model's part (175 + 51)."""


def _stump(feature: int, points: Decimal) -> Tree:
    """A tree crediting `points` to `feature` whichever way the payment goes."""
    root = Decimal("0.000000")
    return Tree((feature, LEAF, LEAF), (0.0, -2.0, -2.0), (True, False, False), (1, LEAF, LEAF), (2, LEAF, LEAF),
                (root, root + points, root + points))  # fmt: skip


def _learned_policy(points: list[Decimal]) -> FraudPolicy:
    features = tuple(f.name for f in FEATURES if f.name != "merchant_fraud_share")[:MODEL_FEATURES]
    trees = tuple(_stump(i, p) for i, p in enumerate(points) if p)
    model = TreeModel(features, Decimal("0.020031"), trees)
    data = {"version": 2, "threshold": "0.3764605", **LEARNED_RULES}
    return attrs.evolve(policy_from_json(json.dumps(data)), model=model)


def _model_item(txn: Transaction, observation: Observation, points: list[Decimal]) -> dict[str, Any]:
    decision = evaluate(_learned_policy(points), observation)
    return to_attribute_values(scored_to_item(ScoredTransaction(txn, decision, txn.timestamp)))


def test_the_worst_realistic_model_policy_item_takes_2_kb() -> None:
    """Every feature contributing positively (each a reason), UUID-long identifiers, 17-digit sums, 6-digit counts."""
    txn, observation = _worst_realistic_payment()
    big, count = Decimal("99999999999999999.99"), 999_999
    observation = observation._replace(
        merchant_category=txn.merchant_category, category_count=count, category_total=big, count_1h=count,
        count_24h=count, count_7d=count, sum_1h=big, sum_24h=big, sum_7d=big, recent_high=5, recent_night=5,
        merchant_seen=True, night_count=count, account_age_days=99_999, min_24h=big, recent_new=5,
    )  # fmt: skip
    item = _model_item(txn, observation, [Decimal("0.123456")] * MODEL_FEATURES)
    assert len(from_attribute_values(item)["reasons"]) == MODEL_REASONS  # the largest five of twenty
    assert item_size(item) <= WORST_MODEL_ITEM
    assert math.ceil(item_size(item) / KB) == 2


def test_a_typical_model_policy_item_fits_in_one_kb() -> None:
    """The learned account-takeover policy's median item: short identifiers, 18 features contributing, one of them
    enough (+0.01) to be a reason."""
    at = datetime(2025, 1, 5, 11, 47, 44, tzinfo=UTC)
    txn = Transaction(TransactionId("tk0002999"), CustomerId("h0048"), Decimal("42.50"), "USD",
                      "m_new_york_coffee_12", "coffee", at, Location(40.72072, -73.99711))  # fmt: skip
    observation = Observation(
        txn.amount, "USD", 4, 15, Decimal("120.67"), 15, 10.575834779196686, 11.51361111111111, time(6, 47), True,
        merchant_category="coffee", category_count=8, category_total=Decimal("21.17"), count_24h=4, count_7d=16,
        sum_1h=Decimal("42.50"), sum_24h=Decimal("69.81"), sum_7d=Decimal("162.92"), recent_high=1, merchant_seen=True,
        account_age_days=4, min_24h=Decimal("6.45"),
    )  # fmt: skip
    points = [Decimal(p) for p in ("-0.001212", "-0.000343", "-0.005649", "-0.000040", "0.000090", "0.000257",
              "-0.013386", "-0.000097", "-0.000967", "-0.001501", "-0.000248", "0.014253", "0.000315", "0",
              "-0.006567", "-0.003476", "-0.001618", "-0.000292", "0", "0.000130")]  # fmt: skip
    item = _model_item(txn, observation, points)
    assert len(from_attribute_values(item)["reasons"]) == 1
    assert item_size(item) <= TYPICAL_MODEL_ITEM
    assert math.ceil(item_size(item) / KB) == 1
