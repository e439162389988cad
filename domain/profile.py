"""CustomerProfile and how a transaction evolves it: a pure function from (profile, transaction) to a new profile."""

from __future__ import annotations

from bisect import bisect_right
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Literal

from attrs import frozen

from domain.currency import QUANTUM
from domain.model import CustomerId, Location, Transaction, TransactionId

RiskProfile = Literal["low", "medium", "high"]
RISK_LEVELS: tuple[RiskProfile, ...] = ("low", "medium", "high")
"""In increasing order of risk."""

RECENT_LIMIT = 64
"""At most this many recent transactions are kept (velocity window and redelivery detection)."""
RECENT_HORIZON = timedelta(hours=24)
"""Recent transactions dated this long before the receipt of the newest applied one are dropped (Kinesis keeps
records 24 h). Anchored on receipt, not on the newest client timestamp: one payment dated years ahead must not
push every other one out and blind the velocity rule."""
CATEGORY_LIMIT = 32
MERCHANT_LIMIT = 10
CURRENCY_LIMIT = 8
"""Amount statistics are kept for at most this many currencies, the most recently used; a customer's history in a
currency they have not used since eight others restarts (so the profile item stays small)."""
HIGH_RISK_FLAGS = 3
"""A customer with this many flagged transactions, or flagged on more than a tenth of them, is high risk."""
_DAYS_PER_MONTH = Decimal("30.4375")


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


@frozen
class MonthlySpend:
    """The customer's average monthly spend in their main currency (see `CustomerProfile.monthly_spend`)."""

    currency: str
    amount: Decimal


@frozen
class CustomerProfile:
    """What the rules know of a customer. `version` counts writes (applied transactions and customer imports) and
    guards concurrent writes.

    Amounts are never added across currencies: `amounts` keeps count, total, minimum and maximum per currency, and
    every amount statistic is asked for in one currency. `total_transactions` counts every currency.

    `recent_ids` and `recent_times` are parallel, ordered by time: the customer's newest transactions, bounded by
    RECENT_LIMIT and RECENT_HORIZON. Older redeliveries are caught by the repository's conditional write instead.
    """

    customer_id: CustomerId
    account_created: datetime
    location: Location | None = None
    """Home: where the first transaction happened."""
    preferred_merchants: tuple[str, ...] = ()
    """The most recently used distinct merchants, newest first."""
    last_transaction_timestamp: datetime | None = None
    """The timestamp of the last transaction applied (in arrival order), like `last_location`."""
    total_transactions: int = 0
    total_fraud_flags: int = 0
    timezone: str | None = "UTC"
    """An IANA name or a fixed offset ("+09:00"); None only on a profile imported before its first transaction
    without a zone, which then takes the first transaction's offset, as a new customer's does."""
    amounts: tuple[CurrencyAmounts, ...] = ()
    """Per currency, the most recently used first; at most CURRENCY_LIMIT."""
    last_location: Location | None = None
    recent_ids: tuple[TransactionId, ...] = ()
    recent_times: tuple[datetime, ...] = ()
    categories: tuple[str, ...] = ()
    """Merchant categories used, most recent first."""
    version: int = 0
    assigned_risk: RiskProfile | None = None
    """Set by an operator or a KYC import (domain/kyc.py); a floor under the computed risk (`risk_profile`)."""

    @classmethod
    def open(cls, transaction: Transaction, timezone: str | None = None) -> CustomerProfile:
        """A new customer's empty profile, created from (but not yet including) their first transaction.

        Without a known IANA zone, the first transaction's UTC offset stands for it ("UTC" for Z or +00:00)."""
        zone = timezone or offset_name(transaction.timestamp)
        return cls(transaction.customer_id, transaction.timestamp, transaction.location, timezone=zone)

    def amounts_in(self, currency: str) -> CurrencyAmounts | None:
        """The customer's amount statistics in `currency` (None if none are kept)."""
        for amounts in self.amounts:
            if amounts.currency == currency:
                return amounts
        return None

    def amount_mean(self, currency: str) -> Decimal | None:
        """The mean amount of the customer's payments in `currency` (None without any)."""
        amounts = self.amounts_in(currency)
        return None if amounts is None else amounts.mean

    def average_monthly_spend(self, currency: str) -> Decimal:
        """Spend in `currency` per 30.4375 days since the account opened (at least one month), in its minor units."""
        amounts = self.amounts_in(currency)
        quantum = QUANTUM[currency]
        if amounts is None or self.last_transaction_timestamp is None:
            return Decimal(0).quantize(quantum)
        days = Decimal((self.last_transaction_timestamp - self.account_created).days)
        return (amounts.total / max(Decimal(1), days / _DAYS_PER_MONTH)).quantize(quantum)

    def monthly_spend(self) -> MonthlySpend | None:
        """`average_monthly_spend` in the main currency: the one with the most payments, the most recently used of
        those tied (amounts are never added across currencies). None before any payment."""
        if not self.amounts:
            return None
        main = max(self.amounts, key=lambda a: a.count)  # max keeps the first of equals: the most recent
        return MonthlySpend(main.currency, self.average_monthly_spend(main.currency))

    @property
    def computed_risk(self) -> RiskProfile:
        """The risk the history shows: low without flags, high with HIGH_RISK_FLAGS or more than a tenth flagged."""
        flags = self.total_fraud_flags
        if flags == 0:
            return "low"
        if flags >= HIGH_RISK_FLAGS or flags * 10 > self.total_transactions:
            return "high"
        return "medium"

    @property
    def risk_profile(self) -> RiskProfile:
        """The higher of the assigned and the computed risk: a KYC or operator assessment is a floor that a clean
        history never lowers, and fraud flags raise an assigned "low" as they would any customer's."""
        computed, assigned = self.computed_risk, self.assigned_risk
        if assigned is None or RISK_LEVELS.index(computed) >= RISK_LEVELS.index(assigned):
            return computed
        return assigned

    def has_seen(self, transaction_id: TransactionId) -> bool:
        return transaction_id in self.recent_ids

    def count_between(self, start: datetime, end: datetime) -> int:
        """Recent transactions with timestamp in (start, end]."""
        times = self.recent_times
        last = len(times) if not times or times[-1] <= end else bisect_right(times, end)  # in order: no search
        return last - bisect_right(times, start)


