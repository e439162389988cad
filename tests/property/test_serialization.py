"""The cattrs edge: policies and transactions round-trip, and the fast and detailed parsers agree."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from adapters.serialization import (
    converter,
    loads,
    parse_transaction,
    policy_from_json,
    policy_to_json,
    transaction_to_body,  # fmt: skip
)
from domain.model import InvalidTransaction, Transaction
from domain.policy import FraudPolicy
from tests.strategies import policies, transactions


@given(policies())
def test_a_policy_round_trips_through_json(policy: FraudPolicy):
    assert policy_from_json(policy_to_json(policy)) == policy


def test_the_default_policy_json_is_the_seed():
    data = loads(policy_to_json(FraudPolicy.default()))
    assert data["threshold"] == "0.8"
    assert [data[r]["weight"] for r in ("velocity_check", "amount_anomaly", "location_anomaly", "time_anomaly")] == [
        "0.4", "0.3", "0.2", "0.1"]  # fmt: skip
    assert data["version"] == 1


@given(transactions())
def test_a_transaction_round_trips_through_its_post_body(txn: Transaction):
    body = loads(__import__("json").dumps(transaction_to_body(txn), default=str))
    assert parse_transaction(body) == txn
    assert parse_transaction(body).timestamp.utcoffset() == txn.timestamp.utcoffset()


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 5) | st.text(max_size=5) | st.decimals(allow_nan=False, places=3),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3),
    max_leaves=6,
)


@st.composite
def mutated_bodies(draw: st.DrawFn) -> dict[str, Any]:
    body: dict[str, Any] = loads(__import__("json").dumps(transaction_to_body(draw(transactions())), default=str))
    for _ in range(draw(st.integers(0, 2))):
        key = draw(st.sampled_from([*body, "location", "extra"]))
        if draw(st.booleans()) and key in body:
            del body[key]
        else:
            body[key] = draw(json_values)
    return body


@given(mutated_bodies())
def test_the_fast_path_and_the_detailed_converter_agree(body: dict[str, Any]):
    try:
        fast: object = parse_transaction(body)
    except InvalidTransaction as exc:
        fast = exc
    try:
        slow: object = converter.structure(body, Transaction)
    except Exception as exc:
        slow = exc
    assert isinstance(fast, Transaction) == isinstance(slow, Transaction)
    if isinstance(fast, Transaction):
        assert fast == slow
    else:
        assert fast.field  # type: ignore[attr-defined]


def test_a_json_number_amount_stays_exact():
    body = loads(
        '{"transaction_id":"t","customer_id":"c","amount":0.07,"currency":"USD","merchant_id":"m",'
        '"merchant_category":"fuel","timestamp":"2024-01-01T00:00:00Z","location":{"latitude":1,"longitude":2}}'
    )
    assert parse_transaction(body).amount == Decimal("0.07")
