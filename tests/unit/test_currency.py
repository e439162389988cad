"""The currency table is ISO 4217's list of currencies in use, with ISO's minor units."""

from __future__ import annotations

from decimal import Decimal

import iso4217
import pytest

from domain.currency import MINOR_UNITS, QUANTUM

CIRCULATING_X_CODES = {"XAF", "XCD", "XCG", "XOF", "XPF"}
"""The X-codes that are money a payment is made in; the others are metals, bond units, drawing rights, tests."""


def iso_currencies_in_use() -> dict[str, int]:
    """ISO 4217 list one as the `iso4217` package ships it: every code with numeric minor units, less the funds
    ISO marks and the X-codes that are not circulating currencies."""
    table: dict[str, int] = {}
    for entry in iso4217.raw_xml.findall("CcyTbl/CcyNtry"):
        code, units, name = entry.findtext("Ccy"), entry.findtext("CcyMnrUnts"), entry.find("CcyNm")
        if code is None or units is None or not units.isdigit():
            continue
        if name is not None and name.get("IsFund") == "true":
            continue
        if code.startswith("X") and code not in CIRCULATING_X_CODES:
            continue
        table[code] = int(units)
    return table


def test_the_table_is_iso_4217_list_one_of_currencies_in_use():
    assert iso4217.__published__.isoformat() == "2026-01-01"  # a newer list: review the table's differences
    assert iso_currencies_in_use() == MINOR_UNITS


@pytest.mark.parametrize(
    ("code", "units"),
    [("USD", 2), ("EUR", 2), ("JPY", 0), ("KRW", 0), ("ISK", 0), ("CLP", 0), ("BHD", 3), ("KWD", 3), ("UYW", 4)],
)
def test_known_minor_units(code: str, units: int):
    assert MINOR_UNITS[code] == units
    assert QUANTUM[code] == Decimal(10) ** -units
    assert QUANTUM[code].as_tuple().exponent == -units


@pytest.mark.parametrize("code", ["XXX", "XTS", "XAU", "XAG", "XPT", "XPD", "XDR", "XSU", "XUA", "XAD", "CLF", "USN"])
def test_codes_that_are_not_currencies_in_use_are_not_in_the_table(code: str):
    assert code not in MINOR_UNITS
