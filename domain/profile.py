"""CustomerProfile and how a transaction evolves it: a pure function from (profile, transaction) to a new profile.

Besides the rules' statistics, the profile keeps what the learned models' signals read (`domain.observation`):
per (category, currency) counts and totals, the recent window's amounts and currencies (parallel to its times, so
1 h and 24 h sums are exact over it), day totals for 7-day counts and sums (`domain.spending`), bit masks of the
last RUN_LENGTH payments that were high or at night (arrival order), and the count of night payments
(`domain.habits`: what is high and what is night, and how a run mask moves).

Size of the Customers item (adapters/items.py, sized by securebank/measure/aws_calls.item_size;
tests/unit/test_profile_size.py): for a realistic busy customer (UUID ids, 2 currencies, 13 categories, 30
merchants, 64 recent payments) 4,781 bytes before these fields and 5,881 after (5 KB to 6 KB: a transactional write
from 10 to 12 WRU); most of it was there before (the recent window's UUID ids and times: 3,740 bytes). For a customer
with a few payments a day (3 recent, 5 categories, 1 currency): 1,157 bytes before, 1,574 after (2 KB either way:
4 WRU). The new fields add at most 16 category statistics, 16 day totals and the recent window's amounts.
"""

from __future__ import annotations

from bisect import bisect_right
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Literal

from attrs import frozen

from domain.currency import QUANTUM
from domain.habits import HIGH_HISTORY, HIGH_MULTIPLE, RUN_LENGTH, is_high, is_night_in, with_run
from domain.local_time import DAY_END, DAY_START, is_night, offset_name, zone
from domain.model import CustomerId, Location, Transaction, TransactionId
from domain.spending import (
    CURRENCY_LIMIT,
    CategoryAmounts,
    CurrencyAmounts,
    DayTotal,
    add_amount,
    add_category_amount,
    add_day_total,
    find_category,
    most_recent_first,
    utc_day_number,
)

__all__ = [
    "CURRENCY_LIMIT",
    "DAY_END",
    "DAY_START",
    "HIGH_HISTORY",
    "HIGH_MULTIPLE",
    "RUN_LENGTH",
    "CategoryAmounts",
    "CurrencyAmounts",
    "CustomerProfile",
    "DayTotal",
    "apply_transaction",
    "apply_unseen",
    "is_high",
    "is_night",
    "offset_name",
    "zone",
]

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
HIGH_RISK_FLAGS = 3
"""A customer with this many flagged transactions, or flagged on more than a tenth of them, is high risk."""
_DAYS_PER_MONTH = Decimal("30.4375")
_ZERO = Decimal(0)


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
    recent_amounts: tuple[Decimal, ...] = ()
    """Parallel to `recent_times`: each recent payment's amount, in its currency (`recent_currencies`)."""
    recent_currencies: tuple[str, ...] = ()
    """Parallel to `recent_times`; "" for a payment whose amount is not known (kept before amounts were)."""
    category_amounts: tuple[CategoryAmounts, ...] = ()
    """Per (category, currency), the most recently used first; at most CATEGORY_AMOUNTS_LIMIT."""
    day_totals: tuple[DayTotal, ...] = ()
    """Per UTC day and currency, latest day first; kept as `domain.spending.add_day_total` says."""
    high_bits: int = 0
    """Bit i set: the payment applied i + 1 payments ago was high (`is_high`, against the profile before it)."""
    night_bits: int = 0
    """Bit i set: the payment applied i + 1 payments ago was at night (`is_night`) in the profile's zone."""
    night_count: int = 0
    """Payments at night, of the `total_transactions`."""
    new_bits: int = 0
    """Bit i set: the payment applied i + 1 payments ago was at a merchant the profile did not keep (a first payment
    there, as `Observation.merchant_seen` reads it)."""

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
    amount, currency, category = txn.amount, txn.currency, txn.merchant_category
    received = t if received_at is None else received_at
    times, ids, amounts, currencies = _recent_with(p, txn, received)
    day = utc_day_number(t)
    totals = p.amounts
    same = totals[0] if totals and totals[0].currency == currency else p.amounts_in(currency)
    entries = p.category_amounts
    found = find_category(entries, category, currency)
    kept = entries[found] if found >= 0 else None
    high = is_high(amount, kept.payments if kept else 0, kept.total if kept else _ZERO,
                   same.count if same else 0, same.total if same else _ZERO)  # fmt: skip
    night = is_night_in(t, zone_name or offset_name(t))
    if totals and totals[0].currency == currency:  # the usual case: the same currency as last time
        totals = (totals[0].add(amount), *totals[1:])
    else:
        totals = add_amount(totals, currency, amount)
    categories = p.categories
    if not categories or categories[0] != category:
        categories = most_recent_first(categories, category, CATEGORY_LIMIT)
    merchants = p.preferred_merchants
    if not merchants or merchants[0] != txn.merchant_id:
        merchants = most_recent_first(merchants, txn.merchant_id, MERCHANT_LIMIT)
    return CustomerProfile(
        p.customer_id,
        created,
        home,
        merchants,
        t,
        p.total_transactions + 1,
        p.total_fraud_flags + 1 if flagged else p.total_fraud_flags,
        zone_name,
        totals,
        txn.location,
        ids,
        times,
        categories,
        p.version + 1,
        p.assigned_risk,
        amounts,
        currencies,
        add_category_amount(entries, found, category, currency, amount),
        add_day_total(p.day_totals, day, currency, amount, day if received is t else utc_day_number(received)),
        with_run(p.high_bits, high),
        with_run(p.night_bits, night),
        p.night_count + night,
        with_run(p.new_bits, txn.merchant_id not in p.preferred_merchants),
    )


def _recent_with(
    p: CustomerProfile, txn: Transaction, received: datetime
) -> tuple[tuple[datetime, ...], tuple[TransactionId, ...], tuple[Decimal, ...], tuple[str, ...]]:
    """The recent window (times, ids, amounts, currencies) with `txn` inserted by time, then bounded."""
    t, amount, currency = txn.timestamp, txn.amount, txn.currency
    times, ids, amounts, currencies = p.recent_times, p.recent_ids, p.recent_amounts, p.recent_currencies
    if not times or t >= times[-1]:  # in order: append
        times, ids = (*times, t), (*ids, txn.transaction_id)
        amounts, currencies = (*amounts, amount), (*currencies, currency)
    else:
        at = bisect_right(times, t)
        times, ids = (*times[:at], t, *times[at:]), (*ids[:at], txn.transaction_id, *ids[at:])
        amounts, currencies = (*amounts[:at], amount, *amounts[at:]), (*currencies[:at], currency, *currencies[at:])
    cutoff = received - RECENT_HORIZON
    drop = len(times) - RECENT_LIMIT
    if times[0] <= cutoff:
        drop = max(drop, bisect_right(times, cutoff))
    if drop > 0:
        times, ids, amounts, currencies = times[drop:], ids[drop:], amounts[drop:], currencies[drop:]
    return times, ids, amounts, currencies
