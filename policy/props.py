"""Reading a resource's props as CrossGuard passes them and `securebank plan --json` prints them. Stdlib only."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any


def plain(value: Any) -> Any:
    """`value` with every Mapping turned into a dict and every non-string Sequence into a list, recursively.

    CrossGuard hands policies read-only `Mapping`/`Sequence` proxies at every level (pulumi_policy.proxy); the checks
    below test `isinstance(..., dict | list)` and compare with lists, so the pack unwraps the props first. Reading an
    unknown value (preview) raises pulumi_policy's UnknownValueError, which the engine reports as "can't run policy".
    """
    if isinstance(value, Mapping):
        return {key: plain(value[key]) for key in value}
    if isinstance(value, Sequence) and not isinstance(value, str | bytes):
        return [plain(item) for item in value]
    return value


def get(props: dict[str, Any], *path: str) -> Any:
    value: Any = props
    for key in path:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def document(value: Any) -> dict[str, Any]:
    return json.loads(value) if isinstance(value, str) else (value or {})
