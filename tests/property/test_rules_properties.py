"""Invariants of the fraud engine, over generated customers, histories and policies."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import attrs
from hypothesis import given
from hypothesis import strategies as st

from adapters.memory import (
    FixedClock,
    InMemoryProfileRepository,
    InMemoryRawArchive,
    InMemoryTransactionRepository,
    RecordingMetrics,
    StaticMerchantRiskSource,
    StaticPolicySource,
)
from domain.catalogue import catalogue
from domain.geo import haversine_miles
from domain.model import Transaction
from domain.policy import FraudPolicy
from domain.ports import BatchRef, ScoredTransaction
from domain.process_batch import BatchPorts, process_batch
from domain.profile import CustomerProfile, apply_transaction
from domain.receipt import Received
from domain.rules import Observation, evaluate, observe
from tests.strategies import histories, locations, observations, policies, transactions


class Pipeline:
    """process_batch on in-memory adapters, as the processor would run it."""

    def __init__(self, policy: FraudPolicy | None = None) -> None:
        self.policy = policy or FraudPolicy.default()
        self.profiles = InMemoryProfileRepository()
        self.transactions = InMemoryTransactionRepository(self.profiles)
        self.ports = BatchPorts(profiles=self.profiles, transactions=self.transactions, archive=InMemoryRawArchive(),
                                metrics=RecordingMetrics(), clock=FixedClock(), policy=StaticPolicySource(self.policy),
                                merchants=StaticMerchantRiskSource())  # fmt: skip

    def run(self, batch: list[Transaction], size: int = 7) -> list[ScoredTransaction]:
        scored: list[ScoredTransaction] = []
        for i in range(0, len(batch), size):
            received = [Received(t, t.timestamp) for t in batch[i : i + size]]
            outcome = process_batch(received, self.ports, BatchRef("s", str(i), str(i)))
            assert not outcome.failed
            scored.extend(outcome.scored)
        return scored


def decisions_of(scored: list[ScoredTransaction], customer: str) -> list[tuple[str, Decimal, tuple[str, ...]]]:
    return [(s.transaction.transaction_id, s.decision.risk_score, s.decision.triggered_rules) for s in scored
            if s.transaction.customer_id == customer]  # fmt: skip


@given(policies(), observations)
def test_score_lies_between_zero_and_the_sum_of_weights(policy: FraudPolicy, obs: Observation):
    decision = evaluate(policy, obs)
    assert Decimal(0) <= decision.risk_score <= policy.total_weight
    assert decision.is_fraud == (decision.risk_score > policy.threshold)


@given(policies(), observations)
def test_score_is_the_exact_sum_of_the_triggered_weights(policy: FraudPolicy, obs: Observation):
    decision = evaluate(policy, obs)
    exact = sum((Fraction(getattr(policy, name).weight) for name in decision.triggered_rules), Fraction(0))
    assert Fraction(decision.risk_score) == exact


@given(
    policies(),
    observations,
    st.integers(0, 10),
    st.decimals(min_value=Decimal("0"), max_value=Decimal("5000"), places=2),
    st.floats(0, 5000),
    st.integers(0, 10),
)
def test_triggering_more_rules_never_lowers_the_score(
    policy: FraudPolicy,
    obs: Observation,
    more_velocity: int,
    more_amount: Decimal,
    more_distance: float,
    more_frauds: int,
):
    worse = obs._replace(
        velocity_count=obs.velocity_count + more_velocity,
        amount=obs.amount + more_amount,
        distance_miles=None if obs.distance_miles is None else obs.distance_miles + more_distance,
        merchant_frauds=obs.merchant_frauds + more_frauds,  # more confirmed frauds among as many more payments
        merchant_transactions=obs.merchant_transactions + more_frauds,
    )
    before, after = evaluate(policy, obs), evaluate(policy, worse)
    assert set(before.triggered_rules) - {"time_anomaly", "category_deviation", "impossible_travel"} <= set(
        after.triggered_rules
    )
    if set(before.triggered_rules) <= set(after.triggered_rules):
        assert after.risk_score >= before.risk_score


@given(observations)
def test_amount_anomaly_agrees_with_exact_rational_arithmetic(obs: Observation):
    mean = Fraction(obs.prior_total) / obs.prior_count if obs.prior_count else None
    expected = obs.prior_count >= 3 and mean is not None and Fraction(obs.amount) > 3 * mean
    assert ("amount_anomaly" in evaluate(FraudPolicy.default(), obs).triggered_rules) is expected


@given(histories(), st.sampled_from(["alice", "bob", "carol"]))
def test_other_customers_transactions_never_change_a_customers_decisions(history: list[Transaction], who: str):
    together = Pipeline().run(history)
    alone = Pipeline().run([t for t in history if t.customer_id == who])
    assert decisions_of(together, who) == decisions_of(alone, who)


@given(histories(), st.data())
def test_replaying_any_prefix_again_changes_nothing(history: list[Transaction], data: st.DataObject):
    pipeline = Pipeline()
    first = pipeline.run(history)
    profiles, stored = dict(pipeline.profiles.items), dict(pipeline.transactions.items)
    prefix = data.draw(st.integers(0, len(history)))
    again = pipeline.run(history[:prefix], size=data.draw(st.integers(1, 10)))
    assert again == []
    assert pipeline.profiles.items == profiles
    assert pipeline.transactions.items == stored
    assert len(first) == len({t.key for t in history})


@given(histories())
def test_profiles_count_each_stored_transaction_once(history: list[Transaction]):
    pipeline = Pipeline()
    pipeline.run(history + history[::2])
    for customer, profile in pipeline.profiles.items.items():
        assert profile.total_transactions == len(pipeline.transactions.by_customer(customer))
        assert profile.version == profile.total_transactions


@given(histories())
def test_amounts_are_observed_and_kept_per_currency(history: list[Transaction]):
    """Each transaction is observed against the earlier amounts of its own currency only, and the profile's
    statistics are those of its transactions, currency by currency (the strategies use fewer currencies than the
    profile keeps)."""
    profiles: dict[str, CustomerProfile] = {}
    applied: dict[str, list[Transaction]] = {}
    for txn in history:
        earlier = applied.setdefault(txn.customer_id, [])
        obs = observe(profiles.get(txn.customer_id), txn)
        same = [t.amount for t in earlier if t.currency == txn.currency]
        assert (obs.currency, obs.prior_count, obs.prior_total) == (txn.currency, len(same), sum(same, Decimal(0)))
        assert obs.history_count == len(earlier)
        profile = profiles.get(txn.customer_id) or CustomerProfile.open(txn)
        profiles[txn.customer_id] = apply_transaction(profile, txn, flagged=False)
        earlier.append(txn)
    for customer, profile in profiles.items():
        by_currency: dict[str, list[Decimal]] = {}
        for t in applied[customer]:
            by_currency.setdefault(t.currency, []).append(t.amount)
        expected = {c: (len(a), sum(a, Decimal(0)), min(a), max(a)) for c, a in by_currency.items()}
        assert {a.currency: (a.count, a.total, a.minimum, a.maximum) for a in profile.amounts} == expected
        assert profile.amounts[0].currency == applied[customer][-1].currency


@given(transactions(), st.booleans())
def test_applying_the_same_transaction_twice_is_a_no_op(txn: Transaction, flagged: bool):
    once = apply_transaction(CustomerProfile.open(txn), txn, flagged)
    assert apply_transaction(once, txn, flagged) == once
    assert once.total_transactions == 1
    assert once.total_fraud_flags == int(flagged)


@given(locations, locations)
def test_haversine_is_symmetric_and_zero_on_the_same_point(a, b):
    assert haversine_miles(a, b) == haversine_miles(b, a)
    assert haversine_miles(a, a) == 0.0
    assert 0.0 <= haversine_miles(a, b) <= 3958.8 * 3.1416


def test_the_specifications_rules_come_first_in_the_catalogue_and_in_every_policy():
    first = ("velocity_check", "amount_anomaly", "location_anomaly", "time_anomaly")
    assert catalogue().names[:4] == tuple(FraudPolicy.default().rules)[:4] == first


@given(histories(), st.integers(0, 4 * 24 * 3600), st.integers(1, 7200))
def test_a_profile_counts_its_recent_transactions_in_a_window_like_a_scan(history, offset, width):
    from datetime import timedelta

    from tests.strategies import START

    profile = None
    for txn in [t for t in history if t.customer_id == "alice"]:
        profile = apply_transaction(profile or CustomerProfile.open(txn), txn, False)
    if profile is None:
        return
    end = START + timedelta(seconds=offset)
    start = end - timedelta(seconds=width)
    assert profile.count_between(start, end) == sum(1 for t in profile.recent_times if start < t <= end)
    assert list(profile.recent_times) == sorted(profile.recent_times)


def _two_more_places(weight: Decimal) -> Decimal:
    exponent = weight.as_tuple().exponent
    assert isinstance(exponent, int)
    return weight.quantize(Decimal(1).scaleb(exponent - 2))


@given(policies(), observations)
def test_a_policy_written_with_more_places_scores_with_its_own_exponent(policy: FraudPolicy, obs: Observation):
    """Equal weights written differently ("0.4", "0.400") make another policy: scoring one first must not hand the
    other its settings through a cache keyed by the policy, so each score is the sum of its own weights as written."""
    longer = policy.with_rules(**{name: attrs.evolve(settings, weight=_two_more_places(settings.weight))
                                  for name, settings in policy.rules.items()})  # fmt: skip
    assert longer != policy
    for written in (policy, longer, policy):
        decision = evaluate(written, obs)
        own = sum((written.rules[name].weight for name in decision.triggered_rules), Decimal(0))
        assert decision.risk_score.as_tuple() == own.as_tuple()
