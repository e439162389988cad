"""A customer's spending statistics as the profile keeps them: per currency, per (category, currency), per UTC day.

Amounts are never added across currencies: every statistic here is kept in one currency. Each kind is bounded (the
profile item stays small); what falls out of a bound restarts when it is used again.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import NamedTuple

from attrs import frozen

CURRENCY_LIMIT = 8
"""Amount statistics are kept for at most this many currencies, the most recently used; a customer's history in a
currency they have not used since eight others restarts (so the profile item stays small)."""
CATEGORY_AMOUNTS_LIMIT = 16
"""Statistics are kept for at most this many (category, currency) pairs, the most recently used."""
DAYS_KEPT = 8
"""Day totals are kept for the UTC day of receipt of the newest applied payment and the 7 before it (and any later
day a payment was dated), at most DAY_TOTALS_LIMIT of them, the latest days first."""
DAY_TOTALS_LIMIT = 16
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@frozen
class CurrencyAmounts:
    """A customer's payments in one currency: how many, their total, the smallest and the largest."""

    currency: str
    count: int
    total: Decimal
    minimum: Decimal
    maximum: Decimal

    def add(self, amount: Decimal) -> CurrencyAmounts:
        return CurrencyAmounts(self.currency, self.count + 1, self.total + amount,
                               amount if amount < self.minimum else self.minimum,
                               amount if amount > self.maximum else self.maximum)  # fmt: skip

    @property
    def mean(self) -> Decimal:
        return self.total / self.count


class CategoryAmounts(NamedTuple):
    """A customer's payments in one merchant category and one currency: how many and their total."""

    category: str
    currency: str
    payments: int
    total: Decimal


class DayTotal(NamedTuple):
    """A customer's payments dated one UTC day (`day`: days since 1970-01-01) in one currency."""

    day: int
    currency: str
    payments: int
    total: Decimal


def utc_day_number(moment: datetime) -> int:
    """Days from 1970-01-01 to the UTC day of `moment`."""
    return (moment - EPOCH).days


def add_amount(amounts: tuple[CurrencyAmounts, ...], currency: str, amount: Decimal) -> tuple[CurrencyAmounts, ...]:
    """`amount` added to its currency's statistics, which move to the front (the least recent beyond the limit
    is dropped)."""
    for at, kept in enumerate(amounts):
        if kept.currency == currency:
            return (kept.add(amount), *amounts[:at], *amounts[at + 1 :])
    return (CurrencyAmounts(currency, 1, amount, amount, amount), *amounts[: CURRENCY_LIMIT - 1])


def find_category(entries: tuple[CategoryAmounts, ...], category: str, currency: str) -> int:
    """The index of the (category, currency) statistics, -1 when none are kept."""
    for at, entry in enumerate(entries):
        if entry.category == category and entry.currency == currency:
            return at
    return -1


def add_category_amount(
    entries: tuple[CategoryAmounts, ...], at: int, category: str, currency: str, amount: Decimal
) -> tuple[CategoryAmounts, ...]:
    """`amount` added to the statistics at `at` (`find_category`; -1: new ones), which move to the front."""
    if at < 0:
        return (CategoryAmounts(category, currency, 1, amount), *entries[: CATEGORY_AMOUNTS_LIMIT - 1])
    kept = entries[at]
    return (
        CategoryAmounts(category, currency, kept.payments + 1, kept.total + amount),
        *entries[:at],
        *entries[at + 1 :],
    )


def add_day_total(
    totals: tuple[DayTotal, ...], day: int, currency: str, amount: Decimal, received_day: int
) -> tuple[DayTotal, ...]:
    """`amount` added to its day's total in `currency`. Totals are ordered by day, latest first (then by currency);
    days before `received_day - (DAYS_KEPT - 1)` are dropped, then the earliest beyond DAY_TOTALS_LIMIT."""
    if totals and totals[0].day == day and totals[0].currency == currency:  # the usual case
        first = totals[0]
        updated = (DayTotal(day, currency, first.payments + 1, first.total + amount), *totals[1:])
        return updated if updated[-1].day >= received_day - (DAYS_KEPT - 1) else _trim(updated, received_day)
    at = 0
    for kept in totals:
        if kept.day == day and kept.currency == currency:
            updated = (*totals[:at], DayTotal(day, currency, kept.payments + 1, kept.total + amount), *totals[at + 1 :])
            return _trim(updated, received_day)
        if kept.day < day or (kept.day == day and kept.currency > currency):
            break
        at += 1
    return _trim((*totals[:at], DayTotal(day, currency, 1, amount), *totals[at:]), received_day)


def _trim(totals: tuple[DayTotal, ...], received_day: int) -> tuple[DayTotal, ...]:
    oldest = received_day - (DAYS_KEPT - 1)
    keep = len(totals)
    while keep and totals[keep - 1].day < oldest:
        keep -= 1
    keep = min(keep, DAY_TOTALS_LIMIT)
    return totals if keep == len(totals) else totals[:keep]


def most_recent_first(items: tuple[str, ...], item: str, limit: int) -> tuple[str, ...]:
    if item in items:
        at = items.index(item)
        return (item, *items[:at], *items[at + 1 :])
    return (item, *items[: limit - 1])
