"""Policy search on generated histories whose right answer is known, and agreement with the domain engine."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from adapters.serialization import dumps, transaction_to_body
from domain.model import CustomerId, Location, Transaction, TransactionId
from domain.policy import FraudPolicy
from domain.rules import evaluate
from domain.tuning import Replay, candidate_grid, setting_of, tune
from securebank.analytics.tuning import build_history
from securebank.backtest import Backtest

START = datetime(2025, 1, 6, tzinfo=UTC)
HOME = Location(latitude=40.7, longitude=-74.0)


def _history(seed: int = 3, customers: int = 30, days: int = 28, fraud_share: float = 0.03):
    """Customers with very different usual amounts; a fraud is ~10x the customer's usual amount, nothing else."""
    rng = random.Random(seed)
    rows: list[tuple[Transaction, bool]] = []
    for c in range(customers):
        usual = Decimal(rng.choice([8, 20, 60, 150, 400]))
        at = START + timedelta(minutes=rng.randrange(600))
        n = 0
        while at < START + timedelta(days=days):
            fraud = n >= 5 and rng.random() < fraud_share
            factor = Decimal(rng.randrange(80, 120)) / 10 if fraud else Decimal(rng.randrange(50, 150)) / 100
            txn = Transaction(
                transaction_id=TransactionId(f"t{c}-{n}"),
                customer_id=CustomerId(f"c{c}"),
                amount=(usual * factor).quantize(Decimal("0.01")),
                currency="USD",
                merchant_id="m1",
                merchant_category="grocery",
                timestamp=at,
                location=HOME,
            )
            rows.append((txn, fraud))
            at += timedelta(hours=rng.randrange(3, 30))
            n += 1
    rows.sort(key=lambda row: row[0].timestamp)
    return [t for t, _ in rows], {t.transaction_id: f for t, f in rows}


def _decide(policy: FraudPolicy, transactions: list[Transaction]) -> dict[TransactionId, bool]:
    """Decisions by the domain engine itself (evaluate over a replay), for the agreement checks."""
    replay, decisions = Replay(), {}
    for txn in transactions:
        example = replay.observe(txn)
        assert example is not None
        decisions[txn.transaction_id] = evaluate(policy, example.observation).is_fraud
    return decisions


def test_the_seed_policy_misses_amount_only_fraud_and_the_search_learns_the_amount_rule():
    transactions, labels = _history()
    history = build_history(transactions, labels, FraudPolicy.default(), holdout=0.25)

    outcome = tune(history.tally, history.grid, FraudPolicy.default())

    assert outcome.before.train.tp == outcome.before.holdout.tp == 0
    assert outcome.after.train.f1 == outcome.after.holdout.f1 == Decimal(1)
    policy = outcome.policy
    assert policy.version == 2
    assert policy.amount_anomaly.weight > policy.threshold  # the relative-amount rule decides alone
    assert _decide(policy, transactions) == labels


def test_the_backtest_of_the_learned_policy_through_process_batch_is_perfect_too():
    transactions, labels = _history(seed=4)
    history = build_history(transactions, labels, FraudPolicy.default(), holdout=0.25)
    policy = tune(history.tally, history.grid, FraudPolicy.default()).policy
    lines = ((n, dumps(transaction_to_body(t))) for n, t in enumerate(transactions, 1))

    confusion = Backtest(policy).run(lines).confusion(labels)

    assert (confusion.fp, confusion.fn) == (0, 0)
    assert confusion.tp == sum(labels.values()) > 0


def test_no_absolute_amount_limit_separates_this_history():
    transactions, labels = _history()
    frauds = [t.amount for t in transactions if labels[t.transaction_id]]
    legits = [t.amount for t in transactions if not labels[t.transaction_id]]
    assert min(frauds) < max(legits)  # so a large_amount rule alone cannot reach F1 = 1


def test_tally_counts_agree_with_the_domain_engine_for_every_trial():
    transactions, labels = _history(seed=5, fraud_share=0.08)
    history = build_history(transactions, labels, FraudPolicy.default(), holdout=0.3)
    outcome = tune(history.tally, history.grid, FraudPolicy.default())
    for trial in outcome.trials:
        policy = trial.setting.policy(history.grid, 9)
        if policy.velocity_check.window_seconds != 3600 and policy.velocity_check.weight:
            continue  # evaluate() on a replayed example sees the 1 h velocity only
        decisions = _decide(policy, transactions)
        both = trial.train + trial.holdout
        assert both.tp == sum(1 for t, f in labels.items() if f and decisions[t])
        assert both.fp == sum(1 for t, f in labels.items() if not f and decisions[t])
        assert both.fn + both.tp == sum(labels.values())


def test_the_current_policy_is_a_point_of_the_grid_and_is_reproduced_exactly():
    grid = candidate_grid(FraudPolicy.default())

    assert setting_of(FraudPolicy.default(), grid).policy(grid, 1) == FraudPolicy.default()


def test_without_any_fraud_in_the_labels_the_current_policy_is_kept():
    transactions, labels = _history(fraud_share=0.0)
    history = build_history(transactions, labels, FraudPolicy.default(), holdout=0.25)

    outcome = tune(history.tally, history.grid, FraudPolicy.default())

    assert outcome.after.name == "current"
    assert outcome.policy == FraudPolicy(version=2)


def test_repeated_transaction_ids_are_observed_once():
    transactions, _ = _history(customers=2, days=3)
    replay = Replay()

    first = [replay.observe(t) for t in transactions]
    again = [replay.observe(t) for t in transactions]

    assert all(e is not None for e in first)
    assert all(e is None for e in again)
