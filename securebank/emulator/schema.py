"""The POST /v1/transactions validation API Gateway performs, from contracts/openapi.yaml, plus the exact checks
JSON Schema cannot state, made by the domain itself (the same parse and receipt bounds as the processor)."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

import yaml
from jsonschema import Draft4Validator, validators
from jsonschema.exceptions import ValidationError, best_match

from adapters.serialization import parse_transaction
from contracts.aws import OPENAPI_PATH
from domain.model import InvalidTransaction
from domain.process_batch import DEFAULT_BOUNDS
from domain.receipt import TimeBounds


@dataclass(frozen=True)
class Problem:
    field: str | None
    message: str


@functools.cache
def openapi_document() -> dict[str, Any]:
    with OPENAPI_PATH.open(encoding="utf-8") as handle:
        return cast("dict[str, Any]", yaml.safe_load(handle))


def _inline(node: Any, schemas: dict[str, Any]) -> Any:
    if isinstance(node, dict) and isinstance(node.get("pattern"), str) and node["pattern"].endswith("$"):
        # Python's `$` also matches before a trailing newline; "EUR\n" must not pass as a currency
        node = {**node, "pattern": node["pattern"][:-1] + r"\Z"}
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
            return _inline(schemas[ref.rsplit("/", 1)[1]], schemas)
        return {key: _inline(value, schemas) for key, value in node.items() if key != "description"}
    if isinstance(node, list):
        return [_inline(item, schemas) for item in node]
    return node


@functools.cache
def component_schema(name: str) -> dict[str, Any]:
    """A standalone draft-04 schema of `components/schemas/<name>`, with every $ref inlined."""
    schemas = openapi_document()["components"]["schemas"]
    return cast("dict[str, Any]", _inline(schemas[name], schemas))


_ENUM = Draft4Validator.VALIDATORS["enum"]
_string_members: dict[int, tuple[list[Any], frozenset[str]]] = {}


def _enum(validator: Any, enums: list[Any], instance: Any, schema: dict[str, Any]) -> Any:
    """jsonschema's `enum`, with a set lookup for strings: under its `equal` a string equals only an equal string,
    so the answer is the same, without comparing the body's currency with each of 150 codes in Python, in each
    branch of the currency's anyOf (three quarters of the API's validation time). Failures take jsonschema's path
    and read as before."""
    if isinstance(instance, str):
        cached = _string_members.get(id(enums))
        if cached is None or cached[0] is not enums:
            cached = (enums, frozenset(each for each in enums if isinstance(each, str)))
            _string_members[id(enums)] = cached
        if instance in cached[1]:
            return
    yield from _ENUM(validator, enums, instance, schema)


_FastEnumValidator = validators.extend(Draft4Validator, {"enum": _enum})


@functools.cache
def _transaction_validator() -> Any:
    return _FastEnumValidator(component_schema("Transaction"))


def _field_of(error: ValidationError) -> str | None:
    path = [str(part) for part in error.absolute_path]
    instance = error.instance
    if error.validator == "required" and isinstance(instance, dict):
        missing = [name for name in error.validator_value if name not in instance]
        path += missing[:1]
    elif error.validator == "additionalProperties" and isinstance(instance, dict):
        extra = sorted(set(instance) - set(error.schema.get("properties", {})))
        path += extra[:1]
    return ".".join(path) or None


def check_transaction(body: Any, received_at: datetime, bounds: TimeBounds = DEFAULT_BOUNDS) -> Problem | None:
    """None when `body` (parsed with `parse_float=Decimal`) is a valid transaction received at `received_at`, else
    the first problem: the OpenAPI schema first (what API Gateway's validator answers), then exactly what the
    processor would refuse (the domain's own rules: amount digits, a real instant, the offset, the receipt bounds),
    so that a 201 is never followed by a quarantine for a reason the API could have named."""
    error = best_match(_transaction_validator().iter_errors(body))
    if error is not None and list(error.absolute_schema_path)[:1] == ["anyOf"]:
        # The object-level rule (an amount's decimals for its currency): the domain names the field exactly.
        try:
            bounds.check(parse_transaction(body), received_at)
        except InvalidTransaction as invalid:
            return Problem(invalid.field, str(invalid))
    if error is not None:
        field = _field_of(error)
        where = f" at {field}" if field else ""
        return Problem(field, f"{error.message[:200]}{where}")
    try:
        bounds.check(parse_transaction(body), received_at)
    except InvalidTransaction as invalid:
        return Problem(invalid.field, str(invalid))
    return None


@functools.cache
def _label_validator() -> Any:
    return Draft4Validator(component_schema("LabelRequest"))


def check_label(body: Any) -> Problem | None:
    """None when `body` matches the contract's LabelRequest (what API Gateway's validator answers), else the first
    problem, naming its field. The label handler then validates it as a label file's row is."""
    error = best_match(_label_validator().iter_errors(body))
    if error is None:
        return None
    field = _field_of(error)
    return Problem(field, f"{error.message[:200]}{f' at {field}' if field else ''}")
