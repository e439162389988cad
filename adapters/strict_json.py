"""Strict JSON text: one meaning or a ValueError. The parser behind `adapters.serialization.loads`.

The json module accepts a key given twice (the last wins) and a lone surrogate escape (`"\\ud800"`). Other parsers
on the way (API Gateway's mapping template reads the partition key) may pick the other key, and a lone surrogate
cannot be encoded as UTF-8 for DynamoDB, S3 or a reply. Both raise InvalidJsonError, naming the field.
Cost on the common body: one hook call per object; the surrogate walk only runs when the text has a backslash or
is a non-ASCII str.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any


class InvalidJsonError(ValueError):
    """JSON that parses but has no one meaning: a key given twice in an object (parsers disagree on which one
    wins), or a lone surrogate escape (`"\\ud800"`), which is not Unicode text and cannot be stored as UTF-8."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


class _DuplicateKey(Exception):
    pass


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        raise _DuplicateKey
    return obj


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


_decoder = json.JSONDecoder(parse_float=Decimal, parse_constant=_reject_constant, object_pairs_hook=_unique_keys)


def decode(text: str) -> Any:
    """Parse strict JSON with every non-integer number as Decimal.

    Raises ValueError for anything that is not JSON (NaN and Infinity included), and its subclass InvalidJsonError,
    naming the field, for a duplicate key at any depth or a lone surrogate in any key or string.
    """
    try:
        value = _decoder.decode(text)
    except _DuplicateKey:
        raise _first_duplicate(text) from None
    # A lone surrogate comes from a `\\u` escape, or is in a str argument. One-character `in` is a memchr: a
    # two-character needle would cost 10x more on the common body (measured: 18 ns against 225 ns).
    if "\\" in text or not text.isascii():
        _check_text(value)
    return value


class _Duplicates(dict[str, Any]):
    duplicate = ""


def _marking_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) == len(pairs):
        return obj
    marked, seen = _Duplicates(obj), set()
    for key, _ in pairs:
        if key in seen:
            marked.duplicate = key
            return marked
        seen.add(key)
    raise AssertionError("unreachable: fewer keys than pairs")  # pragma: no cover


_marking_decoder = json.JSONDecoder(
    parse_float=Decimal, parse_constant=_reject_constant, object_pairs_hook=_marking_duplicates
)


def _children(node: Any, path: tuple[str, ...]) -> list[tuple[Any, tuple[str, ...]]]:
    if type(node) is list:
        return [(item, (*path, str(i))) for i, item in enumerate(node)]
    if isinstance(node, dict):
        return [(item, (*path, _printable(key))) for key, item in node.items()]
    return []


def _first_duplicate(text: str) -> InvalidJsonError:
    """Parse again (only on failure), marking objects with a repeated key, and name the first one found."""
    stack: list[tuple[Any, tuple[str, ...]]] = [(_marking_decoder.decode(text), ())]
    while stack:  # iterative: a nesting the parser accepted must not overflow here
        node, path = stack.pop()
        if isinstance(node, _Duplicates):
            return InvalidJsonError(".".join((*path, _printable(node.duplicate))), "is a duplicate JSON key")
        stack.extend(reversed(_children(node, path)))
    raise AssertionError("a duplicate key was reported but not found")  # pragma: no cover


def _check_text(value: Any) -> None:
    stack: list[tuple[Any, tuple[str, ...]]] = [(value, ())]
    while stack:
        node, path = stack.pop()
        if type(node) is str and not _is_text(node):
            raise InvalidJsonError(
                ".".join(path) or "body", "contains a lone surrogate, which is not valid Unicode text"
            )
        if isinstance(node, dict):
            for key in node:
                if not _is_text(key):
                    field = ".".join((*path, _printable(key)))
                    raise InvalidJsonError(field, "is a key with a lone surrogate, which is not valid Unicode text")
        stack.extend(reversed(_children(node, path)))


def _is_text(string: str) -> bool:
    """False for a string with a lone surrogate (the only code points UTF-8 cannot encode)."""
    if string.isascii():
        return True
    try:
        string.encode()
    except UnicodeEncodeError:
        return False
    return True


def _printable(key: str) -> str:
    """A key as it can be shown and sent back: a lone surrogate as its JSON escape (`\\ud800`)."""
    return key if _is_text(key) else key.encode("ascii", "backslashreplace").decode("ascii")
