"""Confirmed fraud per merchant and UTC day: what the `merchant_risk` rule knows when it scores a transaction.

A compromised terminal turns a customer's ordinary payments into fraud; nothing in the customer's own history
changes, so only what is known about the merchant can see it. That knowledge comes from fraud labels (chargebacks,
disputes, investigations), which arrive days after the payment. `MerchantRisk` therefore keeps, per merchant and
day, the number of transactions and, per confirmed fraud, the day from which it is known. The rule only counts
frauds already known on the day it scores, so a replay of history (backtest, tuning) cannot see a label before it
would have arrived.

In production the daily job publishes a snapshot of what is known (every fraud in it is known); in a replay,
`MerchantLedger` builds the whole history and dates each label: its `labelled_at` when given, else the
transaction's time plus an assumed delay. A label counts from the UTC day after it arrived (the job runs daily).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta

from attrs import field, frozen

from domain.labels import Labels
from domain.model import Transaction, TransactionKey

Day = int
"""A UTC date as its proleptic ordinal (`date.toordinal`), so that a window is a range of ints."""

KNOWN = 0
"""The `known_from` of a fraud in a published snapshot: known whatever the day scored."""


def utc_day(moment: datetime) -> Day:
    return moment.astimezone(UTC).toordinal()


@frozen
class MerchantDay:
    transactions: int
    known_from: tuple[Day, ...] = ()
    """One entry per confirmed fraud of that day: the first day it may be used on."""


@frozen
class MerchantRisk:
    """merchant_id -> day -> MerchantDay, for the merchants with at least one confirmed fraud."""

    merchants: Mapping[str, Mapping[Day, MerchantDay]] = field(factory=dict)

    def __bool__(self) -> bool:
        return bool(self.merchants)

    def counts(self, merchant_id: str, day: Day, window_days: int, lag_days: int) -> tuple[int, int]:
        """(frauds known on `day`, transactions) at the merchant over the days [day - lag - window, day - lag)."""
        days = self.merchants.get(merchant_id)
        if days is None:
            return 0, 0
        frauds = transactions = 0
        for when in range(day - lag_days - window_days, day - lag_days):
            entry = days.get(when)
            if entry is not None:
                transactions += entry.transactions
                frauds += sum(1 for known in entry.known_from if known <= day)
        return frauds, transactions

    def published(self, as_of: Day, days: int) -> MerchantRisk:
        """What a snapshot made on `as_of` holds: the `days` days before it, frauds known by then (as KNOWN)."""
        kept: dict[str, dict[Day, MerchantDay]] = {}
        for merchant, by_day in self.merchants.items():
            window = {
                d: MerchantDay(e.transactions, tuple(KNOWN for known in e.known_from if known <= as_of))
                for d, e in by_day.items()
                if as_of - days <= d < as_of
            }
            if any(e.known_from for e in window.values()):
                kept[merchant] = window
        return MerchantRisk(kept)


NO_MERCHANT_RISK = MerchantRisk()


class MerchantLedger:
    """Builds a `MerchantRisk` from history: every distinct transaction counts once, and each confirmed fraud is
    known from the day after its label arrived."""

    def __init__(self, label_delay: timedelta) -> None:
        self.label_delay = label_delay
        self._transactions: dict[tuple[str, Day], int] = {}
        self._frauds: dict[tuple[str, Day], list[Day]] = {}
        self._seen: set[TransactionKey] = set()

    def add(self, transactions: Iterable[Transaction], labels: Labels) -> MerchantLedger:
        """Count `transactions`; those whose label (`labels.label(txn.key)`) is a fraud are frauds, known from the
        day after their label arrived (else after the transaction's time + the delay)."""
        for txn in transactions:
            key = txn.key
            if key in self._seen:
                continue
            self._seen.add(key)
            day_key = (txn.merchant_id, utc_day(txn.timestamp))
            self._transactions[day_key] = self._transactions.get(day_key, 0) + 1
            label = labels.label(key)
            if label is not None and label.is_fraud:
                labelled_at = label.labelled_at or txn.timestamp + self.label_delay
                self._frauds.setdefault(day_key, []).append(utc_day(labelled_at) + 1)
        return self

    def risk(self) -> MerchantRisk:
        merchants: dict[str, dict[Day, MerchantDay]] = {}
        risky = {merchant for merchant, _ in self._frauds}
        for (merchant, day), count in self._transactions.items():
            if merchant in risky:
                known = tuple(sorted(self._frauds.get((merchant, day), ())))
                merchants.setdefault(merchant, {})[day] = MerchantDay(count, known)
        return MerchantRisk(merchants)
