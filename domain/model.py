"""Transactions: the values the pipeline scores. Pure: no I/O, no JSON, no AWS."""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime
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


def _identifier(_: object, attribute: Attribute[Any], value: object) -> None:
    if type(value) is not str or _ID.fullmatch(value) is None:
        raise InvalidTransaction(attribute.name, "must be 1 to 64 letters, digits, '-' or '_'")


def _category(_: object, attribute: Attribute[Any], value: object) -> None:
    if type(value) is not str or _CATEGORY.fullmatch(value) is None:
        raise InvalidTransaction(attribute.name, "must be 1 to 64 lower-case letters, digits or '_'")


def _currency(_: object, attribute: Attribute[Any], value: object) -> None:
    if type(value) is not str or _CURRENCY.fullmatch(value) is None:
        raise InvalidTransaction(attribute.name, "must be an ISO 4217 code of three upper-case letters")


def _amount(_: object, attribute: Attribute[Any], value: object) -> None:
    if type(value) is not Decimal or not value.is_finite():
        raise InvalidTransaction(attribute.name, "must be a decimal number")
    if value <= 0:
        raise InvalidTransaction(attribute.name, "must be greater than 0")
    if value > MAX_AMOUNT:
        raise InvalidTransaction(attribute.name, f"must be at most {MAX_AMOUNT}")
    if value != value.quantize(CENT):
        raise InvalidTransaction(attribute.name, "must have at most 2 decimal places")


def _timestamp(_: object, attribute: Attribute[Any], value: object) -> None:
    if not isinstance(value, datetime):
        raise InvalidTransaction(attribute.name, "must be an ISO 8601 date-time")
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidTransaction(attribute.name, "must carry a time zone offset or Z")


def _to_utc(value: datetime) -> datetime:
    if isinstance(value, datetime) and value.tzinfo is not None and value.tzinfo is not UTC:
        return value.astimezone(UTC)
    return value


def _to_cents(value: Decimal) -> Decimal:
    if type(value) is Decimal and value.is_finite() and value == value.quantize(CENT):
        return value.quantize(CENT)
    return value


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
    """A card transaction as posted to POST /v1/transactions. Amount is exact, timestamp is UTC."""

    transaction_id: TransactionId = field(validator=_identifier)
    customer_id: CustomerId = field(validator=_identifier)
    amount: Decimal = field(converter=_to_cents, validator=_amount)
    currency: str = field(validator=_currency)
    merchant_id: str = field(validator=_identifier)
    merchant_category: str = field(validator=_category)
    timestamp: datetime = field(validator=_timestamp, converter=_to_utc)
    location: Location = field()

    @location.validator
    def _location(self, attribute: Attribute[Any], value: object) -> None:
        if not isinstance(value, Location):
            raise InvalidTransaction(attribute.name, "must be an object with latitude and longitude")
