"""The one cattrs converter at the edge: JSON-shaped data <-> domain values. The domain itself knows no JSON.

JSON numbers must be parsed as Decimal (`loads`), never float, so that amounts stay exact end to end.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any

import cattrs
from cattrs.errors import AttributeValidationNote, ClassValidationError, ForbiddenExtraKeysError

from adapters.policy_codec import register_policy_hooks
from adapters.strict_json import decode
from contracts.aws import (
    MERCHANT_RISK_MAX_COUNT,
    MERCHANT_RISK_MAX_FRAUDS,
    MERCHANT_RISK_MAX_MERCHANT_DAYS,
    MERCHANT_RISK_MAX_MERCHANTS,
)
from domain.merchant_risk import KNOWN, MerchantDay, MerchantRisk
from domain.model import InvalidTransaction, Location, Transaction
from domain.policy import FraudPolicy, InvalidPolicy
from domain.ports import ScoredTransaction
from domain.rules import Decision


def loads(data: str | bytes) -> Any:
    """Parse strict JSON with every non-integer number as Decimal; InvalidJsonError (a ValueError) names a duplicate
    key or a lone surrogate (adapters/strict_json.py)."""
    return decode(data.decode() if isinstance(data, bytes) else data)


def dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), default=_default)


def _default(value: object) -> object:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | time):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def _structure_str(value: object, _: type) -> str:
    if type(value) is not str:
        raise TypeError("must be a string")
    return value


def _structure_decimal(value: object, _: type) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, Decimal | int | str):
        raise TypeError("must be a decimal string or a JSON number")
    try:
        return Decimal(value)
    except ArithmeticError:
        raise ValueError("must be a decimal number") from None


def _structure_float(value: object, _: type) -> float:
    if type(value) is float:
        return value
    if isinstance(value, bool) or not isinstance(value, Decimal | int | float):
        raise TypeError("must be a number")
    return float(value)


def _structure_int(value: object, _: type) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError("must be an integer")
    return value


def _structure_datetime(value: object, _: type) -> datetime:
    if type(value) is not str:
        raise TypeError("must be an ISO 8601 date-time string")
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        raise ValueError("must be an ISO 8601 date-time") from None


def _structure_time(value: object, _: type) -> time:
    if type(value) is not str:
        raise TypeError("must be a time string HH:MM[:SS]")
    return time.fromisoformat(value)


def _unstructure_time(value: time) -> str:
    """ "06:00" for whole minutes (readable policies), and every digit otherwise, so that times round-trip."""
    return value.isoformat(timespec="minutes" if not value.second and not value.microsecond else "auto")


def _make_converter() -> cattrs.Converter:
    converter = cattrs.Converter(forbid_extra_keys=True, detailed_validation=True)
    converter.register_structure_hook(str, _structure_str)
    converter.register_structure_hook(Decimal, _structure_decimal)
    converter.register_structure_hook(float, _structure_float)
    converter.register_structure_hook(int, _structure_int)
    converter.register_structure_hook(datetime, _structure_datetime)
    converter.register_structure_hook(time, _structure_time)
    converter.register_unstructure_hook(Decimal, str)
    converter.register_unstructure_hook(datetime, datetime.isoformat)
    converter.register_unstructure_hook(time, _unstructure_time)
    register_policy_hooks(converter)
    return converter


converter = _make_converter()


_BODY_FIELDS = 8
"""transaction_id, customer_id, amount, currency, merchant_id, merchant_category, timestamp, location."""
_LOCATION_FIELDS = 2
"""latitude, longitude."""


def _structure_transaction(body: Mapping[str, Any], _: type) -> Transaction:
    """The common case, specialised: exactly the eight fields and a two-field location, no per-field dispatch
    (a third of the converter's cost). Anything else raises, and `parse_transaction` falls back to the detailed
    converter, which names the field.
    Both paths agree (tests/property/test_serialization.py).
    """
    location = body["location"]
    if len(body) != _BODY_FIELDS or len(location) != _LOCATION_FIELDS:
        raise ValueError("unexpected fields")
    amount = body["amount"]
    return Transaction(
        body["transaction_id"],
        body["customer_id"],
        amount if type(amount) is Decimal else _structure_decimal(amount, Decimal),
        body["currency"],
        body["merchant_id"],
        body["merchant_category"],
        _structure_datetime(body["timestamp"], datetime),
        Location(_structure_float(location["latitude"], float), _structure_float(location["longitude"], float)),
    )


def parse_transaction(body: object) -> Transaction:
    """A POST /v1/transactions body -> Transaction, or InvalidTransaction naming the field."""
    if type(body) is not dict and not isinstance(body, Mapping):
        raise InvalidTransaction("body", "must be a JSON object")
    try:
        return _structure_transaction(body, Transaction)
    except InvalidTransaction:
        raise
    except Exception:  # parse again, slowly, to name the field
        pass
    try:
        return converter.structure(body, Transaction)
    except Exception as exc:  # cattrs wraps field errors; name the first one
        raise _as_invalid(exc, ()) from None


def _as_invalid(exc: BaseException, path: tuple[str, ...]) -> InvalidTransaction:
    if isinstance(exc, InvalidTransaction):
        return exc
    if isinstance(exc, ForbiddenExtraKeysError):
        return InvalidTransaction(".".join((*path, sorted(exc.extra_fields)[0])), "is not an allowed field")
    if isinstance(exc, ClassValidationError | ExceptionGroup):
        sub = exc.exceptions[0]
        notes = [n for n in getattr(sub, "__notes__", ()) if isinstance(n, AttributeValidationNote)]
        return _as_invalid(sub, (*path, notes[0].name) if notes else path)
    field_name = ".".join(path) or "body"
    if isinstance(exc, KeyError):
        return InvalidTransaction(field_name, "is required")
    if isinstance(exc, AttributeError | TypeError) and not str(exc).startswith("must"):
        return InvalidTransaction(field_name, "has the wrong type")
    return InvalidTransaction(field_name, str(exc) or "is invalid")


def transaction_to_body(txn: Transaction) -> dict[str, Any]:
    """Transaction -> the POST body shape (amount as a decimal string, timestamp in UTC with Z)."""
    return {
        "transaction_id": txn.transaction_id,
        "customer_id": txn.customer_id,
        "amount": str(txn.amount),
        "currency": txn.currency,
        "merchant_id": txn.merchant_id,
        "merchant_category": txn.merchant_category,
        "timestamp": _iso(txn.timestamp),
        "location": {"latitude": txn.location.latitude, "longitude": txn.location.longitude},
    }


def format_timestamp(value: datetime) -> str:
    """The instant in UTC, ISO 8601 with Z: for keys and partitions, which must sort and group as instants."""
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _iso(value: datetime) -> str:
    """The timestamp as the client sent it (its own offset), so the body round-trips."""
    return value.isoformat().replace("+00:00", "Z")


def decision_to_dict(decision: Decision) -> dict[str, Any]:
    return {
        "risk_score": str(decision.risk_score),
        "is_fraud": decision.is_fraud,
        "triggered_rules": list(decision.triggered_rules),
        "reasons": list(decision.reasons),
        "policy_version": decision.policy_version,
    }


def scored_to_dict(scored: ScoredTransaction) -> dict[str, Any]:
    return {**transaction_to_body(scored.transaction), **decision_to_dict(scored.decision)}


def policy_to_json(policy: FraudPolicy) -> str:
    return json.dumps(converter.unstructure(policy), indent=2) + "\n"


def policy_from_json(text: str | bytes) -> FraudPolicy:
    try:
        return converter.structure(loads(text), FraudPolicy)
    except InvalidPolicy:
        raise
    except Exception as exc:
        raise InvalidPolicy(f"not a fraud policy: {_as_invalid(exc, ())}") from None


class InvalidMerchantRisk(ValueError):
    """A merchant-risk snapshot that cannot be read."""


def merchant_risk_to_json(risk: MerchantRisk, as_of: date) -> str:
    """A published snapshot: per merchant and UTC day, [transactions, confirmed frauds known by `as_of`]."""
    merchants = {
        merchant: {
            date.fromordinal(day).isoformat(): [entry.transactions, len(entry.known_from)]
            for day, entry in sorted(by_day.items())
        }
        for merchant, by_day in sorted(risk.merchants.items())
    }
    return json.dumps({"as_of": as_of.isoformat(), "merchants": merchants}, separators=(",", ":")) + "\n"


def _day_counts(counts: object, where: str) -> tuple[int, int]:
    """[transactions, frauds] of one merchant and day, integers with 0 <= frauds <= transactions < the bound."""
    if type(counts) is not list or len(counts) != len(("transactions", "frauds")):
        raise ValueError(f"{where}: must be [transactions, frauds]")
    transactions, frauds = counts
    if type(transactions) is not int or type(frauds) is not int:
        raise ValueError(f"{where}: transactions and frauds must be integers")
    if not 0 <= frauds <= transactions < MERCHANT_RISK_MAX_COUNT:
        raise ValueError(f"{where}: needs 0 <= frauds <= transactions < {MERCHANT_RISK_MAX_COUNT}")
    return transactions, frauds


def merchant_risk_from_json(text: str | bytes) -> tuple[MerchantRisk, date]:
    """A published snapshot (every fraud in it is known) and its date.

    Bounded, so that a broken or hostile snapshot cannot exhaust memory or arithmetic: per merchant and day
    `0 <= frauds <= transactions < MERCHANT_RISK_MAX_COUNT`, integers, on a day before `as_of`; at most
    MERCHANT_RISK_MAX_MERCHANTS merchants, MERCHANT_RISK_MAX_MERCHANT_DAYS (merchant, day) entries and
    MERCHANT_RISK_MAX_FRAUDS frauds in all. Anything else, RecursionError of a deeply nested document included,
    raises InvalidMerchantRisk.
    """
    try:
        document = loads(text)
        if type(document) is not dict:
            raise TypeError("must be a JSON object")
        as_of = _snapshot_date(document["as_of"], "as_of")
        by_merchant = document["merchants"]
        if type(by_merchant) is not dict or len(by_merchant) > MERCHANT_RISK_MAX_MERCHANTS:
            raise ValueError(f"merchants must be an object of at most {MERCHANT_RISK_MAX_MERCHANTS} merchants")
        merchants: dict[str, dict[int, MerchantDay]] = {}
        entries = all_frauds = 0
        for merchant, by_day in by_merchant.items():
            if type(by_day) is not dict:
                raise ValueError(f"{merchant}: must be an object of days")
            entries += len(by_day)
            if entries > MERCHANT_RISK_MAX_MERCHANT_DAYS:
                raise ValueError(f"more than {MERCHANT_RISK_MAX_MERCHANT_DAYS} (merchant, day) entries in all")
            days = merchants[merchant] = {}
            for day, counts in by_day.items():
                if not _snapshot_date(day, merchant) < as_of:
                    raise ValueError(f"{merchant} {day}: a snapshot holds only days before its as_of")
                transactions, frauds = _day_counts(counts, f"{merchant} {day}")
                all_frauds += frauds
                if all_frauds > MERCHANT_RISK_MAX_FRAUDS:
                    raise ValueError(f"more than {MERCHANT_RISK_MAX_FRAUDS} frauds in all")
                days[date.fromisoformat(day).toordinal()] = MerchantDay(transactions, (KNOWN,) * frauds)
    except Exception as exc:  # anything a published document can make the parser raise, RecursionError included
        reason = f"{type(exc).__name__}: {exc}" if isinstance(exc, RecursionError | MemoryError) else exc
        raise InvalidMerchantRisk(f"not a merchant-risk snapshot: {reason}") from None
    return MerchantRisk(merchants), as_of


_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _snapshot_date(value: object, name: str) -> date:
    """A `YYYY-MM-DD` date, nothing else `date.fromisoformat` would take (`20250301`, `2025-W10-1`)."""
    if type(value) is not str or not _ISO_DATE.fullmatch(value):
        raise ValueError(f"{name}: must be a YYYY-MM-DD date")
    return date.fromisoformat(value)
