"""What the rules see of one transaction: the profile before it + the transaction -> an `Observation`.

Observing is separate from judging (policy + observation -> `Decision`, in `domain.scoring`): profiles evolve the
same way whatever the policy, so a policy search can observe history once and try thresholds and weights over the
observations (see `domain.tuning`).
"""

from __future__ import annotations

from bisect import bisect_right
from datetime import datetime, time, timedelta
from decimal import Decimal
from functools import cache
from typing import NamedTuple

from domain.geo import haversine_miles
from domain.local_time import zone
from domain.merchant_risk import MerchantRisk
from domain.model import Transaction
from domain.profile import RUN_LENGTH, CustomerProfile
from domain.spending import EPOCH, find_category

__all__ = ["MERCHANT_FIELDS", "SIGNAL_FIELDS", "Moment", "Observation", "Value", "observe", "velocity_count", "zone"]

Value = Decimal | int | float | str | time | None
"""What a rule reports having observed, or compared against."""
_ZERO = Decimal(0)
_HOUR, _DAY = timedelta(hours=1), timedelta(days=1)
_HOUR_SECONDS = 3600
_WEEK_DAYS = 7
MERCHANT_FIELDS = ("merchant_frauds", "merchant_transactions")
"""The fields the merchant feed fills (`observe`'s `merchant`): zero when no active rule reads them."""


class Observation(NamedTuple):
    """What the rules see of one transaction, given the customer's profile before it (None for a new customer).

    Amounts are only compared within one currency: `prior_count` and `prior_total` are the customer's history in
    this transaction's currency (none for a first payment in a currency).

    A NamedTuple: one is built per transaction on the hot path."""

    amount: Decimal
    currency: str
    velocity_count: int
    """Transactions of the customer with timestamp in (t - window, t], this one included."""
    prior_count: int
    """The customer's earlier transactions in `currency`."""
    prior_total: Decimal
    """Their total, in `currency`."""
    history_count: int
    """Every earlier transaction of the customer, in any currency."""
    distance_miles: float | None
    """From the previous transaction's location; None on a first transaction."""
    hours_since_previous: float | None
    local_time: time
    category_seen: bool
    """Whether the customer used this merchant category before (False on a first transaction)."""
    merchant_frauds: int = 0
    """Confirmed frauds at the merchant known on the day, over the merchant rule's window (0 without a feed)."""
    merchant_transactions: int = 0
    """The merchant's transactions over that same window."""
    # The signals below feed learned models (domain/features.py); no rule of the specification reads them.
    merchant_category: str = ""
    """This payment's merchant category (for explanations: "... this holder's grocery average")."""
    category_count: int = 0
    """The customer's earlier payments in this merchant category and in `currency` (statistics are kept for the
    CATEGORY_AMOUNTS_LIMIT pairs used last: a pair used again after falling out restarts from 0)."""
    category_total: Decimal = _ZERO
    """Their total, in `currency`."""
    count_1h: int = 1
    """The customer's payments with timestamp in (t - 1 h, t], this one included, among the recent payments the
    profile keeps (like `velocity_count`: the last RECENT_LIMIT, within RECENT_HORIZON of the latest receipt)."""
    count_24h: int = 1
    """... in (t - 24 h, t], this one included, among the same recent payments."""
    count_7d: int = 1
    """The customer's payments dated (UTC) this payment's UTC day or the 6 days before it, this one included (with
    those dated later the same day that arrived first), among the day totals the profile keeps (the day of the
    latest receipt and the 7 before, `domain.spending.DAYS_KEPT`)."""
    sum_1h: Decimal = _ZERO
    """The amounts, in `currency` only, of the payments counted by `count_1h` (this one included; a recent payment
    whose amount the profile did not keep, from before it kept amounts, adds nothing)."""
    sum_24h: Decimal = _ZERO
    """... counted by `count_24h`, in `currency` only."""
    sum_7d: Decimal = _ZERO
    """... counted by `count_7d`, in `currency` only."""
    recent_high: int = 0
    """Of the customer's last RUN_LENGTH payments before this one (arrival order), how many were high for the
    customer at the time (`domain.habits.is_high`)."""
    recent_night: int = 0
    """Of those, how many were at night (local time outside [06:00, 22:00), `domain.habits.is_night_in`)."""
    merchant_seen: bool = False
    """Whether the customer paid this merchant before (among the merchants the profile keeps)."""
    night_count: int = 0
    """The customer's earlier payments made at night in the profile's zone (their habit: `night_count /
    history_count`; counted since the profile kept it)."""
    account_age_days: int = 0
    """Whole days from the account's creation (the first payment, or the KYC import) to this payment; 0 for a
    payment dated before it."""
    min_24h: Decimal = _ZERO
    """The smallest amount, in `currency` only, among the earlier payments counted by `count_24h` (this one left
    out); 0 when there is none (an amount is always positive). A card tested with a small payment before a run of
    purchases shows here."""
    recent_new: int = 0
    """Of the customer's last RUN_LENGTH payments before this one (arrival order), how many were at a merchant the
    profile did not keep at the time (`merchant_seen` False: a run at unfamiliar shops; counted since the profile
    kept it, 2026-12-01)."""
    previous_amount: Decimal = _ZERO
    """The amount of the latest earlier payment counted by `count_24h` (this one left out), when it is in `currency`;
    0 otherwise. A run of purchases minutes apart shows here, as a second large payment after the first."""
    recent_new_1h: int = 0
    """Of the `recent_new` payments, those among the customer's latest earlier payments counted by `count_1h` (as
    many of the last RUN_LENGTH as were in the hour before this one): a session at unfamiliar shops."""

    @property
    def prior_mean(self) -> Decimal | None:
        return self.prior_total / self.prior_count if self.prior_count else None

    @property
    def speed_mph(self) -> float | None:
        if self.distance_miles is None or self.hours_since_previous is None:
            return None
        if self.hours_since_previous <= 0:
            return float("inf") if self.distance_miles > 0 else 0.0
        return self.distance_miles / self.hours_since_previous