def apply_transaction(
    profile: CustomerProfile, txn: Transaction, flagged: bool, received_at: datetime | None = None
) -> CustomerProfile:
    """The profile after `txn`. Applying a transaction the profile has already seen returns it unchanged."""
    if txn.transaction_id in profile.recent_ids:
        return profile
    return apply_unseen(profile, txn, flagged, received_at)


def apply_unseen(
    p: CustomerProfile, txn: Transaction, flagged: bool, received_at: datetime | None = None
) -> CustomerProfile:
    """`apply_transaction` for a caller that has already checked `has_seen`. `received_at` is when the pipeline
    received `txn` (a replay of history receives each transaction at its own timestamp, the default).

    The first transaction of a profile imported before it (domain/kyc.py) completes what the import left open: the
    home location and zone when not imported, and the account's creation, moved back to the transaction if later
    (an account cannot pay before it exists)."""
    t = txn.timestamp
    created, home, zone_name = p.account_created, p.location, p.timezone
    if p.total_transactions == 0:
        created, home = min(created, t), home or txn.location
        zone_name = zone_name or offset_name(t)
    times, ids = p.recent_times, p.recent_ids
    if not times or t >= times[-1]:  # in order: append
        times, ids = (*times, t), (*ids, txn.transaction_id)
    else:
        at = bisect_right(times, t)
        times = (*times[:at], t, *times[at:])
        ids = (*ids[:at], txn.transaction_id, *ids[at:])
    cutoff = (t if received_at is None else received_at) - RECENT_HORIZON
    drop = len(times) - RECENT_LIMIT
    if times[0] <= cutoff:
        drop = max(drop, bisect_right(times, cutoff))
    if drop > 0:
        times, ids = times[drop:], ids[drop:]
    amounts = p.amounts
    if amounts and amounts[0].currency == txn.currency:  # the usual case: the same currency as last time
        amounts = (amounts[0].add(txn.amount), *amounts[1:])
    else:
        amounts = _add_amount(amounts, txn.currency, txn.amount)
    categories = p.categories
    if not categories or categories[0] != txn.merchant_category:
        categories = _most_recent_first(categories, txn.merchant_category, CATEGORY_LIMIT)
    merchants = p.preferred_merchants
    if not merchants or merchants[0] != txn.merchant_id:
        merchants = _most_recent_first(merchants, txn.merchant_id, MERCHANT_LIMIT)
    return CustomerProfile(
        p.customer_id,
        created,
        home,
        merchants,
        t,
        p.total_transactions + 1,
        p.total_fraud_flags + 1 if flagged else p.total_fraud_flags,
        zone_name,
        amounts,
        txn.location,
        ids,
        times,
        categories,
        p.version + 1,
        p.assigned_risk,
    )


def offset_name(moment: datetime) -> str:
    """ "UTC" or a fixed offset such as "+09:00" or "-05:30"."""
    offset = moment.utcoffset()
    if not offset:
        return "UTC"
    minutes = int(offset.total_seconds()) // 60
    sign = "-" if minutes < 0 else "+"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def _add_amount(amounts: tuple[CurrencyAmounts, ...], currency: str, amount: Decimal) -> tuple[CurrencyAmounts, ...]:
    """`amount` added to its currency's statistics, which move to the front (the least recent beyond the limit
    is dropped)."""
    for at, kept in enumerate(amounts):
        if kept.currency == currency:
            return (kept.add(amount), *amounts[:at], *amounts[at + 1 :])
    return (CurrencyAmounts(currency, 1, amount, amount, amount), *amounts[: CURRENCY_LIMIT - 1])


def _most_recent_first(items: tuple[str, ...], item: str, limit: int) -> tuple[str, ...]:
    if item in items:
        at = items.index(item)
        return (item, *items[:at], *items[at + 1 :])
    return (item, *items[: limit - 1])
