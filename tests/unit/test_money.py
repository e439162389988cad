"""Amounts are never compared or added across currencies: profiles keep statistics per currency, and the amount
rules compare a payment only with the customer's payments in its own currency."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from attrs import evolve

from domain.model import CustomerId, Location, Transaction, TransactionId
from domain.policy import FraudPolicy, LargeAmountRule
from domain.profile import CURRENCY_LIMIT, CurrencyAmounts, CustomerProfile, apply_transaction
from domain.rules import observe, score

T0 = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)
HOME = Location(40.7128, -74.0060)


def pay(n: int, amount: str, currency: str, category: str = "grocery") -> Transaction:
    return Transaction(TransactionId(f"t{n}"), CustomerId("c1"), Decimal(amount), currency, "m1", category,
                       T0 + timedelta(hours=n), HOME)  # fmt: skip


def profile_of(*payments: Transaction) -> CustomerProfile:
    profile = CustomerProfile.open(payments[0])
    for payment in payments:
        profile = apply_transaction(profile, payment, flagged=False)
    return profile


def three_times(amount: str, currency: str, start: int = 0) -> list[Transaction]:
    return [pay(start + n, amount, currency) for n in range(3)]


def test_a_yen_payment_after_three_dollar_payments_is_not_an_amount_anomaly():
    decision = score(FraudPolicy.default(), profile_of(*three_times("30", "USD")), pay(3, "5000", "JPY"))

    assert "amount_anomaly" not in decision.triggered_rules
    assert (decision.observation.prior_count, decision.observation.prior_total) == (0, Decimal(0))


def test_a_dollar_payment_is_not_compared_with_yen_payments():
    decision = score(FraudPolicy.default(), profile_of(*three_times("5000", "JPY")), pay(3, "10000", "USD"))

    assert (decision.observation.prior_count, decision.observation.prior_total) == (0, Decimal(0))
    assert {r.rule: r for r in decision.results}["amount_anomaly"].threshold is None


def test_a_dollar_payment_is_compared_with_the_dollar_payments_whatever_yen_came_between():
    earlier = [*three_times("1000", "USD"), *three_times("50000", "JPY", start=3)]  # a mixed mean would be 25,500

    decision = score(FraudPolicy.default(), profile_of(*earlier), pay(6, "10000", "USD"))

    assert "amount_anomaly" in decision.triggered_rules
    assert (decision.observation.prior_count, decision.observation.prior_total) == (3, Decimal("3000.00"))
    assert decision.reasons[0] == "amount 10000.00 > 3000.00 USD (multiple of the customer's mean)"


def test_the_amount_anomaly_threshold_has_the_currencys_minor_units():
    decision = score(FraudPolicy.default(), profile_of(*three_times("1000", "JPY")), pay(3, "3001", "JPY"))

    assert decision.reasons[0] == "amount 3001 > 3000 JPY (multiple of the customer's mean)"


def test_category_deviation_counts_the_history_in_every_currency():
    policy = evolve(FraudPolicy.default(), category_deviation=evolve(FraudPolicy.default().category_deviation,
                                                                      weight=Decimal(1), min_history=3))  # fmt: skip
    decision = score(policy, profile_of(*three_times("30", "USD")), pay(3, "20", "EUR", category="travel"))

    assert "category_deviation" in decision.triggered_rules
    assert decision.reasons[-1] == "new merchant category after 3 transactions"


def large_amount(currency: str) -> FraudPolicy:
    return evolve(FraudPolicy.default(), large_amount=LargeAmountRule(Decimal(1), Decimal(10000), currency))


def test_large_amount_in_euros_does_not_trigger_on_dollars():
    assert "large_amount" not in score(large_amount("EUR"), None, pay(0, "20000", "USD")).triggered_rules


def test_large_amount_triggers_above_its_limit_in_its_currency_and_names_it():
    decision = score(large_amount("EUR"), None, pay(0, "10000.01", "EUR"))

    assert decision.triggered_rules == ("large_amount",)
    assert decision.reasons == ("amount 10000.01 > limit 10000 EUR",)
    assert "large_amount" not in score(large_amount("EUR"), None, pay(0, "10000.00", "EUR")).triggered_rules


def test_large_amount_is_in_dollars_by_default():
    assert FraudPolicy.default().large_amount.currency == "USD"


def test_profile_statistics_are_kept_per_currency_most_recent_first():
    profile = profile_of(pay(0, "30", "USD"), pay(1, "5000", "JPY"), pay(2, "10", "USD"), pay(3, "90.5", "USD"))

    assert profile.amounts == (
        CurrencyAmounts("USD", 3, Decimal("130.50"), Decimal("10.00"), Decimal("90.50")),
        CurrencyAmounts("JPY", 1, Decimal("5000"), Decimal("5000"), Decimal("5000")),
    )
    assert profile.total_transactions == 4
    assert profile.amount_mean("USD") == Decimal("43.50")
    assert profile.amount_mean("JPY") == Decimal("5000")
    assert profile.amount_mean("EUR") is None


def test_a_customers_average_monthly_spend_is_per_currency_in_its_minor_units():
    profile = profile_of(pay(0, "1001", "JPY"), pay(1, "10.01", "USD"))

    assert str(profile.average_monthly_spend("JPY")) == "1001"
    assert str(profile.average_monthly_spend("USD")) == "10.01"
    assert str(profile.average_monthly_spend("BHD")) == "0.000"


def test_statistics_are_kept_for_the_most_recently_used_currencies_only():
    codes = ["USD", "EUR", "GBP", "JPY", "CHF", "CAD", "AUD", "SEK", "NOK"]
    profile = profile_of(*(pay(n, "10", code) for n, code in enumerate(codes)))

    assert CURRENCY_LIMIT == 8
    assert [a.currency for a in profile.amounts] == codes[::-1][:CURRENCY_LIMIT]
    assert profile.amounts_in("USD") is None  # the least recently used: its history restarts
    assert observe(profile, pay(9, "10", "USD")).prior_count == 0
    assert profile.total_transactions == len(codes)
