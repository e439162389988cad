"""The one cattrs converter at the edge: JSON-shaped data <-> domain values. The domain itself knows no JSON.

JSON numbers must be parsed as Decimal (`loads`), never float, so that amounts stay exact end to end.

The converter is made on first use (`json_converter()`, also reachable as `converter`), not at import: importing
cattrs and building its hooks was a third of the processor's cold import, and a well-formed stream record is read
without it (`_structure_transaction`).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from datetime import UTC, datetime, time
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from adapters.strict_json import decode
from domain.model import InvalidTransaction, Location, Transaction
from domain.policy import FraudPolicy, InvalidPolicy
from domain.ports import ScoredTransaction
from domain.rules import Contribution, Decision

if TYPE_CHECKING:
    import cattrs


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


@functools.cache
def json_converter() -> cattrs.Converter:
    """The one converter, made once, on first use."""
    import cattrs

    from adapters.policy_codec import register_policy_hooks

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


def __getattr__(name: str) -> Any:
    """`converter`: the one converter (`json_converter()`), made when first asked for."""
    if name == "converter":
        return json_converter()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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
        return json_converter().structure(body, Transaction)
    except Exception as exc:  # cattrs wraps field errors; name the first one
        raise _as_invalid(exc, ()) from None


def _as_invalid(exc: BaseException, path: tuple[str, ...]) -> InvalidTransaction:
    from cattrs.errors import AttributeValidationNote, ClassValidationError, ForbiddenExtraKeysError

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
        "contributions": [_contribution(c) for c in decision.contributions],
        "policy_version": decision.policy_version,
    }


def scored_to_dict(scored: ScoredTransaction) -> dict[str, Any]:
    return {**transaction_to_body(scored.transaction), **decision_to_dict(scored.decision)}


_TREES = "\u0000trees"
"""Where a model's trees go in the indented policy file, one line each (a placeholder no policy value can be)."""


def policy_to_json(policy: FraudPolicy) -> str:
    """The policy file, indented; a model's trees one per line (thousands of node values stay readable)."""
    data = json_converter().unstructure(policy)
    model = data.get("model")
    if model is None:
        return json.dumps(data, indent=2) + "\n"
    data["model"] = {**model, "trees": _TREES}
    rows = ",\n".join(f"      {json.dumps(tree)}" for tree in model["trees"])
    trees = f"[\n{rows}\n    ]" if rows else "[]"
    return json.dumps(data, indent=2).replace(json.dumps(_TREES), trees, 1) + "\n"


def policy_from_json(text: str | bytes) -> FraudPolicy:
    try:
        return json_converter().structure(loads(text), FraudPolicy)
    except InvalidPolicy:
        raise
    except Exception as exc:
        raise InvalidPolicy(f"not a fraud policy: {_as_invalid(exc, ())}") from None


def _contribution(contribution: Contribution) -> dict[str, str]:
    """{"source", "text", "points" (a decimal string)}: one part of a decision's risk score."""
    return {"source": contribution.source, "text": contribution.text, "points": str(contribution.points)}
