"""Transactions: the values the pipeline scores. Pure: no I/O, no JSON, no AWS."""

from __future__ import annotations

import math
import re
from datetime import datetime
from decimal import Decimal
from typing import Any, NewType

from attrs import Attribute, field, frozen

TransactionId = NewType("TransactionId", str)
CustomerId = NewType("CustomerId", str)

CENT = Decimal("0.01")
MAX_AMOUNT = Decimal("9999999999999.99")
_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
_CURRENCY = re.compile(r"[A-Z]{3}")
_CATEGORY = re.compile(r"[a-z0-9_]{1,64}")


class InvalidTransaction(ValueError):
    """The one error for invalid input; `field` names the offending field (dotted for nested ones)."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


def _to_cents(value: Decimal) -> Decimal:
    if type(value) is Decimal and value.is_finite() and value == value.quantize(CENT):
        return value.quantize(CENT)
    return value


def _check_identifier(name: str, value: object) -> None:
    if type(value) is not str:
        raise InvalidTransaction(name, "must be a string")
    if _ID.fullmatch(value) is None:
        raise InvalidTransaction(name, "must be 1 to 64 letters, digits, '-' or '_'")


def _check(txn: Transaction) -> None:
    """Every field's rule, in field order; one call per transaction rather than one per field."""
    _check_identifier("transaction_id", txn.transaction_id)
    _check_identifier("customer_id", txn.customer_id)
    amount = txn.amount
    if type(amount) is not Decimal or not amount.is_finite():
        raise InvalidTransaction("amount", "must be a decimal number")
    if amount <= 0:
        raise InvalidTransaction("amount", "must be greater than 0")
    if amount > MAX_AMOUNT:
        raise InvalidTransaction("amount", f"must be at most {MAX_AMOUNT}")
    if amount.as_tuple().exponent != -2:  # _to_cents quantized every exact amount
        raise InvalidTransaction("amount", "must have at most 2 decimal places")
    if type(txn.currency) is not str or _CURRENCY.fullmatch(txn.currency) is None:
        raise InvalidTransaction("currency", "must be an ISO 4217 code of three upper-case letters")
    _check_identifier("merchant_id", txn.merchant_id)
    if type(txn.merchant_category) is not str or _CATEGORY.fullmatch(txn.merchant_category) is None:
        raise InvalidTransaction("merchant_category", "must be 1 to 64 lower-case letters, digits or '_'")
    if not isinstance(txn.timestamp, datetime):
        raise InvalidTransaction("timestamp", "must be an ISO 8601 date-time")
    if txn.timestamp.tzinfo is None or txn.timestamp.utcoffset() is None:
        raise InvalidTransaction("timestamp", "must carry a time zone offset or Z")
    if not isinstance(txn.location, Location):
        raise InvalidTransaction("location", "must be an object with latitude and longitude")


def _coordinate(limit: float) -> Any:
    def check(_: object, attribute: Attribute[Any], value: object) -> None:
        if type(value) is not float or not math.isfinite(value) or not -limit <= value <= limit:
            raise InvalidTransaction(f"location.{attribute.name}", f"must be a number from {-limit:g} to {limit:g}")

    return check


@frozen
class Location:
    latitude: float = field(validator=_coordinate(90.0))
    longitude: float = field(validator=_coordinate(180.0))


@frozen
class Transaction:
    """A card transaction as posted to POST /v1/transactions. Amount is exact cents; timestamp is time-zone aware."""

    transaction_id: TransactionId
    customer_id: CustomerId
    amount: Decimal = field(converter=_to_cents)
    currency: str
    merchant_id: str
    merchant_category: str
    timestamp: datetime
    """As given, with its offset: the offset tells a new customer's local time zone. Compare as instants."""
    location: Location

    def __attrs_post_init__(self) -> None:
        _check(self)
