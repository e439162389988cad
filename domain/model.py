"""Transactions: the values the pipeline scores. Pure: no I/O, no JSON, no AWS."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import NewType, NoReturn, TypeGuard

from attrs import frozen

from domain.currency import MINOR_UNITS, QUANTUM

TransactionId = NewType("TransactionId", str)
CustomerId = NewType("CustomerId", str)

TransactionKey = tuple[CustomerId, TransactionId]
"""A transaction's identity: the same transaction_id may belong to several customers (ids repeat across cards)."""

MAX_AMOUNT = Decimal("9999999999999.99")
"""The largest amount in any currency (13 integer digits, as the API's Amount schema)."""
ID_PATTERN = r"[A-Za-z0-9_-]{1,64}"
"""Every identifier (transaction, customer, merchant). contracts/openapi.yaml's Identifier is the same (a test)."""
_ID = re.compile(ID_PATTERN)
_CATEGORY = re.compile(r"[a-z0-9_]{1,64}")
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(9000, 1, 1, tzinfo=UTC)
"""Instants outside [EARLIEST, LATEST) are refused whatever the receipt time: every window and horizon computed from
a timestamp (at most a few years) then stays within what `datetime` can represent."""
MIN_OFFSET, MAX_OFFSET = timedelta(hours=-12), timedelta(hours=14)
"""The UTC offsets in use anywhere on Earth (ISO 8601 allows up to +-23:59)."""


class InvalidTransaction(ValueError):
    """The one error for invalid input; `field` names the offending field (dotted for nested ones)."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


def is_identifier(value: object) -> TypeGuard[str]:
    """Whether `value` is a valid transaction, customer or merchant id (the API's Identifier)."""
    return type(value) is str and _ID.fullmatch(value) is not None


def _reject_identifier(name: str, value: object) -> NoReturn:
    if type(value) is not str:
        raise InvalidTransaction(name, "must be a string")
    raise InvalidTransaction(name, "must be 1 to 64 letters, digits, '-' or '_'")


def category_error(value: object) -> str:
    """Why `value` is not a merchant category ("" when it is one)."""
    if type(value) is not str or _CATEGORY.fullmatch(value) is None:
        return "must be 1 to 64 lower-case letters, digits or '_'"
    return ""


def _check(txn: Transaction) -> None:
    """Every field's rule (identifiers first); one call per transaction rather than one validator per field.

    Normalises the amount to exactly its currency's minor units ("12.5" USD -> 12.50, "5000.00" JPY -> 5000), as
    attrs documents for a frozen class: one quantize serves as the digits check too."""
    for name, value in (("transaction_id", txn.transaction_id), ("customer_id", txn.customer_id),
                        ("merchant_id", txn.merchant_id)):  # fmt: skip
        if type(value) is not str or _ID.fullmatch(value) is None:
            _reject_identifier(name, value)
    object.__setattr__(txn, "amount", _exact_amount(txn.amount, txn.currency))
    error = category_error(txn.merchant_category)
    if error:
        raise InvalidTransaction("merchant_category", error)
    _check_timestamp(txn.timestamp)
    if not isinstance(txn.location, Location):
        raise InvalidTransaction("location", "must be an object with latitude and longitude")


def _exact_amount(amount: object, currency: object) -> Decimal:
    """The amount in exactly its currency's minor units, or InvalidTransaction naming amount or currency."""
    if type(amount) is not Decimal or not amount.is_finite():
        raise InvalidTransaction("amount", "must be a decimal number")
    if amount <= 0:
        raise InvalidTransaction("amount", "must be greater than 0")
    if amount > MAX_AMOUNT:
        raise InvalidTransaction("amount", f"must be at most {MAX_AMOUNT}")
    if type(currency) is not str or currency not in QUANTUM:
        raise InvalidTransaction("currency", "must be an ISO 4217 currency code in use")
    exact = amount.quantize(QUANTUM[currency])
    if exact != amount:
        raise InvalidTransaction("amount", f"must have at most {MINOR_UNITS[currency]} decimal places for {currency}")
    return exact


def _check_timestamp(timestamp: object) -> None:
    if not isinstance(timestamp, datetime):
        raise InvalidTransaction("timestamp", "must be an ISO 8601 date-time")
    offset = timestamp.utcoffset()
    if offset is None:
        raise InvalidTransaction("timestamp", "must carry a time zone offset or Z")
    if not MIN_OFFSET <= offset <= MAX_OFFSET:
        raise InvalidTransaction("timestamp", "must have a UTC offset from -12:00 to +14:00")
    if not EARLIEST <= timestamp < LATEST:  # compared as instants, without converting (which can overflow)
        raise InvalidTransaction("timestamp", "must be from 1970-01-01T00:00:00Z to before 9000-01-01T00:00:00Z")


def _check_coordinate(name: str, value: object, limit: float) -> None:
    if type(value) is not float or not -limit <= value <= limit:  # NaN fails the range test too
        raise InvalidTransaction(f"location.{name}", f"must be a number from {-limit:g} to {limit:g}")


@frozen
class Location:
    latitude: float
    longitude: float

    def __attrs_post_init__(self) -> None:
        _check_coordinate("latitude", self.latitude, 90.0)
        _check_coordinate("longitude", self.longitude, 180.0)


@frozen
class Transaction:
    """A card transaction as posted to POST /v1/transactions. Amount is exact, in the currency's minor units
    (`domain.currency`); timestamp is time-zone aware."""

    transaction_id: TransactionId
    customer_id: CustomerId
    amount: Decimal
    """Positive, with exactly the currency's decimals (12.50 USD, 5000 JPY, 1.234 BHD)."""
    currency: str
    """An ISO 4217 code of a currency in use (`domain.currency.MINOR_UNITS`)."""
    merchant_id: str
    merchant_category: str
    timestamp: datetime
    """As given, with its offset: the offset tells a new customer's local time zone. Compare as instants."""
    location: Location

    def __attrs_post_init__(self) -> None:
        _check(self)

    @property
    def key(self) -> TransactionKey:
        """The identity: a redelivery or retry has the same key; the same key with other content is a conflict."""
        return (self.customer_id, self.transaction_id)
