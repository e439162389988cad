"""The API contract's money rules are the domain's: the currency lists are domain/currency.py's table, and the
schema refuses an amount with more decimals than its currency has, as the domain does."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from jsonschema import Draft4Validator

from domain.currency import MINOR_UNITS
from securebank.emulator.schema import check_transaction, component_schema

GROUPS = {
    0: "CurrencyWithoutDecimals",
    2: "CurrencyWithTwoDecimals",
    3: "CurrencyWithThreeDecimals",
    4: "CurrencyWithFourDecimals",
}


def test_the_contracts_currency_lists_are_the_domains_table():
    for units, name in GROUPS.items():
        assert set(component_schema(name)["enum"]) == {c for c, u in MINOR_UNITS.items() if u == units}, name
    assert set(MINOR_UNITS.values()) == set(GROUPS)


def body(amount: str, currency: str) -> dict:
    text = json.dumps({"transaction_id": "t1", "customer_id": "c1", "amount": amount, "currency": currency,
                       "merchant_id": "m1", "merchant_category": "grocery", "timestamp": "2026-01-01T10:00:00Z",
                       "location": {"latitude": 1.0, "longitude": 2.0}})  # fmt: skip
    return json.loads(text, parse_float=Decimal)


CASES = [
    ("5000", "JPY", True),
    ("18.75", "JPY", False),
    ("12.34", "USD", True),
    ("12.345", "USD", False),
    ("1.234", "BHD", True),
    ("1.2345", "BHD", False),
    ("1.2345", "UYW", True),
    ("1.00", "XXX", False),
    ("1.00", "XTS", False),
]


@pytest.mark.parametrize(("amount", "currency", "valid"), CASES)
def test_the_schema_alone_accepts_exactly_the_minor_units_of_the_currency(amount: str, currency: str, valid: bool):
    """What the deployed API Gateway validator decides, before any code runs."""
    schema = component_schema("Transaction")
    assert Draft4Validator(schema).is_valid(body(amount, currency)) is valid


@pytest.mark.parametrize(("amount", "currency", "field", "message"), [
    ("18.75", "JPY", "amount", "amount: must have at most 0 decimal places for JPY"),
    ("1.00", "XXX", "currency", None),
])  # fmt: skip
def test_the_local_api_names_the_field_of_a_money_problem(amount: str, currency: str, field: str, message: str | None):
    problem = check_transaction(body(amount, currency), datetime(2026, 1, 1, 10, tzinfo=UTC))
    assert problem is not None and problem.field == field
    if message is not None:
        assert problem.message == message
