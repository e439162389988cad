"""What the rules see of one transaction: the profile before it + the transaction -> an `Observation`.

Observing is separate from judging (policy + observation -> `Decision`, in `domain.scoring`): profiles evolve the
same way whatever the policy, so a policy search can observe history once and try thresholds and weights over the
observations (see `domain.tuning`).
"""

from __future__ import annotations

from datetime import datetime, time, timedelta, tzinfo
from datetime import timezone as dt_timezone
from decimal import Decimal
from functools import cache
from typing import NamedTuple
from zoneinfo import ZoneInfo

from domain.geo import haversine_miles
from domain.merchant_risk import MerchantRisk
from domain.model import Transaction
from domain.profile import CustomerProfile

Value = Decimal | int | float | str | time | None
"""What a rule reports having observed, or compared against."""
_ZERO = Decimal(0)
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
    """The customer's earlier payments in this merchant category and in `currency`."""
    category_total: Decimal = _ZERO
    """Their total, in `currency`."""
    count_1h: int = 1
    """The customer's payments with timestamp in (t - 1 h, t], this one included."""
    count_24h: int = 1
    """... in (t - 24 h, t], this one included."""
    count_7d: int = 1
    """... in (t - 7 days, t], this one included."""
    sum_1h: Decimal = _ZERO
    """The amounts, in `currency` only, of the payments counted by `count_1h` (this one included)."""
    sum_24h: Decimal = _ZERO
    """... counted by `count_24h`, in `currency` only."""
    sum_7d: Decimal = _ZERO
    """... counted by `count_7d`, in `currency` only."""
    recent_high: int = 0
    """Of the customer's last RUN_LENGTH payments before this one (arrival order), how many were high for the
    customer at the time (`domain.profile.is_high`)."""
    recent_night: int = 0
    """Of those, how many were at night (local time outside [06:00, 22:00), `domain.profile.is_night`)."""
    merchant_seen: bool = False
    """Whether the customer paid this merchant before (among the merchants the profile keeps)."""
    night_count: int = 0
    """The customer's earlier payments made at night (their habit: `night_count / history_count`)."""
    account_age_days: int = 0
    """Whole days from the account's creation (the first payment, or the KYC import) to this payment."""

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


class Moment(NamedTuple):
    """A transaction with what was known just before it: the customer's profile and the merchant feed. A rule whose
    observed fields depend on its own parameters (a window) measures them from this (`domain.catalogue.Variants`)."""

    profile: CustomerProfile | None
    txn: Transaction
    merchants: MerchantRisk


@cache
def zone(name: str) -> tzinfo:
    """An IANA zone name, or a fixed offset written "+HH:MM" / "-HH:MM"."""
    if name[:1] in "+-":
        hours, minutes = int(name[1:3]), int(name[4:6])
        delta = timedelta(hours=hours, minutes=minutes)
        return dt_timezone(-delta if name[0] == "-" else delta)
    return ZoneInfo(name)


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
    merchant over the merchant rule's window (see `MerchantRisk.counts`)."""
    t = txn.timestamp
    # A first transaction is seen in its own offset, which becomes the profile's zone.
    local = t if profile is None or profile.timezone is None else t.astimezone(zone(profile.timezone))
    if profile is None or profile.total_transactions == 0:
        return Observation(txn.amount, txn.currency, 1, 0, _ZERO, 0, None, None, local.time(), False, *merchant)
    velocity = 1 + profile.count_between(t - _seconds(window_seconds), t)  # velocity_count, inlined: hot path
    previous = profile.last_location
    distance = haversine_miles(previous, txn.location) if previous is not None else None
    last = profile.last_transaction_timestamp
    hours = abs((t - last).total_seconds()) / 3600 if last is not None else None
    seen = txn.merchant_category in profile.categories
    same = profile.amounts_in(txn.currency)  # amounts are compared within one currency only
    count, total = (0, _ZERO) if same is None else (same.count, same.total)
    # Positional arguments: faster than keywords for a NamedTuple built once per transaction.
    return Observation(txn.amount, txn.currency, velocity, count, total, profile.total_transactions, distance, hours,
                       local.time(), seen, *merchant)  # fmt: skip


@cache
def _seconds(seconds: int) -> timedelta:
    return timedelta(seconds=seconds)
