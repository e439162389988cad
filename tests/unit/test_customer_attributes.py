"""risk_profile (assigned floor over computed) and average_monthly_spend (main currency), and the KYC record
applied to a profile: what it sets, what the first transaction completes, and that a repeat changes nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from attrs import evolve

from domain.kyc import KycRecord, apply_kyc
from domain.model import CustomerId, Location, Transaction, TransactionId
from domain.policy import FraudPolicy
from domain.profile import CurrencyAmounts, CustomerProfile, MonthlySpend, RiskProfile, apply_unseen
from domain.rules import score

T0 = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)
PARIS = Location(48.8566, 2.3522)
TOKYO = Location(35.6762, 139.6503)
ANN = CustomerId("ann")
IMPORTED_AT = datetime(2024, 2, 1, tzinfo=UTC)


def txn(n: int, at: datetime = T0, where: Location = PARIS, currency: str = "EUR", amount: str = "10.00"):
    return Transaction(TransactionId(f"t{n}"), ANN, Decimal(amount), currency, "m1", "grocery", at, where)


def profile_with(flags: int, total: int, assigned: RiskProfile | None = None) -> CustomerProfile:
    return CustomerProfile(ANN, T0, total_transactions=total, total_fraud_flags=flags, assigned_risk=assigned)


@pytest.mark.parametrize(
    ("flags", "total", "assigned", "expected"),
    [
        (0, 100, None, "low"),
        (1, 100, None, "medium"),
        (3, 100, None, "high"),
        (0, 100, "high", "high"),  # a clean history never lowers a KYC "high"
        (0, 100, "medium", "medium"),
        (1, 100, "low", "medium"),  # flags raise an assigned "low"
        (3, 100, "low", "high"),
        (1, 100, "high", "high"),
    ],
)
def test_risk_profile_is_the_higher_of_assigned_and_computed(flags, total, assigned, expected):
    assert profile_with(flags, total, assigned).risk_profile == expected


def test_monthly_spend_is_in_the_currency_with_the_most_payments():
    eur = CurrencyAmounts("EUR", 3, Decimal("300.00"), Decimal("50.00"), Decimal("150.00"))
    jpy = CurrencyAmounts("JPY", 1, Decimal("90000"), Decimal("90000"), Decimal("90000"))
    profile = CustomerProfile(ANN, T0, last_transaction_timestamp=T0 + timedelta(days=487), amounts=(jpy, eur))

    assert profile.monthly_spend() == MonthlySpend("EUR", Decimal("18.75"))  # 487 days: 16 months of 30.4375 days


def test_monthly_spend_ties_go_to_the_most_recently_used_currency_and_none_before_any_payment():
    usd = CurrencyAmounts("USD", 1, Decimal("5.00"), Decimal("5.00"), Decimal("5.00"))
    eur = CurrencyAmounts("EUR", 1, Decimal("7.00"), Decimal("7.00"), Decimal("7.00"))
    profile = CustomerProfile(ANN, T0, last_transaction_timestamp=T0, amounts=(usd, eur))

    assert profile.monthly_spend() == MonthlySpend("USD", Decimal("5.00"))
    assert CustomerProfile(ANN, T0).monthly_spend() is None


def test_kyc_for_a_new_customer_opens_a_profile_at_version_one_without_a_zone_unless_given():
    opened = apply_kyc(None, KycRecord(ANN, risk_profile="high"), IMPORTED_AT)

    assert opened == CustomerProfile(ANN, IMPORTED_AT, timezone=None, version=1, assigned_risk="high")


def test_the_first_transaction_keeps_the_imported_home_zone_age_and_risk():
    created = datetime(2019, 5, 1, tzinfo=UTC)
    kyc = KycRecord(ANN, "high", created, TOKYO, "Asia/Tokyo")
    imported = apply_kyc(None, kyc, IMPORTED_AT)
    assert imported is not None

    after = apply_unseen(imported, txn(0), flagged=False)

    assert (after.account_created, after.location, after.timezone, after.assigned_risk) == (
        created,
        TOKYO,
        "Asia/Tokyo",
        "high",
    )
    assert (after.total_transactions, after.version, after.last_location) == (1, 2, PARIS)
    assert apply_unseen(after, txn(1, T0 + timedelta(hours=1)), flagged=True).assigned_risk == "high"


def test_the_first_transaction_completes_what_the_import_left_open():
    imported = apply_kyc(None, KycRecord(ANN, risk_profile="medium"), IMPORTED_AT)
    assert imported is not None
    plus_nine = txn(0, datetime(2024, 1, 15, 23, 0, tzinfo=timezone(timedelta(hours=9))))

    after = apply_unseen(imported, plus_nine, flagged=False)

    assert after.location == PARIS
    assert after.timezone == "+09:00"
    assert after.account_created == plus_nine.timestamp  # before the import: the account existed then


def test_the_first_transaction_is_scored_in_the_imported_zone():
    """23:00 UTC is 08:00 in Tokyo: the time rule fires for a profile in UTC, not for one imported in Tokyo."""
    late = txn(0, datetime(2024, 3, 1, 23, 0, tzinfo=UTC))
    tokyo = apply_kyc(None, KycRecord(ANN, timezone="Asia/Tokyo"), IMPORTED_AT)
    unknown = apply_kyc(None, KycRecord(ANN, risk_profile="low"), IMPORTED_AT)

    assert "time_anomaly" not in score(FraudPolicy.default(), tokyo, late).triggered_rules
    assert "time_anomaly" in score(FraudPolicy.default(), unknown, late).triggered_rules  # its own offset: UTC


def test_kyc_updates_an_existing_customer_and_bumps_the_version():
    existing = apply_unseen(CustomerProfile.open(txn(0)), txn(0), flagged=False)

    updated = apply_kyc(existing, KycRecord(ANN, risk_profile="high", home=TOKYO), IMPORTED_AT)

    assert updated == evolve(existing, assigned_risk="high", location=TOKYO, version=existing.version + 1)


def test_the_same_kyc_record_applied_twice_changes_nothing_the_second_time():
    record = KycRecord(ANN, "medium", datetime(2020, 1, 1, tzinfo=UTC), TOKYO, "Asia/Tokyo")
    once = apply_kyc(None, record, IMPORTED_AT)
    assert once is not None

    assert apply_kyc(once, record, IMPORTED_AT + timedelta(days=1)) is None
    assert apply_kyc(once, KycRecord(ANN), IMPORTED_AT) is None  # a record that sets nothing changes nothing
