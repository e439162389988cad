"""The cattrs edge: policies and transactions round-trip, and the fast and detailed parsers agree."""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
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
from adapters.strict_json import InvalidJsonError
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


# --- Strict JSON: one meaning per document (adapters/strict_json.py) ------------------------------------------
Path = tuple[str, ...]
keys = st.text(alphabet="abcxyz_", min_size=1, max_size=3)  # no ".", no digit: a dotted path names one place
documents: st.SearchStrategy[Any] = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-5, 5)
    | st.text(max_size=5)
    | st.decimals(allow_nan=False, allow_infinity=False, places=2),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(keys, inner, max_size=4),
    max_leaves=12,
)
objects_with_members = st.dictionaries(keys, documents, min_size=1, max_size=4)


def objects(node: Any, path: Path = ()) -> Iterator[tuple[Path, dict[str, Any]]]:
    """Every object in a document with its path (list items by index)."""
    if isinstance(node, dict):
        yield path, node
        for key, value in node.items():
            yield from objects(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from objects(value, (*path, str(index)))


def render(node: Any, extra: str, target: Path, path: Path = ()) -> str:
    """JSON text of `node`, with the raw member `extra` (`"key":value`) added at the end of the object at `target`."""
    if isinstance(node, dict):
        members = [json.dumps(k) + ":" + render(v, extra, target, (*path, k)) for k, v in node.items()]
        return "{" + ",".join([*members, extra] if path == target else members) + "}"
    if isinstance(node, list):
        return "[" + ",".join(render(v, extra, target, (*path, str(i))) for i, v in enumerate(node)) + "]"
    return str(node) if isinstance(node, Decimal) else json.dumps(node)


lone_surrogates = st.integers(0xD800, 0xDFFF).map(lambda code: f"\\u{code:04x}")


@given(objects_with_members, st.data())
def test_a_key_given_twice_at_any_depth_is_refused_naming_its_path(document: dict[str, Any], data: st.DataObject):
    path, obj = data.draw(st.sampled_from([(p, o) for p, o in objects(document) if o]))
    key = data.draw(st.sampled_from(sorted(obj)))
    text = render(document, json.dumps(key) + ":" + json.dumps(data.draw(st.integers() | st.text())), path)

    with pytest.raises(InvalidJsonError) as raised:
        loads(text)

    assert (raised.value.field, raised.value.reason) == (".".join((*path, key)), "is a duplicate JSON key")


@given(objects_with_members, st.data(), lone_surrogates, st.booleans())
def test_a_lone_surrogate_in_a_key_or_a_string_at_any_depth_is_refused_naming_where(
    document: dict[str, Any], data: st.DataObject, surrogate: str, in_key: bool
):
    path, _ = data.draw(st.sampled_from(list(objects(document))))
    text = render(document, f'"k{surrogate}":1' if in_key else f'"q":"x{surrogate}"', path)

    with pytest.raises(InvalidJsonError) as raised:
        loads(text.encode())

    assert raised.value.field == ".".join((*path, f"k{surrogate}" if in_key else "q"))
    assert "lone surrogate" in raised.value.reason
    assert raised.value.field.isascii()  # it can be sent back and logged as UTF-8


@given(documents, st.booleans())
def test_json_without_duplicates_or_lone_surrogates_parses_as_the_json_module_does(document: Any, ascii_only: bool):
    text = render(document, "", ("not", "a", "path"))
    text = json.dumps(json.loads(text), ensure_ascii=ascii_only)  # non-ASCII as \\u escapes or as itself
    assert loads(text) == json.loads(text, parse_float=Decimal)


@pytest.mark.parametrize("text", ['"\\ud83d\\ude00"', '"\\\\ud800"', '"é"', '{"\\u00e9": "\\ud83d\\ude00"}'])
def test_a_surrogate_pair_an_escaped_backslash_and_non_ascii_text_are_accepted(text: str):
    assert loads(text) == json.loads(text)


@pytest.mark.parametrize("text", ["NaN", '{"a": Infinity}', "[-Infinity]"])
def test_nan_and_infinity_are_not_json(text: str):
    with pytest.raises(ValueError, match="not valid JSON"):
        loads(text)
