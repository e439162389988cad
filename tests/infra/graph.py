"""The registered resource graph of one stack, as `securebank plan --json` prints it, with lookups for tests."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import attrs


@attrs.frozen
class Resource:
    type: str
    name: str
    parent: str | None
    inputs: dict[str, Any]

    def policy(self, key: str = "policy") -> dict[str, Any]:
        """A JSON policy document input, parsed."""
        return json.loads(self.inputs[key])

    def statements(self, key: str = "policy") -> list[dict[str, Any]]:
        return self.policy(key)["Statement"]


@attrs.frozen
class Graph:
    stack: str
    resources: tuple[Resource, ...]

    @classmethod
    def from_json(cls, stack: str, text: str) -> Graph:
        return cls(stack, tuple(Resource(**item) for item in json.loads(text)))

    def of_type(self, token: str) -> list[Resource]:
        return [r for r in self.resources if r.type == token]

    def one(self, token: str, name: str | None = None) -> Resource:
        matches = [r for r in self.of_type(token) if name is None or r.name == name]
        assert len(matches) == 1, f"expected one {token} {name or ''}, found {[r.name for r in matches]}"
        return matches[0]

    def named(self, name: str) -> Resource:
        matches = [r for r in self.resources if r.name == name]
        assert len(matches) == 1, f"expected one resource named {name}, found {len(matches)}"
        return matches[0]

    def children(self, component: str) -> list[Resource]:
        return [r for r in self.resources if r.parent == component]

    def __iter__(self) -> Iterator[Resource]:
        return iter(self.resources)
