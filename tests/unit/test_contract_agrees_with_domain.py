"""contracts/openapi.yaml states the domain's bounds, not a copy that can drift: identifiers, amounts, timestamps."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from domain.model import EARLIEST, ID_PATTERN, LATEST, MAX_AMOUNT, MAX_OFFSET, MIN_OFFSET
from securebank.emulator.schema import component_schema


def test_the_identifier_pattern_is_the_domains():
    assert component_schema("Identifier")["pattern"] == f"^{ID_PATTERN}\\Z"


def test_the_amount_bound_is_the_domains():
    number = next(s for s in component_schema("Amount")["anyOf"] if s["type"] == "number")
    assert Decimal(str(number["maximum"])) == MAX_AMOUNT
    string = next(s for s in component_schema("Amount")["anyOf"] if s["type"] == "string")
    assert string["pattern"].startswith(f"^[0-9]{{1,{len(str(int(MAX_AMOUNT)))}}}")


def test_the_timestamp_pattern_accepts_exactly_the_domains_offsets_and_years():
    import re

    pattern = re.compile(component_schema("Transaction")["properties"]["timestamp"]["pattern"])
    for minutes in range(-23 * 60 - 45, 23 * 60 + 46, 15):
        sign = "-" if minutes < 0 else "+"
        offset = f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"
        stamp = f"2024-03-01T12:00:00{offset}"
        in_domain = MIN_OFFSET <= datetime.fromisoformat(stamp).utcoffset() <= MAX_OFFSET  # type: ignore[operator]
        assert (pattern.match(stamp) is not None) is in_domain, stamp
    for year in (EARLIEST.year - 1, EARLIEST.year, LATEST.year - 1, LATEST.year):
        in_domain = EARLIEST.year <= year < LATEST.year
        assert (pattern.match(f"{year:04d}-06-01T12:00:00Z") is not None) is in_domain, year
