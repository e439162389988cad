"""Poison records: what a producer can write to the stream that no retry can fix, one kind at a time. Each must be
quarantined with a reason naming the problem, never stored, never block its shard."""

from __future__ import annotations

import json
from typing import Any

Body = dict[str, Any]


def _text(body: object) -> bytes:
    return json.dumps(body).encode()


POISONS = (
    "not JSON",
    "not UTF-8",
    "not an object",
    "missing field",
    "duplicate key",
    "lone surrogate in a value",
    "lone surrogate in a key",
    "deeply nested",
    "NaN amount",
    "offset beyond -12:00..+14:00",
    "JPY with cents",
    "wrong type",
    "unknown field",
    "amount not positive",
    "oversized (300 KB, over an SQS message)",
    "unknown field with a 2,000-character name",
)


def poisoned(kind: str, body: Body) -> bytes:
    """`body` made into a record no retry can fix (of the kind named)."""
    text = _text(body)
    cases: dict[str, Any] = {
        "not JSON": lambda: text[: len(text) // 2],
        "not UTF-8": lambda: b"\xff\xfe" + text,
        "not an object": lambda: _text([body]),
        "missing field": lambda: _text({k: v for k, v in body.items() if k != "merchant_id"}),
        "duplicate key": lambda: text[:-1] + b', "amount": "1.00"}',
        "lone surrogate in a value": lambda: text.replace(b'"merchant_id": "', b'"merchant_id": "\\ud800', 1),
        "lone surrogate in a key": lambda: text[:-1] + b', "\\udc00": 1}',
        "deeply nested": lambda: b"[" * 20_000 + b"]" * 20_000,
        "NaN amount": lambda: _text({**body, "amount": "@"}).replace(b'"@"', b"NaN"),
        "offset beyond -12:00..+14:00": lambda: _text({**body, "timestamp": body["timestamp"][:19] + "+14:30"}),
        "JPY with cents": lambda: _text({**body, "currency": "JPY", "amount": "18.75"}),
        "wrong type": lambda: _text({**body, "location": "here"}),
        "unknown field": lambda: _text({**body, "note": "x"}),
        "amount not positive": lambda: _text({**body, "amount": "-5.00"}),
        "oversized (300 KB, over an SQS message)": lambda: _text({**body, "note": "x" * 300_000}),
        "unknown field with a 2,000-character name": lambda: _text({**body, "n" * 2_000: 1}),
    }
    data: bytes = cases[kind]()
    return data
