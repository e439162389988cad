"""The Customers item's compact text for the profile's spending statistics (adapters/items.py).

Day totals and (category, currency) statistics are stored as one string each, and the recent window's currencies
as runs: about a third of the bytes of maps with their attribute names, on an item that is written on every
payment.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from domain.profile import CategoryAmounts, DayTotal


def register_spending_hooks(converter: Any) -> None:
    """Day totals and (category, currency) statistics as one string each ("19723 USD 3 123.45", "USD 12 345.67
    grocery"): about a third of the bytes of a map with its attribute names."""

    def category_text(entry: CategoryAmounts) -> str:
        return f"{entry.currency} {entry.payments} {entry.total} {entry.category}"

    def category_of(text: object, _: type) -> CategoryAmounts:
        currency, count, total, category = _text(text).split(" ", 3)
        return CategoryAmounts(category, currency, int(count), Decimal(total))

    def day_text(entry: DayTotal) -> str:
        return f"{entry.day} {entry.currency} {entry.payments} {entry.total}"

    def day_of(text: object, _: type) -> DayTotal:
        day, currency, count, total = _text(text).split(" ")
        return DayTotal(int(day), currency, int(count), Decimal(total))

    converter.register_unstructure_hook(CategoryAmounts, category_text)
    converter.register_structure_hook(CategoryAmounts, category_of)
    converter.register_unstructure_hook(DayTotal, day_text)
    converter.register_structure_hook(DayTotal, day_of)


def _text(value: object) -> str:
    if not isinstance(value, str):
        raise TypeError("must be a string")
    return value


def runs_text(codes: tuple[str, ...]) -> str:
    """Currency codes as runs: ("USD", "USD", "EUR") -> "USD2,EUR1"; an unknown ("") one is written bare ("3")."""
    runs: list[list[Any]] = []
    for code in codes:
        if runs and runs[-1][0] == code:
            runs[-1][1] += 1
        else:
            runs.append([code, 1])
    return ",".join(f"{code}{count}" for code, count in runs)


def runs_of(text: str) -> tuple[str, ...]:
    codes: list[str] = []
    for run in text.split(",") if text else ():
        code = run.rstrip("0123456789")
        codes.extend([code] * int(run[len(code) :]))
    return tuple(codes)