SIGNAL_FIELDS: tuple[str, ...] = Observation._fields[Observation._fields.index("merchant_category") :]
"""The signals learned models read and no rule of the specification does (a model policy reads every field)."""


class Moment(NamedTuple):
    """A transaction with what was known just before it: the customer's profile and the merchant feed. A rule whose
    observed fields depend on its own parameters (a window) measures them from this (`domain.catalogue.Variants`)."""

    profile: CustomerProfile | None
    txn: Transaction
    merchants: MerchantRisk


def velocity_count(profile: CustomerProfile | None, at: datetime, window_seconds: int) -> int:
    """The customer's transactions in (at - window, at], the one at `at` included."""
    if profile is None or profile.total_transactions == 0:
        return 1
    return 1 + profile.count_between(at - _seconds(window_seconds), at)


def observe(
    profile: CustomerProfile | None,
    txn: Transaction,
    window_seconds: int = 3600,
    merchant: tuple[int, int] = (0, 0),
) -> Observation:
    """Observe `txn` against the profile as it was before it; `merchant` is (known frauds, transactions) at its
    merchant over the merchant rule's window (see `MerchantRisk.counts`). One pass: every field is read from the
    profile's statistics, none from a scan of history."""
    t, amount, currency, category = txn.timestamp, txn.amount, txn.currency, txn.merchant_category
    # A first transaction is seen in its own offset, which becomes the profile's zone.
    local = t if profile is None or profile.timezone is None else t.astimezone(zone(profile.timezone))
    if profile is None or profile.total_transactions == 0:
        age = 0 if profile is None else max(0, (t - profile.account_created).days)
        return Observation(amount, currency, 1, 0, _ZERO, 0, None, None, local.time(), False, *merchant, category,
                           0, _ZERO, 1, 1, 1, amount, amount, amount, 0, 0, False, 0, age, _ZERO, 0, _ZERO,
                           0)  # fmt: skip
    times = profile.recent_times
    if times:
        end = len(times) if times[-1] <= t else bisect_right(times, t)  # in order: no search
        hour = bisect_right(times, t - _HOUR, 0, end)
        day = bisect_right(times, t - _DAY, 0, hour)
        window = hour if window_seconds == _HOUR_SECONDS else bisect_right(times, t - _seconds(window_seconds), 0, end)
        sum_1h, sum_24h = _recent_sums(profile, currency, amount, day, hour, end)
        least = _smallest(profile, currency, day, end)
        latest = end - 1  # the newest earlier payment, when it is in the last 24 h and in this currency
        before = (
            profile.recent_amounts[latest] if day <= latest and profile.recent_currencies[latest] == currency else _ZERO
        )
    else:
        end = hour = day = window = 0
        sum_1h = sum_24h = amount
        least = before = _ZERO
    count_7d, sum_7d = _week(profile, currency, amount, (t - EPOCH).days)
    previous = profile.last_location
    distance = haversine_miles(previous, txn.location) if previous is not None else None
    last = profile.last_transaction_timestamp
    hours = abs((t - last).total_seconds()) / 3600 if last is not None else None
    same = profile.amounts_in(currency)  # amounts are compared within one currency only
    count, total = (0, _ZERO) if same is None else (same.count, same.total)
    entries = profile.category_amounts
    at = find_category(entries, category, currency)
    category_count, category_total = (0, _ZERO) if at < 0 else (entries[at].payments, entries[at].total)
    # Positional arguments: faster than keywords for a NamedTuple built once per transaction.
    return Observation(amount, currency, 1 + end - window, count, total, profile.total_transactions, distance, hours,
                       local.time(), category in profile.categories, *merchant, category, category_count,
                       category_total, 1 + end - hour, 1 + end - day, count_7d, sum_1h, sum_24h, sum_7d,
                       profile.high_bits.bit_count(), profile.night_bits.bit_count(),
                       txn.merchant_id in profile.preferred_merchants, profile.night_count,
                       max(0, (t - profile.account_created).days), least, profile.new_bits.bit_count(), before,
                       (profile.new_bits & ((1 << min(end - hour, RUN_LENGTH)) - 1)).bit_count())  # fmt: skip


