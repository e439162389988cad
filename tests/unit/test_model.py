"""Invalid input raises InvalidTransaction naming the field and the reason."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from adapters.serialization import loads, parse_transaction

VALID = (
    '{"transaction_id":"t1","customer_id":"c1","amount":"12.50","currency":"USD","merchant_id":"m1",'
    '"merchant_category":"grocery","timestamp":"2024-01-15T10:30:00Z","location":{"latitude":40.7,"longitude":-74}}'
)


def body(**changes: Any) -> dict[str, Any]:
    data = loads(VALID)
    for key, value in changes.items():
        if value is ...:
            del data[key]
        else:
            data[key] = value
    return data


def test_a_valid_body_becomes_a_transaction_with_an_exact_amount():
    txn = parse_transaction(body())
    assert txn.amount == Decimal("12.50")
    assert str(txn.amount) == "12.50"
    assert txn.timestamp.isoformat() == "2024-01-15T10:30:00+00:00"


def test_an_amount_with_trailing_zeros_is_normalised_to_cents():
    assert str(parse_transaction(body(amount="7.500")).amount) == "7.50"
    assert str(parse_transaction(body(amount=7)).amount) == "7.00"


@pytest.mark.parametrize(
    ("amount", "currency", "normalised"),
    [("12.5", "USD", "12.50"), ("5000", "JPY", "5000"), ("5000.00", "JPY", "5000"), (5000, "KRW", "5000"),
     ("1.234", "BHD", "1.234"), ("1.2", "KWD", "1.200"), ("0.0001", "UYW", "0.0001"), ("7", "EUR", "7.00")],
)  # fmt: skip
def test_an_amount_is_normalised_to_its_currencys_minor_units(amount: object, currency: str, normalised: str):
    assert str(parse_transaction(body(amount=amount, currency=currency)).amount) == normalised


@pytest.mark.parametrize(
    ("amount", "currency", "places"),
    [("18.75", "JPY", 0), ("0.5", "KRW", 0), ("1.2345", "BHD", 3), ("12.345", "USD", 2), ("1.005", "EUR", 2)],
)
def test_an_amount_with_more_decimals_than_its_currency_has_is_refused_naming_the_amount(
    amount: str, currency: str, places: int
):
    from domain.model import InvalidTransaction

    with pytest.raises(InvalidTransaction) as caught:
        parse_transaction(body(amount=amount, currency=currency))
    reason = f"must have at most {places} decimal places for {currency}"
    assert (caught.value.field, caught.value.reason) == ("amount", reason)


@pytest.mark.parametrize("currency", ["XXX", "XTS", "XAU", "XDR", "ABC", "CLF"])
def test_a_code_that_is_not_a_currency_in_use_is_refused_naming_the_currency(currency: str):
    from domain.model import InvalidTransaction

    with pytest.raises(InvalidTransaction) as caught:
        parse_transaction(body(currency=currency))
    assert (caught.value.field, caught.value.reason) == ("currency", "must be an ISO 4217 currency code in use")


@pytest.mark.parametrize(
    ("changes", "field", "reason"),
    [
        ({"amount": "0"}, "amount", "greater than 0"),
        ({"amount": "-1.00"}, "amount", "greater than 0"),
        ({"amount": "1.005"}, "amount", "2 decimal places"),
        ({"amount": "NaN"}, "amount", "decimal number"),
        ({"amount": "abc"}, "amount", "decimal number"),
        ({"amount": True}, "amount", "decimal string or a JSON number"),
        ({"amount": "10000000000000.00"}, "amount", "at most"),
        ({"currency": "usd"}, "currency", "ISO 4217"),
        ({"currency": "EURO"}, "currency", "ISO 4217"),
        ({"timestamp": "2024-01-15T10:30:00"}, "timestamp", "offset"),
        ({"timestamp": "yesterday"}, "timestamp", "ISO 8601"),
        ({"location": {"latitude": 91, "longitude": 0}}, "location.latitude", "-90 to 90"),
        ({"location": {"latitude": 0, "longitude": -180.5}}, "location.longitude", "-180 to 180"),
        ({"location": {"latitude": "1", "longitude": 0}}, "location.latitude", "number"),
        ({"location": {"latitude": 1}}, "location.longitude", "required"),
        ({"location": "here"}, "location", "wrong type"),
        ({"transaction_id": ""}, "transaction_id", "1 to 64"),
        ({"transaction_id": 12}, "transaction_id", "string"),
        ({"customer_id": "a b"}, "customer_id", "letters"),
        ({"merchant_category": "Grocery"}, "merchant_category", "lower-case"),
        ({"currency": ...}, "currency", "required"),
        ({"extra": 1}, "extra", "not an allowed field"),
    ],
)
def test_invalid_input_names_the_field_and_the_reason(changes: dict[str, Any], field: str, reason: str):
    from domain.model import InvalidTransaction

    with pytest.raises(InvalidTransaction) as caught:
        parse_transaction(body(**changes))
    assert caught.value.field == field
    assert reason in caught.value.reason
    assert str(caught.value).startswith(f"{field}: ")


def test_a_body_that_is_not_an_object_is_rejected():
    from domain.model import InvalidTransaction

    with pytest.raises(InvalidTransaction, match="body: must be a JSON object"):
        parse_transaction([1, 2])
