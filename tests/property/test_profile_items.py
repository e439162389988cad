"""The Customers item: any profile reads back equal, and carries the derived risk_profile and average_monthly_spend
as plain attributes a reader of the table sees without the domain; what they add to the item is bounded."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from adapters.items import (
    PROFILE_DERIVED,
    from_attribute_values,
    profile_from_item,
    profile_to_item,
    to_attribute_values,
)
from domain.currency import QUANTUM
from domain.model import CustomerId, TransactionId
from domain.profile import CategoryAmounts, CurrencyAmounts, CustomerProfile, DayTotal
from securebank.measure.aws_calls import item_size
from tests.strategies import CURRENCIES, ids, locations, timestamps

DERIVED_MAX_BYTES = 100
"""What risk_profile (15 to 18 bytes), average_monthly_spend (22 to 33), spend_currency (17) and a set assigned_risk
(16 to 19) add: 57 bytes for a low-risk customer spending 1234.56 USD a month, at most 87."""


@st.composite
def currency_amounts(draw: st.DrawFn, currency: str) -> CurrencyAmounts:
    units = sorted(draw(st.lists(st.integers(1, 10**12), min_size=1, max_size=4)))
    quantum = QUANTUM[currency]
    values = [u * quantum for u in units]
    return CurrencyAmounts(currency, len(values), sum(values, Decimal(0)), values[0], values[-1])


@st.composite
def profiles(draw: st.DrawFn) -> CustomerProfile:
    created = draw(timestamps())
    currencies = draw(st.lists(st.sampled_from(CURRENCIES), unique=True, max_size=len(CURRENCIES)))
    times = sorted(draw(st.lists(timestamps(start=created), max_size=5)))
    total = draw(st.integers(0, 10**6))
    return CustomerProfile(
        CustomerId(draw(ids)),
        created,
        draw(st.none() | locations),
        tuple(draw(st.lists(ids, unique=True, max_size=3))),
        times[-1] if times else draw(st.none() | timestamps(start=created)),
        total,
        draw(st.integers(0, total)),
        draw(st.sampled_from(["UTC", "+09:00", "-05:30", "Europe/Paris", None])),
        tuple(draw(currency_amounts(c)) for c in currencies),
        draw(st.none() | locations),
        tuple(TransactionId(f"t{n}") for n in range(len(times))),
        tuple(times),
        tuple(draw(st.lists(st.sampled_from(["grocery", "fuel", "travel"]), unique=True))),
        draw(st.integers(0, 10**6)),
        draw(st.sampled_from([None, "low", "medium", "high"])),
        *draw(signal_statistics(len(times))),
    )


@st.composite
def signal_statistics(draw: st.DrawFn, recent: int) -> tuple[object, ...]:
    """The signals' statistics, as CustomerProfile's last fields: recent amounts and currencies ("" unknown, as
    read from an item written before them), category statistics (names with spaces), day totals, runs, night count."""
    codes = st.sampled_from([*CURRENCIES, ""])
    currencies = tuple(draw(st.lists(codes, min_size=recent, max_size=recent)))
    amounts = tuple(Decimal(draw(st.integers(0, 10**12))) * QUANTUM[c or "USD"] for c in currencies)
    names = st.sampled_from(["grocery", "fuel", "home & garden", "a b c"])
    categories = tuple(
        CategoryAmounts(draw(names), c, draw(st.integers(1, 10**6)), Decimal(draw(st.integers(1, 10**12))) * QUANTUM[c])
        for c in draw(st.lists(st.sampled_from(CURRENCIES), max_size=4))
    )
    days = tuple(
        DayTotal(draw(st.integers(19000, 21000)), c, draw(st.integers(1, 999)), Decimal(draw(st.integers(1, 10**9))))
        for c in draw(st.lists(st.sampled_from(CURRENCIES), max_size=4))
    )
    bits = st.integers(0, 31)
    return amounts, currencies, categories, days, draw(bits), draw(bits), draw(st.integers(0, 10**6))


@given(profile=profiles())
def test_any_profile_item_reads_back_equal(profile: CustomerProfile):
    values = to_attribute_values(profile_to_item(profile))

    assert profile_from_item(from_attribute_values(values)) == profile


@given(profile=profiles())
def test_the_item_carries_the_effective_risk_and_the_main_currency_spend(profile: CustomerProfile):
    item = from_attribute_values(to_attribute_values(profile_to_item(profile)))

    assert item["risk_profile"] == profile.risk_profile
    spend = profile.monthly_spend()
    if spend is None:
        assert "average_monthly_spend" not in item and "spend_currency" not in item
    else:
        assert (item["spend_currency"], item["average_monthly_spend"]) == (spend.currency, spend.amount)
    assert ("assigned_risk" in item) == (profile.assigned_risk is not None)  # absent, not NULL, when unset


@given(profile=profiles())
def test_the_derived_attributes_add_at_most_a_hundred_bytes(profile: CustomerProfile):
    values = to_attribute_values(profile_to_item(profile))
    without = {k: v for k, v in values.items() if k not in (*PROFILE_DERIVED, "assigned_risk")}

    assert item_size(values) - item_size(without) <= DERIVED_MAX_BYTES


def test_an_imported_profile_expires_from_its_import_not_from_an_old_account_creation():
    profile = CustomerProfile(CustomerId("ann"), datetime(2015, 6, 1, tzinfo=UTC), timezone=None, version=1)
    imported_at = profile.account_created + timedelta(days=3650)

    item = profile_to_item(profile, imported_at)

    assert item["expires_at"] > int(imported_at.timestamp())
