"""One rule catalogue: a rule registered in one place scores, explains itself, is stored and read back, and is tuned.

The test-only rule below is one record and its predicate; nothing else in the code base knows it.
"""

from __future__ import annotations

import json
import pickle
import random
import subprocess
import sys
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path

import attrs
import pytest
from attrs import field, frozen

from adapters.items import from_attribute_values, scored_from_item, scored_to_item, to_attribute_values
from adapters.serialization import policy_from_json, policy_to_json
from adapters.stored_decisions import as_stored
from domain.catalogue import catalogue, registered
from domain.labels import Labels
from domain.model import CustomerId, Location, Transaction, TransactionId
from domain.observation import Observation
from domain.parameters import check_positive, check_weight
from domain.policy import (
    AmountRule,
    CategoryRule,
    FraudPolicy,
    InvalidPolicy,
    LargeAmountRule,
    LocationRule,
    MerchantRiskRule,
    TimeRule,
    TravelSpeedRule,
    VelocityRule,
)
from domain.ports import ScoredTransaction
from domain.rule_spec import RuleSpec, axes
from domain.rules import Scorer, evaluate
from domain.tuning import candidate_grid, tune
from securebank.lab.tuning import build_history

T0 = datetime(2025, 1, 6, 12, tzinfo=UTC)
ROOT = Path(__file__).resolve().parents[2]


@frozen
class RoundAmountRule:
    """A payment of a whole multiple of `unit` (card testers and mules like round sums)."""

    weight: Decimal = field(default=Decimal("0"), validator=check_weight)
    unit: Decimal = field(default=Decimal("100"), validator=check_positive)


def round_amount(rule: RoundAmountRule, obs: Observation) -> bool:
    return obs.amount % rule.unit == 0


ROUND_AMOUNT = RuleSpec(
    name="round_amount",
    parameters=RoundAmountRule,
    predicate=round_amount,
    reads=("amount", "currency"),
    observed=lambda _, obs: obs.amount,
    threshold=lambda rule, _: rule.unit,
    context=lambda _, obs: obs.currency,
    reason="amount {observed} {context} is a whole multiple of {threshold}",
    grid=axes(unit=(Decimal(10), Decimal(50), Decimal(100))),
)


def observation(amount: str) -> Observation:
    """A customer whose five earlier payments average 500: no built-in rule of the default policy triggers."""
    return Observation(Decimal(amount), "USD", 1, 5, Decimal("2500.00"), 5, 1.0, 1.0, T0.time(), True)


def payment(n: int, amount: str, at: datetime = T0, customer: str = "c1") -> Transaction:
    return Transaction(TransactionId(f"t{n}"), CustomerId(customer), Decimal(amount), "USD", "m1", "grocery", at,
                       Location(40.7, -74.0))  # fmt: skip


def test_a_registered_rule_scores_and_explains_itself():
    with registered(ROUND_AMOUNT):
        policy = FraudPolicy.default().with_rules(round_amount=RoundAmountRule(Decimal("0.9")))

        decision = evaluate(policy, observation("500.00"))
        quiet = evaluate(policy, observation("499.99"))

        assert decision.triggered_rules == ("round_amount",)
        assert decision.risk_score == Decimal("0.9") and decision.is_fraud
        assert decision.reasons == ("amount 500.00 USD is a whole multiple of 100",)
        assert decision.results[-1] == ("round_amount", True, Decimal("500.00"), Decimal(100), Decimal("0.9"), "USD")
        assert quiet.triggered_rules == () and not quiet.is_fraud


def test_a_registered_rule_round_trips_through_the_policy_file_and_the_stored_decision():
    with registered(ROUND_AMOUNT):
        policy = attrs.evolve(FraudPolicy.default(), version=4).with_rules(
            round_amount=RoundAmountRule(Decimal("0.9"), Decimal(50))
        )
        scored = ScoredTransaction(payment(1, "150.00"), Scorer(policy).score(None, payment(1, "150.00")), T0)

        text = policy_to_json(policy)
        item = scored_to_item(scored)

        assert json.loads(text)["round_amount"] == {"weight": "0.9", "unit": "50"}
        assert policy_from_json(text) == policy
        assert item["policy"] == {"version": 4, "round_amount": {"weight": Decimal("0.9"), "unit": Decimal(50)}}
        assert scored_from_item(from_attribute_values(to_attribute_values(item))) == as_stored(scored)
        assert item["reasons"] == ["amount 150.00 USD is a whole multiple of 50"]
        # A policy file written before the rule existed reads with the rule at its defaults, switched off.
        older = {k: v for k, v in json.loads(text).items() if k != "round_amount"}
        assert policy_from_json(json.dumps(older)) == FraudPolicy(version=4)
        assert FraudPolicy(version=4).round_amount == RoundAmountRule()