def _recent_sums(
    profile: CustomerProfile, currency: str, amount: Decimal, day: int, hour: int, end: int
) -> tuple[Decimal, Decimal]:
    """`amount` plus the recent amounts in `currency` at positions [hour, end), and at [day, end)."""
    amounts, currencies = profile.recent_amounts, profile.recent_currencies
    if currencies.count(currency) == len(currencies):  # the usual case: one currency (a C loop, no test per item)
        sum_1h = sum(amounts[hour:end], amount)
        return sum_1h, sum(amounts[day:hour], sum_1h)
    sum_1h = amount
    for i in range(hour, end):
        if currencies[i] == currency:
            sum_1h += amounts[i]
    sum_24h = sum_1h
    for i in range(day, hour):
        if currencies[i] == currency:
            sum_24h += amounts[i]
    return sum_1h, sum_24h


def _smallest(profile: CustomerProfile, currency: str, day: int, end: int) -> Decimal:
    """The smallest recent amount in `currency` at positions [day, end), or 0 when there is none."""
    if day >= end:
        return _ZERO
    amounts, currencies = profile.recent_amounts, profile.recent_currencies
    if currencies.count(currency) == len(currencies):  # the usual case: one currency
        return min(amounts[day:end])
    found = [amounts[i] for i in range(day, end) if currencies[i] == currency]
    return min(found) if found else _ZERO


def _week(profile: CustomerProfile, currency: str, amount: Decimal, today: int) -> tuple[int, Decimal]:
    """1 + the payments the day totals hold for UTC days [today - 6, today], and `amount` + their sum in
    `currency`."""
    count, total = 1, amount
    first = today - (_WEEK_DAYS - 1)
    for kept in profile.day_totals:  # latest day first
        if kept.day > today:
            continue
        if kept.day < first:
            break
        count += kept.payments
        if kept.currency == currency:
            total += kept.total
    return count, total


@cache
def _seconds(seconds: int) -> timedelta:
    return timedelta(seconds=seconds)
