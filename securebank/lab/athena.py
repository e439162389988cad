"""Athena partition projection, evaluated offline.

Athena never lists partitions of a projected table: it computes the candidate locations from the table's
`projection.*` properties and `storage.location.template`, keeps those that satisfy the query's partition
predicates, and reads only those prefixes. moto returns empty Athena results, so the tests evaluate the same
enumeration here, as a small pure function over the names in contracts.aws.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator, Mapping

_PLACEHOLDER = re.compile(r"\$\{(\w+)\}")
_EQUALITY = re.compile(r"^\s*(\w+)\s*=\s*'([^']*)'\s*$", re.IGNORECASE)


def projected_values(projection: Mapping[str, str], key: str) -> list[str]:
    """Every value an `integer` projection produces for `key`, formatted with its `digits` (zero-padded)."""
    if projection.get(f"projection.{key}.type") != "integer":
        raise ValueError(f"only integer projections are supported, not {key}")
    low, high = (int(part) for part in projection[f"projection.{key}.range"].split(","))
    digits = int(projection.get(f"projection.{key}.digits", "1"))
    return [f"{value:0{digits}d}" for value in range(low, high + 1)]


def template_keys(template: str) -> list[str]:
    return _PLACEHOLDER.findall(template)


def parse_location(template: str, location: str) -> dict[str, str] | None:
    """The partition values of a location written under `template`, or None if it does not fit it."""
    parts = _PLACEHOLDER.split(template)  # literal, key, literal, key, ..., literal
    pattern = "".join(re.escape(part) if n % 2 == 0 else f"(?P<{part}>[^/]+)" for n, part in enumerate(parts))
    match = re.fullmatch(pattern, location)
    return None if match is None else match.groupdict()


def parse_predicate(where: str) -> dict[str, str]:
    """`year = '2025' AND month = '01' ...` -> {"year": "2025", "month": "01"}: equality conjunctions only."""
    predicate: dict[str, str] = {}
    for clause in re.split(r"\s+AND\s+", where.strip(), flags=re.IGNORECASE):
        match = _EQUALITY.match(clause)
        if match is None:
            raise ValueError(f"not an equality on a partition key: {clause!r}")
        predicate[match.group(1).lower()] = match.group(2)
    return predicate


def pruned_locations(projection: Mapping[str, str], template: str, predicate: Mapping[str, str]) -> Iterator[str]:
    """The locations Athena would read for a query whose partition predicate is `predicate`."""
    keys = template_keys(template)
    choices = [
        [v for v in projected_values(projection, key) if key not in predicate or v == predicate[key]] for key in keys
    ]
    for values in itertools.product(*choices):
        location = template
        for key, value in zip(keys, values, strict=True):
            location = location.replace(f"${{{key}}}", value)
        yield location
