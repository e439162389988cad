"""The seed's four rules at their exact boundaries, and exact decimal scoring."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from attrs import evolve

from domain.geo import haversine_miles
from domain.model import CustomerId, Location, Transaction, TransactionId
from domain.policy import FraudPolicy
from domain.profile import CustomerProfile, apply_transaction
from domain.rules import Observation, Scorer, evaluate, score

NEW_YORK = Location(40.7128, -74.0060)
T0 = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)


def txn(n: int, at: datetime = T0, amount: str = "10.00", where: Location = NEW_YORK, customer: str = "c1"):
    return Transaction(TransactionId(f"t{n}"), CustomerId(customer), Decimal(amount), "USD", "m1", "grocery", at,
                       where)  # fmt: skip


def history(*transactions: Transaction) -> CustomerProfile:
    profile = CustomerProfile.open(transactions[0])
    for t in transactions:
        profile = apply_transaction(profile, t, flagged=False)
    return profile


def observation(**changes: object) -> Observation:
    base = Observation(Decimal("10.00"), "USD", 1, 5, Decimal("50.00"), 5, 1.0, 1.0, T0.time(), True)
    return base._replace(**changes)


def triggered(obs: Observation, policy: FraudPolicy | None = None) -> tuple[str, ...]:
    return evaluate(policy or FraudPolicy.default(), obs).triggered_rules


def test_velocity_triggers_on_the_sixth_transaction_within_an_hour():
    earlier = [txn(i, T0 + timedelta(minutes=10 * i)) for i in range(5)]
    sixth = txn(5, T0 + timedelta(minutes=59))
    assert score(FraudPolicy.default(), history(*earlier[:4]), earlier[4]).triggered_rules.count("velocity_check") == 0
    decision = score(FraudPolicy.default(), history(*earlier), sixth)
    assert "velocity_check" in decision.triggered_rules
    assert decision.reasons[0] == "6 transactions in the last hour > 5"


def test_velocity_window_is_open_at_exactly_one_hour_before():
    first = txn(0, T0)
    others = [txn(i, T0 + timedelta(minutes=30, seconds=i)) for i in range(1, 5)]
    at_one_hour = txn(9, T0 + timedelta(hours=1))  # first is at t - 1 h exactly: outside (t - 1 h, t]
    assert "velocity_check" not in score(FraudPolicy.default(), history(first, *others), at_one_hour).triggered_rules
    just_inside = txn(9, T0 + timedelta(hours=1) - timedelta(microseconds=1))
    assert "velocity_check" in score(FraudPolicy.default(), history(first, *others), just_inside).triggered_rules


def test_velocity_counts_transactions_at_the_same_instant():
    same = [txn(i, T0) for i in range(6)]
    assert "velocity_check" in score(FraudPolicy.default(), history(*same[:5]), same[5]).triggered_rules


def test_amount_anomaly_needs_three_prior_transactions():
    assert "amount_anomaly" not in triggered(observation(prior_count=2, prior_total=Decimal("20"), amount=Decimal(500)))
    assert "amount_anomaly" in triggered(observation(prior_count=3, prior_total=Decimal("30"), amount=Decimal("30.01")))


def test_amount_anomaly_is_strictly_above_three_times_the_mean():
    assert "amount_anomaly" not in triggered(observation(prior_count=3, prior_total=Decimal("30"), amount=Decimal(30)))


def test_amount_anomaly_is_exact_for_means_that_do_not_terminate():
    # mean = 10/3; 3 x mean = 10 exactly, so 10.00 is not above it and 10.01 is
    obs = observation(prior_count=3, prior_total=Decimal("10.00"), amount=Decimal("10.00"))
    assert "amount_anomaly" not in triggered(obs)
    assert "amount_anomaly" in triggered(obs._replace(amount=Decimal("10.01")))


def test_location_anomaly_triggers_at_exactly_500_miles():
    assert "location_anomaly" in triggered(observation(distance_miles=500.0))
    assert "location_anomaly" not in triggered(observation(distance_miles=499.999))


def test_location_anomaly_never_triggers_on_a_first_transaction():
    tokyo = txn(1, where=Location(35.68, 139.65))
    assert "location_anomaly" not in score(FraudPolicy.default(), None, tokyo).triggered_rules


def test_location_anomaly_measures_from_the_previous_transaction_not_home():
    profile = history(txn(0), txn(1, T0 + timedelta(hours=5), where=Location(51.5072, -0.1276)))
    back_in_london = txn(2, T0 + timedelta(hours=9), where=Location(51.5, -0.12))
    assert "location_anomaly" not in score(FraudPolicy.default(), profile, back_in_london).triggered_rules


@pytest.mark.parametrize(
    ("local", "flagged"),
    [("05:59:59", True), ("06:00:00", False), ("21:59:59", False), ("22:00:00", True), ("00:00:00", True)],
)
def test_time_anomaly_boundaries(local: str, flagged: bool):
    at = datetime.fromisoformat(f"2024-03-01T{local}+00:00")
    assert ("time_anomaly" in triggered(observation(local_time=at.time()))) is flagged


def test_time_anomaly_uses_the_profiles_time_zone():
    profile = evolve(history(txn(0)), timezone="Asia/Tokyo")
    noon_in_tokyo = txn(1, datetime(2024, 3, 1, 3, 0, tzinfo=UTC))  # 12:00 in Tokyo, 03:00 UTC
    assert "time_anomaly" not in score(FraudPolicy.default(), profile, noon_in_tokyo).triggered_rules
    assert "time_anomaly" in score(FraudPolicy.default(), history(txn(0)), noon_in_tokyo).triggered_rules


def test_a_new_customer_takes_the_time_zone_of_their_first_transaction():
    first = txn(0, datetime.fromisoformat("2024-03-01T12:00:00+09:00"))
    assert CustomerProfile.open(first).timezone == "+09:00"
    assert CustomerProfile.open(txn(0)).timezone == "UTC"


def test_velocity_amount_and_time_make_exactly_0_8_which_is_not_fraud():
    obs = observation(velocity_count=6, amount=Decimal("100"), local_time=T0.replace(hour=3).time())
    decision = evaluate(FraudPolicy.default(), obs)
    assert decision.triggered_rules == ("velocity_check", "amount_anomaly", "time_anomaly")
    assert decision.risk_score == Decimal("0.8")
    assert decision.is_fraud is False


def test_velocity_amount_and_location_make_0_9_which_is_fraud():
    obs = observation(velocity_count=6, amount=Decimal("100"), distance_miles=2000.0)
    decision = evaluate(FraudPolicy.default(), obs)
    assert decision.risk_score == Decimal("0.9")
    assert decision.is_fraud is True


def test_a_decision_carries_every_rule_result_with_observed_value_and_threshold():
    decision = evaluate(FraudPolicy.default(), observation(velocity_count=7))
    results = {r.rule: r for r in decision.results}
    assert list(results) == ["velocity_check", "amount_anomaly", "location_anomaly", "time_anomaly"]
    assert (results["velocity_check"].triggered, results["velocity_check"].observed) == (True, 7)
    assert results["velocity_check"].threshold == 5
    assert results["location_anomaly"].triggered is False


def test_rules_at_weight_zero_are_not_evaluated_in_the_default_policy():
    decision = Scorer(FraudPolicy.default()).evaluate(observation(amount=Decimal("50000")))
    assert "large_amount" not in {r.rule for r in decision.results}


def test_extra_rule_families_score_when_a_policy_weights_them():
    policy = evolve(FraudPolicy.default(), large_amount=evolve(FraudPolicy.default().large_amount, weight=Decimal(1)))
    decision = evaluate(policy, observation(amount=Decimal("10000.01"), prior_count=0, prior_total=Decimal(0)))
    assert decision.triggered_rules == ("large_amount",)
    assert decision.risk_score == Decimal(1)
    assert decision.is_fraud
    assert not evaluate(policy, observation(amount=Decimal("10000.00"))).is_fraud


def test_haversine_new_york_to_london_is_about_3460_miles():
    assert haversine_miles(NEW_YORK, Location(51.5072, -0.1276)) == pytest.approx(3461, abs=5)
