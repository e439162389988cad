"""Shared Hypothesis strategies, one per domain type (STYLE E9)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

from hypothesis import strategies as st

from domain.currency import QUANTUM
from domain.model import CustomerId, Location, Transaction, TransactionId
from domain.observation import Observation
from domain.policy import (
    AmountRule,
    FraudPolicy,
    LargeAmountRule,
    LocationRule,
    MerchantRiskRule,
    TimeRule,
    VelocityRule,
)

START = datetime(2024, 1, 1, tzinfo=UTC)

ids = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789_-", min_size=1, max_size=12)
CURRENCIES = ("USD", "EUR", "JPY", "BHD")
"""Mixed currencies of 2, 0 and 3 decimals."""
currencies = st.sampled_from(CURRENCIES)
weights = st.decimals(min_value=Decimal(0), max_value=Decimal(1), places=2)
locations = st.builds(
    Location,
    latitude=st.floats(min_value=-90, max_value=90, allow_nan=False),
    longitude=st.floats(min_value=-180, max_value=180, allow_nan=False),
)
offsets = st.sampled_from([timedelta(0), timedelta(hours=9), timedelta(hours=-5), timedelta(hours=5, minutes=30)])


@st.composite
def timestamps(draw: st.DrawFn, start: datetime = START, span: timedelta = timedelta(days=3)) -> datetime:
    seconds = draw(st.integers(min_value=0, max_value=int(span.total_seconds())))
    return (start + timedelta(seconds=seconds)).astimezone(timezone(draw(offsets)))


@st.composite
def amounts(draw: st.DrawFn, currency: str = "USD") -> Decimal:
    """A positive amount with exactly `currency`'s minor units, up to 20,000."""
    unit = QUANTUM[currency]
    return draw(st.integers(min_value=1, max_value=int(20000 / unit))) * unit


@st.composite
def transactions(
    draw: st.DrawFn,
    customer_id: str | None = None,
    transaction_id: str | None = None,
    at: datetime | None = None,
) -> Transaction:
    currency = draw(currencies)
    return Transaction(
        transaction_id=TransactionId(transaction_id or draw(ids)),
        customer_id=CustomerId(customer_id or draw(st.sampled_from(["alice", "bob", "carol"]))),
        amount=draw(amounts(currency)),
        currency=currency,
        merchant_id=draw(st.sampled_from(["m1", "m2", "m3", "m4"])),
        merchant_category=draw(st.sampled_from(["grocery", "fuel", "travel", "jewelry"])),
        timestamp=at or draw(timestamps()),
        location=draw(
            st.one_of(
                locations,
                st.sampled_from([Location(40.7128, -74.006), Location(51.5072, -0.1276), Location(35.68, 139.65)]),
            )
        ),
    )


@st.composite
def histories(draw: st.DrawFn, max_size: int = 30) -> list[Transaction]:
    """Transactions of a few customers, in mixed currencies, with distinct ids, in arbitrary (not sorted) order."""
    count = draw(st.integers(min_value=0, max_value=max_size))
    return [draw(transactions(transaction_id=f"t{i}")) for i in range(count)]


@st.composite
def policies(draw: st.DrawFn) -> FraudPolicy:
    return FraudPolicy(
        version=draw(st.integers(min_value=1, max_value=1000)),
        threshold=draw(weights),
        velocity_check=VelocityRule(draw(weights), draw(st.integers(60, 7200)), draw(st.integers(1, 10))),
        amount_anomaly=AmountRule(draw(weights), draw(st.integers(1, 5)), draw(st.decimals("1.5", "5", places=1))),
        location_anomaly=LocationRule(draw(weights), draw(st.decimals("50", "2000", places=0))),
        time_anomaly=TimeRule(draw(weights)),
        large_amount=LargeAmountRule(draw(weights), draw(st.decimals("100", "20000", places=0)), draw(currencies)),
        merchant_risk=MerchantRiskRule(
            draw(weights), draw(st.integers(1, 28)), draw(st.integers(0, 7)), draw(st.integers(1, 5)), draw(weights)
        ),
    )


observations = st.builds(  # any Observation the rules may see, unrelated to a profile
    Observation,
    amount=st.decimals(min_value=Decimal("0.01"), max_value=Decimal("10000"), places=2),
    currency=currencies,
    velocity_count=st.integers(1, 20),
    prior_count=st.integers(0, 50),
    prior_total=st.decimals(min_value=Decimal("0"), max_value=Decimal("100000"), places=2),
    history_count=st.integers(0, 80),
    distance_miles=st.one_of(st.none(), st.floats(0, 12500)),
    hours_since_previous=st.one_of(st.none(), st.floats(0, 1000)),
    local_time=st.times(),
    category_seen=st.booleans(),
    merchant_frauds=st.integers(0, 30),
    merchant_transactions=st.integers(0, 60),
)