def test_a_registered_rule_is_in_the_tuning_grid_and_the_search_learns_it():
    transactions, labels = _round_fraud_history()
    with registered(ROUND_AMOUNT):
        current = FraudPolicy.default()
        grid = candidate_grid(current)
        history = build_history(transactions, Labels.by_id(labels), current, holdout=0.25)

        outcome = tune(history.tally, history.grid, current)

        assert [c.policy.round_amount.unit for c in grid["round_amount"]] == [10, 50, 100]
        assert list(grid)[-1] == "round_amount"
        assert outcome.after.holdout.f1 == outcome.after.train.f1 == 1
        assert outcome.policy.round_amount.weight > outcome.policy.threshold
        assert policy_from_json(policy_to_json(outcome.policy)) == outcome.policy


def test_a_registered_rule_is_in_force_only_inside_its_block():
    with registered(ROUND_AMOUNT) as rules:
        assert rules.names[-1] == "round_amount" == catalogue().names[-1]
        inside = FraudPolicy.default()

    assert "round_amount" not in catalogue()
    assert "round_amount" in inside.rules and "round_amount" not in FraudPolicy.default().rules
    with pytest.raises(InvalidPolicy, match="no rule named 'round_amount'"):
        FraudPolicy().with_rules(round_amount=RoundAmountRule())


def test_the_default_policy_is_exactly_the_specifications():
    spelled_out = FraudPolicy(
        version=1,
        threshold=Decimal("0.8"),
        velocity_check=VelocityRule(Decimal("0.4"), 3600, 5),
        amount_anomaly=AmountRule(Decimal("0.3"), 3, Decimal("3")),
        location_anomaly=LocationRule(Decimal("0.2"), Decimal("500")),
        time_anomaly=TimeRule(Decimal("0.1"), time(6), time(22)),
        impossible_travel=TravelSpeedRule(Decimal("0"), Decimal("600"), Decimal("100")),
        category_deviation=CategoryRule(Decimal("0"), 10),
        large_amount=LargeAmountRule(Decimal("0"), Decimal("10000"), "USD"),
        merchant_risk=MerchantRiskRule(Decimal("0"), 7, 7, 2, Decimal("0.5")),
    )

    assert FraudPolicy.default() == spelled_out
    assert list(FraudPolicy.default().rules) == list(catalogue().names)


def test_a_policy_refuses_settings_of_another_rule_class():
    with pytest.raises(InvalidPolicy, match="velocity_check must be a VelocityRule"):
        FraudPolicy().with_rules(velocity_check=AmountRule())


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"reads": ("amount", "colour")}, "Observation does not have"),
        ({"reason": "amount {observed} over {limit}"}, "may name only"),
        ({"parameters": Decimal}, "attrs class with a weight"),
    ],
)
def test_a_record_that_does_not_add_up_is_refused_when_made(change: dict[str, object], message: str):
    with pytest.raises((TypeError, ValueError), match=message):
        attrs.evolve(ROUND_AMOUNT, **change)


def test_two_rules_of_one_name_are_refused():
    with pytest.raises(ValueError, match="unique"), registered(attrs.evolve(ROUND_AMOUNT, name="velocity_check")):
        pass


def test_a_policy_unpickled_in_another_process_hashes_as_one_built_there():
    """Spark ships policies to executors by pickle, and string hashes differ between processes: a hash cached
    before pickling would make equal policies miss each other in the scorer's cache there."""
    policy = attrs.evolve(FraudPolicy.default(), version=3)
    program = (
        "import pickle, sys, attrs; from domain.policy import FraudPolicy\n"
        "p = pickle.loads(sys.stdin.buffer.read())\n"
        "assert hash(p) == hash(attrs.evolve(FraudPolicy.default(), version=3)), 'stale hash'\n"
    )
    for seed in ("1", "2"):
        run = subprocess.run([sys.executable, "-c", program], input=pickle.dumps(policy), capture_output=True,
                             cwd=ROOT, env={"PYTHONHASHSEED": seed, "PYTHONPATH": str(ROOT)}, check=False)  # fmt: skip
        assert run.returncode == 0, run.stderr.decode()


def _round_fraud_history() -> tuple[list[Transaction], dict[TransactionId, bool]]:
    """Frauds are round sums within the range of everyday amounts: nothing but the round-amount rule tells them."""
    rng = random.Random(11)
    rows = []
    for c in range(12):
        at = T0 + timedelta(minutes=rng.randrange(600))
        for n in range(40):
            fraud = n >= 5 and rng.random() < 0.08
            amount = (
                f"{rng.choice((50, 100, 150, 200))}.00"
                if fraud
                else f"{rng.randrange(5, 300)}.{rng.randrange(1, 100):02d}"
            )
            rows.append((payment(c * 100 + n, amount, at, f"c{c}"), fraud))
            at += timedelta(hours=rng.randrange(3, 30))
    rows.sort(key=lambda row: row[0].timestamp)
    return [t for t, _ in rows], {t.transaction_id: fraud for t, fraud in rows}
