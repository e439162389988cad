"""CustomerProfile and how a transaction evolves it: a pure function from (profile, transaction) to a new profile."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Literal

from attrs import evolve, field, frozen

from domain.model import CENT, CustomerId, Location, Transaction, TransactionId

RiskProfile = Literal["low", "medium", "high"]

RECENT_LIMIT = 64
"""At most this many recent transactions are kept (velocity window and redelivery detection)."""
RECENT_HORIZON = timedelta(hours=24)
"""Recent transactions older than this, relative to the newest, are dropped: Kinesis keeps records 24 h."""
CATEGORY_LIMIT = 32
MERCHANT_LIMIT = 10
_DAYS_PER_MONTH = Decimal("30.4375")


@frozen
class RecentTransaction:
    transaction_id: TransactionId
    timestamp: datetime


@frozen
class CustomerProfile:
    """What the rules know of a customer. `version` counts applied transactions and guards concurrent writes."""

    customer_id: CustomerId
    account_created: datetime
    risk_profile: RiskProfile = "low"
    average_monthly_spend: Decimal = Decimal("0.00")
    location: Location | None = None
    preferred_merchants: tuple[str, ...] = ()
    last_transaction_timestamp: datetime | None = None
    total_transactions: int = 0
    total_fraud_flags: int = 0
    timezone: str = "UTC"
    amount_count: int = 0
    amount_total: Decimal = Decimal("0.00")
    amount_min: Decimal | None = None
    amount_max: Decimal | None = None
    last_location: Location | None = None
    recent: tuple[RecentTransaction, ...] = ()
    categories: tuple[str, ...] = ()
    version: int = field(default=0)

    @classmethod
    def open(cls, transaction: Transaction, timezone: str = "UTC") -> CustomerProfile:
        """A new customer's empty profile, created from (but not yet including) their first transaction."""
        return cls(
            customer_id=transaction.customer_id,
            account_created=transaction.timestamp,
            location=transaction.location,
            timezone=timezone,
        )

    @property
    def amount_mean(self) -> Decimal | None:
        return self.amount_total / self.amount_count if self.amount_count else None

    def has_seen(self, transaction_id: TransactionId) -> bool:
        return any(r.transaction_id == transaction_id for r in self.recent)

    def recent_timestamps(self) -> Iterable[datetime]:
        return (r.timestamp for r in self.recent)


def apply_transaction(profile: CustomerProfile, txn: Transaction, flagged: bool) -> CustomerProfile:
    """The profile after `txn`. Applying a transaction the profile has already seen returns it unchanged."""
    if profile.has_seen(txn.transaction_id):
        return profile
    newest = txn.timestamp
    if profile.last_transaction_timestamp is not None and profile.last_transaction_timestamp > newest:
        newest = profile.last_transaction_timestamp
    horizon = newest - RECENT_HORIZON
    recent = tuple(r for r in profile.recent if r.timestamp > horizon)
    recent = (*recent, RecentTransaction(txn.transaction_id, txn.timestamp))[-RECENT_LIMIT:]
    total = profile.amount_total + txn.amount
    count = profile.amount_count + 1
    fraud_flags = profile.total_fraud_flags + (1 if flagged else 0)
    return evolve(
        profile,
        risk_profile=_risk(fraud_flags, count),
        average_monthly_spend=_monthly(total, profile.account_created, newest),
        preferred_merchants=_most_recent_first(profile.preferred_merchants, txn.merchant_id, MERCHANT_LIMIT),
        last_transaction_timestamp=newest,
        total_transactions=profile.total_transactions + 1,
        total_fraud_flags=fraud_flags,
        amount_count=count,
        amount_total=total,
        amount_min=txn.amount if profile.amount_min is None else min(profile.amount_min, txn.amount),
        amount_max=txn.amount if profile.amount_max is None else max(profile.amount_max, txn.amount),
        last_location=txn.location,
        recent=recent,
        categories=_most_recent_first(profile.categories, txn.merchant_category, CATEGORY_LIMIT),
        version=profile.version + 1,
    )


def _most_recent_first(items: tuple[str, ...], item: str, limit: int) -> tuple[str, ...]:
    if items and items[0] == item:
        return items
    return (item, *(i for i in items if i != item))[:limit]


def _risk(fraud_flags: int, transactions: int) -> RiskProfile:
    if fraud_flags == 0:
        return "low"
    if fraud_flags >= 3 or fraud_flags * 10 > transactions:
        return "high"
    return "medium"


def _monthly(total: Decimal, since: datetime, until: datetime) -> Decimal:
    days = Decimal((until - since).days)
    months = max(Decimal(1), days / _DAYS_PER_MONTH)
    return (total / months).quantize(CENT)
