"""Policy search on generated histories whose right answer is known, and agreement with the domain engine."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from decimal import ROUND_CEILING, Decimal

import attrs

from adapters.serialization import dumps, transaction_to_body
from domain.catalogue import catalogue
from domain.labels import Labels
from domain.merchant_risk import NO_MERCHANT_RISK, MerchantRisk
from domain.model import Transaction, TransactionId
from domain.policy import FraudPolicy
from domain.rules import evaluate
from domain.tuning import Candidate, Replay, Tally, candidate_grid, setting_of, tune
from securebank.lab.backtest import Backtest
from securebank.lab.tuning import build_history
from tests.jobs.lakes import labelled_history


def _decide(policy: FraudPolicy, transactions: list[Transaction]) -> dict[TransactionId, bool]:
    """Decisions by the domain engine itself (evaluate over a replay), for the agreement checks."""
    replay, decisions = Replay(), {}
    for txn in transactions:
        example = replay.observe(txn)
        assert example is not None
        decisions[txn.transaction_id] = evaluate(policy, example.observation).is_fraud
    return decisions


def test_the_seed_policy_misses_amount_only_fraud_and_the_search_learns_the_amount_rule():
    transactions, labels = labelled_history()
    history = build_history(transactions, Labels.by_id(labels), FraudPolicy.default(), holdout=0.25)

    outcome = tune(history.tally, history.grid, FraudPolicy.default())

    assert outcome.before.train.tp == outcome.before.holdout.tp == 0
    assert outcome.after.train.f1 == outcome.after.holdout.f1 == Decimal(1)
    policy = outcome.policy
    assert policy.version == 2
    assert policy.amount_anomaly.weight > policy.threshold  # the relative-amount rule decides alone
    assert _decide(policy, transactions) == labels


def test_the_backtest_of_the_learned_policy_through_process_batch_is_perfect_too():
    transactions, labels = labelled_history(seed=4)
    history = build_history(transactions, Labels.by_id(labels), FraudPolicy.default(), holdout=0.25)
    policy = tune(history.tally, history.grid, FraudPolicy.default()).policy
    lines = ((n, dumps(transaction_to_body(t))) for n, t in enumerate(transactions, 1))

    confusion = Backtest(policy).run(lines).confusion(Labels.by_id(labels))

    assert (confusion.fp, confusion.fn) == (0, 0)
    assert confusion.tp == sum(labels.values()) > 0


def test_no_absolute_amount_limit_separates_thislabelled_history():
    transactions, labels = labelled_history()
    frauds = [t.amount for t in transactions if labels[t.transaction_id]]
    legits = [t.amount for t in transactions if not labels[t.transaction_id]]
    assert min(frauds) < max(legits)  # so a large_amount rule alone cannot reach F1 = 1


def test_tally_counts_agree_with_the_domain_engine_for_every_trial():
    transactions, labels = labelled_history(seed=5, fraud_share=0.08)
    history = build_history(transactions, Labels.by_id(labels), FraudPolicy.default(), holdout=0.3)
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
    transactions, labels = labelled_history(fraud_share=0.0)
    history = build_history(transactions, Labels.by_id(labels), FraudPolicy.default(), holdout=0.25)

    outcome = tune(history.tally, history.grid, FraudPolicy.default())

    assert outcome.after.name == "current"
    assert outcome.policy == FraudPolicy(version=2)


def test_repeated_transaction_ids_are_observed_once():
    transactions, _ = labelled_history(customers=2, days=3)
    replay = Replay()

    first = [replay.observe(t) for t in transactions]
    again = [replay.observe(t) for t in transactions]

    assert all(e is not None for e in first)
    assert all(e is None for e in again)


def test_the_tune_command_writes_a_loadable_policy_and_the_report(tmp_path):
    from adapters.serialization import policy_from_json
    from securebank.__main__ import main

    transactions, labels = labelled_history(seed=6)
    (tmp_path / "t.jsonl").write_text("".join(dumps(transaction_to_body(t)) + "\n" for t in transactions))
    (tmp_path / "l.jsonl").write_text(
        "".join(dumps({"transaction_id": t, "is_fraud": f}) + "\n" for t, f in labels.items())
    )
    args = ["tune", "--transactions", str(tmp_path / "t.jsonl"), "--labels", str(tmp_path / "l.jsonl")]

    code = main([*args, "--output", str(tmp_path / "p.json"), "--report-json", str(tmp_path / "r.json")])

    assert code == 0
    policy = policy_from_json((tmp_path / "p.json").read_text())
    report = json.loads((tmp_path / "r.json").read_text())
    assert policy.version == report["policy_version"] == 2
    assert str(policy.threshold) == report["threshold"]
    assert report["labelled"] == len(labels)
    assert report["confusion"]["after"]["holdout"]["f1"] == "1.0000"
    assert [r["rule"] for r in report["rules_after"]] == list(catalogue().names)
    assert sum(w["labelled"] for w in report["weekly"]) == len(labels)


def compromised_terminal_history(seed: int = 7) -> tuple[list[Transaction], dict[TransactionId, bool]]:
    """Ordinary payments only; every payment at two terminals during their compromise is fraud. Nothing in any
    customer's own history changes, so only the merchant's confirmed frauds can reveal it."""
    import random
    from datetime import UTC, datetime, timedelta

    from adapters.serialization import parse_transaction

    rng = random.Random(seed)
    start = datetime(2025, 1, 1, tzinfo=UTC)
    compromised = {"m3": (20, 48), "m11": (55, 83)}  # terminal -> [first day, last day)
    transactions, labels = [], {}
    for n in range(6000):
        at = start + timedelta(days=rng.uniform(0, 90))
        customer = rng.randrange(60)
        merchant = f"m{rng.choice([customer % 15, (customer * 7) % 15, (customer + 4) % 15])}"
        body = {
            "transaction_id": f"t{n}", "customer_id": f"c{customer}", "amount": f"{rng.uniform(5, 80):.2f}",
            "currency": "USD", "merchant_id": merchant, "merchant_category": "grocery",
            "timestamp": at.strftime("%Y-%m-%dT%H:%M:%SZ"), "location": {"latitude": 40.7, "longitude": -74.0},
        }  # fmt: skip
        transactions.append(parse_transaction(body))
        first, last = compromised.get(merchant, (0, 0))
        labels[TransactionId(f"t{n}")] = first <= (at - start).days < last
    transactions.sort(key=lambda t: t.timestamp)
    return transactions, labels


def test_the_search_learns_the_merchant_rule_from_delayed_labels_and_only_with_them():
    from datetime import timedelta

    from securebank.lab.backtest import merchant_feed

    transactions, labels = compromised_terminal_history()
    frauds = {i: None for i, fraud in labels.items() if fraud}
    merchants = merchant_feed(transactions, Labels.frauds_by_id(frauds), timedelta(days=3))

    blind = tune(*_tally(transactions, labels), FraudPolicy.default())
    fed = tune(*_tally(transactions, labels, merchants), FraudPolicy.default())

    assert blind.after.holdout.f1 < Decimal("0.2")  # per-customer rules cannot see a compromised terminal
    assert fed.policy.merchant_risk.weight > fed.policy.threshold
    assert fed.after.train.f1 > Decimal("0.75") and fed.after.holdout.f1 > Decimal("0.75")
    # the first days of each compromise, before any label is known, stay missed: a replay cannot see the future
    assert fed.after.train.fn + fed.after.holdout.fn > 0


def _tally(
    transactions: list[Transaction], labels: dict[TransactionId, bool], merchants: MerchantRisk = NO_MERCHANT_RISK
) -> tuple[Tally, Mapping[str, tuple[Candidate, ...]]]:
    history = build_history(transactions, Labels.by_id(labels), FraudPolicy.default(), 0.25, merchants=merchants)
    return history.tally, history.grid


def test_every_rule_the_learned_policy_keeps_on_is_needed_on_the_training_labels():
    """From the all-at-0.5 start, rules the labels never see would keep 0.5 and could decide alone in production."""
    from domain.tuning import Search, counts, offsets_of, rows_of

    for transactions, labels in (labelled_history(), compromised_terminal_history()):
        history = build_history(transactions, Labels.by_id(labels), FraudPolicy.default(), holdout=0.25)
        train = rows_of(history.tally, holdout=False)
        search = Search(history.grid, train)
        start = attrs.evolve(setting_of(FraudPolicy.default(), history.grid), weights=(Decimal("0.5"),) * 8)

        f1, found = search.run(start)

        on = [i for i, weight in enumerate(found.weights) if weight]
        assert on, "something was learned"
        for i in on:
            without = [*found.weights[:i], Decimal(0), *found.weights[i + 1 :]]
            patterns = search._patterns(found.choice)
            assert search.best_threshold(patterns, without)[0] < f1
        assert counts(found, offsets_of(history.grid), train).f1 > 0


def test_an_absolute_limit_just_above_every_labelled_legitimate_amount_is_a_candidate():
    from securebank.lab.tuning import amount_limits

    transactions, labels = labelled_history()
    legit = max(t.amount for t in transactions if labels[t.transaction_id] is False)

    with_labels, without = (
        amount_limits(transactions, Labels.by_id(labels), currency="USD"),
        amount_limits(transactions, currency="USD"),
    )

    assert legit.to_integral_value(ROUND_CEILING) in with_labels
    assert set(without) < set(with_labels)
    assert all(limit > 0 and limit == limit.to_integral_value() for limit in with_labels)


def test_the_holdout_does_not_shape_the_candidates():
    """An absolute limit just above the largest legitimate amount is a candidate only if that amount is seen
    before the holdout."""
    from datetime import timedelta

    transactions, labels = labelled_history()
    history = build_history(transactions, Labels.by_id(labels), FraudPolicy.default(), holdout=0.25)
    cutoff = datetime.fromisoformat(history.holdout_from or "")
    last = max(transactions, key=lambda t: t.timestamp)
    assert last.timestamp >= cutoff
    big = attrs.evolve(last, transaction_id=TransactionId("huge"), amount=Decimal("98765.43"),
                       timestamp=last.timestamp + timedelta(seconds=1))  # fmt: skip

    grid = build_history(
        [*transactions, big], Labels.by_id(labels | {big.transaction_id: False}), FraudPolicy.default(), 0.25
    ).grid

    limits = {c.policy.large_amount.limit for c in grid["large_amount"]}
    assert Decimal("98766") not in limits
    assert (
        max(t.amount for t in transactions if not labels[t.transaction_id] and t.timestamp < cutoff).to_integral_value(
            ROUND_CEILING
        )
        in limits
    )


def test_amount_limit_candidates_come_from_the_rules_currency_only():
    from securebank.lab.tuning import amount_limits

    transactions, labels = labelled_history()
    in_yen = [attrs.evolve(t, transaction_id=TransactionId(f"{t.transaction_id}-jpy"), currency="JPY",
                           amount=t.amount.quantize(Decimal(1)) * 1000) for t in transactions]  # fmt: skip
    yen_labels = {TransactionId(f"{t}-jpy"): fraud for t, fraud in labels.items()}

    mixed = amount_limits([*transactions, *in_yen], Labels.by_id(labels | yen_labels), currency="USD")

    assert mixed == amount_limits(transactions, Labels.by_id(labels), currency="USD")
    assert amount_limits([*transactions, *in_yen], Labels.by_id(labels | yen_labels), currency="JPY") == amount_limits(
        in_yen, Labels.by_id(yen_labels), currency="JPY"
    )
    assert max(amount_limits(in_yen, Labels.by_id(yen_labels), currency="JPY")) > max(mixed)


def test_large_amount_candidates_are_in_the_current_policys_currency():
    current = attrs.evolve(FraudPolicy.default(), large_amount=attrs.evolve(FraudPolicy.default().large_amount,
                                                                             currency="EUR"))  # fmt: skip
    grid = candidate_grid(current, [Decimal(777)])

    assert {c.policy.large_amount.currency for c in grid["large_amount"]} == {"EUR"}
    assert Decimal(777) in {c.policy.large_amount.limit for c in grid["large_amount"]}
