"""The weekly job: per-customer replay in Spark agrees with the local replay, and policies are versioned in the lake."""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from adapters.release_codec import release_to_json
from adapters.serialization import dumps, policy_from_json, policy_to_json, transaction_to_body
from contracts.aws import (
    FRAUD_REPORTS_PREFIX,
    POLICY_PREFIX,
    POLICY_RELEASE_KEY,
    policy_key,
    policy_report_key,
    raw_partition,
)
from domain.labels import Labels
from domain.merchant_risk import MerchantRisk
from domain.model import CustomerId, Transaction, TransactionId
from domain.policy import FraudPolicy
from domain.release import Release
from domain.tuning import candidate_grid, holdout_start, tune
from securebank.lab.backtest import merchant_feed, read_labels
from securebank.lab.tuning import build_history
from tests.jobs.lakes import compromised_merchant_history, labelled_history, write_label_rows, write_raw_batch

pytestmark = [pytest.mark.spark, pytest.mark.slow]


def _lake(tmp_path: Path, seed: int = 3, duplicate_every: int = 50):
    transactions, labels = labelled_history(seed=seed, customers=16, days=10, fraud_share=0.06)
    _archive(tmp_path, transactions, duplicate_every)
    label_file = tmp_path / "labels.jsonl"
    label_file.write_text("".join(json.dumps({"transaction_id": t, "is_fraud": f}) + "\n" for t, f in labels.items()))
    end = max(t.timestamp for t in transactions).date() + timedelta(days=1)
    return transactions, labels, label_file, end


def _archive(tmp_path: Path, transactions: list[Transaction], duplicate_every: int) -> None:
    by_partition: dict[str, list[str]] = {}
    for n, txn in enumerate(transactions):
        line = dumps(transaction_to_body(txn))
        by_partition.setdefault(raw_partition(txn.timestamp), []).append(line)
        if n % duplicate_every == 0:  # at-least-once: some bodies archived twice, in another object
            by_partition.setdefault(raw_partition(txn.timestamp), []).append(line)
    first = next(iter(by_partition))
    by_partition[first] += ["{not json", '{"customer_id": "c1", "timestamp": "2025-01-06T10:00:00Z"}']  # skipped
    for partition, lines in by_partition.items():
        write_raw_batch(tmp_path, partition, lines)


def test_the_spark_tally_equals_the_local_replay_tally(spark, tmp_path):
    from jobs.fraud_patterns import read_history
    from jobs.fraud_replay import build_tally

    transactions, labels, label_file, end = _lake(tmp_path)
    grid = candidate_grid(FraudPolicy.default())
    history = read_history(spark, str(tmp_path), str(label_file), end - timedelta(weeks=3), end)

    tally, meta = build_tally(history, grid, holdout=0.25)

    local = build_history(transactions, Labels.by_id(labels), FraudPolicy.default(), holdout=0.25, grid=grid)
    stamps = [t.timestamp for t in transactions]
    assert meta["holdout_from"] == holdout_start(min(stamps), max(stamps), 0.25).isoformat()
    assert meta["labelled"] == local.labelled == len(labels)
    assert sum(f for f, _ in tally.values()) == sum(labels.values()) > 0
    assert {k: list(v) for k, v in tally.items()} == local.tally


def test_the_job_publishes_a_candidate_with_its_backtest_report_and_never_the_release_record(spark, tmp_path):
    from jobs.fraud_patterns import run

    _, _, label_file, end = _lake(tmp_path, seed=4)
    seed_policy = tmp_path / policy_key(1)
    seed_policy.parent.mkdir(parents=True)
    seed_policy.write_text(policy_to_json(FraudPolicy.default()))

    first = run(spark, str(tmp_path), str(label_file), end, weeks=3, holdout=0.25)

    assert first["written_policy"] == policy_key(2)
    learned = policy_from_json((tmp_path / policy_key(2)).read_text())
    assert learned.version == 2
    # a fraud here is 10x the customer's usual amount and nothing else: the rules' relative amount separates every
    # fraud on the holdout (F1 1), an ensemble can only tie, and a tie goes to the simpler policy
    learning = first["learning"]
    assert learning["learner"] == "rules" and learned.model is None
    assert learning["chosen"].startswith("rules (search-") and learning["holdout"]["f1"] == "1.0000"
    assert learning["sample"]["legit_weight"] == 1  # a small history: every labelled row reaches the driver
    assert learning["sample"]["rows"] == first["labelled"]
    assert first["confusion"]["before"]["holdout"]["tp"] == 0
    assert first["confusion"]["after"]["holdout"]["f1"] == "1.0000"
    assert seed_policy.read_text() == policy_to_json(FraudPolicy.default())
    report = json.loads((tmp_path / first["report"]).read_text())
    assert first["report"].startswith(f"{FRAUD_REPORTS_PREFIX}date={end.isoformat()}/")
    assert report["weekly"] and report["rules_after"] and report["missed_patterns_after"] == []
    assert not (tmp_path / POLICY_RELEASE_KEY).exists()  # a candidate: nothing in force changes

    backtest = json.loads((tmp_path / policy_report_key(2)).read_text())
    assert first["backtest_report"] == policy_report_key(2)
    assert (backtest["version"], backtest["base_version"], backtest["threshold"]) == (2, 1, str(learned.threshold))
    assert backtest["learner"] == "rules" and backtest["learning"]["candidates"] == learning["candidates"]
    assert backtest["holdout"] == {k: first["confusion"][k]["holdout"] for k in ("before", "after")}
    assert backtest["holdout"]["after"]["precision"] == backtest["holdout"]["after"]["recall"] == "1.0000"
    assert {r["rule"] for r in backtest["rules"]} == {r["rule"] for r in report["rules_after"]}
    assert backtest["dates"] == {
        "history_from": (end - timedelta(weeks=3)).isoformat(),
        "history_to": end.isoformat(),
        "holdout_from": first["holdout_from"],
    }
    labelled = backtest["labelled"]
    assert labelled["transactions"] == first["labelled"] > labelled["holdout_transactions"] > 0
    assert labelled["frauds"] >= labelled["holdout_frauds"] > 0

    second = run(spark, str(tmp_path), str(label_file), end, weeks=3, holdout=0.25)

    assert second["current_version"] == 1  # no release record: the seed policy is still the one in force
    assert second["same_as_version"] == 2 and second["written_policy"] is None  # candidate 2 again: not republished

    (tmp_path / POLICY_RELEASE_KEY).write_text(release_to_json(Release(active=2, approved_by="ana")))
    third = run(spark, str(tmp_path), str(label_file), end, weeks=3, holdout=0.25)

    assert third["current_version"] == 2
    assert third["chosen"] == "rules (current)" and third["written_policy"] is None  # nothing better: no new version
    assert sorted(p.name for p in (tmp_path / POLICY_PREFIX).iterdir() if p.name.startswith("v")) == [
        "v0000000001.json",
        "v0000000002.backtest.json",
        "v0000000002.json",
    ]


def _compromised_lake(tmp_path: Path, labelled_at_share: float = 0.5):
    """A merchant whose every payment is fraud for some days, and nothing else; the labels as `tune` reads them."""
    transactions, labels, label_rows = compromised_merchant_history(labelled_at_share=labelled_at_share)
    _archive(tmp_path, transactions, duplicate_every=40)
    label_file = write_label_rows(tmp_path / "labels" / "labels.jsonl", label_rows)
    end = max(t.timestamp for t in transactions).date() + timedelta(days=1)
    return transactions, labels, label_file, end


def _local_feed(transactions: list[Transaction], label_file: Path, delay_days: float) -> MerchantRisk:
    """What `python -m securebank tune --label-delay-days D` feeds the merchant rule."""
    labels, rejected = read_labels(enumerate(label_file.read_text().splitlines(), 1))
    assert not rejected
    return merchant_feed(transactions, labels, timedelta(days=delay_days))


def _merchant_rule(report: dict) -> dict:
    return next(r for r in report["rules_after"] if r["rule"] == "merchant_risk")


def test_the_spark_merchant_feed_and_tally_equal_the_local_tune(spark, tmp_path):
    from jobs.fraud_patterns import merchant_ledger, read_history
    from jobs.fraud_replay import build_tally

    transactions, labels, label_file, end = _compromised_lake(tmp_path)
    grid = candidate_grid(FraudPolicy.default())
    history = read_history(spark, str(tmp_path), str(label_file), end - timedelta(weeks=3), end)

    merchants = merchant_ledger(history, timedelta(days=2))
    tally, meta = build_tally(history, grid, holdout=0.25, merchants=merchants)

    feed = _local_feed(transactions, label_file, 2)
    local = build_history(
        transactions, Labels.by_id(labels), FraudPolicy.default(), holdout=0.25, grid=grid, merchants=feed
    )
    assert merchants == feed and set(merchants.merchants) == {"m-bad"}
    assert meta["labelled"] == local.labelled == len(labels)
    assert {k: list(v) for k, v in tally.items()} == local.tally
    unfed = build_history(transactions, Labels.by_id(labels), FraudPolicy.default(), holdout=0.25, grid=grid)
    assert local.tally != unfed.tally  # the feed reaches the rule
    assert tune(tally, grid, FraudPolicy.default()).policy == tune(local.tally, grid, FraudPolicy.default()).policy


def test_the_job_learns_the_merchant_rule_from_the_labels_it_feeds(spark, tmp_path):
    from jobs.fraud_patterns import run

    _, labels, label_file, end = _compromised_lake(tmp_path)

    result = run(spark, str(tmp_path), str(label_file), end, weeks=3, holdout=0.25, label_delay_days=2)

    frauds = sum(labels.values())
    assert result["merchant_feed"] == {"confirmed_frauds_fed": frauds, "merchants_with_fraud": 1, "label_delay_days": 2}
    learned = policy_from_json((tmp_path / result["written_policy"]).read_text())
    assert learned.merchant_risk.weight > 0
    assert _merchant_rule(result)["weight"] == str(learned.merchant_risk.weight)
    assert Decimal(_merchant_rule(result)["fn_rate"]) < Decimal("0.5")


def test_labels_not_known_inside_the_history_teach_the_job_nothing(spark, tmp_path):
    from jobs.fraud_patterns import run

    _, labels, label_file, end = _compromised_lake(tmp_path, labelled_at_share=0)

    result = run(spark, str(tmp_path), str(label_file), end, weeks=3, holdout=0.25, label_delay_days=60)

    assert result["merchant_feed"]["confirmed_frauds_fed"] == sum(labels.values()) > 0  # fed, known only later
    assert _merchant_rule(result)["fn_rate"] == "1.0000"  # it triggers on no fraud
    assert _merchant_rule(result)["weight"] == "0"  # the seed weight: nothing to learn, the search keeps it


def test_the_history_labels_and_counts_each_customers_transaction_of_a_shared_id(spark, tmp_path):
    from attrs import evolve

    from jobs.fraud_patterns import merchant_ledger, read_history

    transactions, _ = labelled_history(seed=5, customers=2, days=2)
    first = next(t for t in transactions if t.customer_id == "c0")
    twin = evolve(first, customer_id=CustomerId("c1"))  # card-level ids repeat across customers
    other = evolve(first, transaction_id=TransactionId("own"), customer_id=CustomerId("c1"))
    _archive(tmp_path, [first, twin, other], duplicate_every=1)  # and every body archived twice
    labels = write_label_rows(
        tmp_path / "labels.jsonl",
        [
            {"transaction_id": first.transaction_id, "customer_id": "c0", "is_fraud": True},
            {"transaction_id": "own", "is_fraud": False},
        ],
    )
    end = first.timestamp.date() + timedelta(days=1)

    history = read_history(spark, str(tmp_path), str(labels), end - timedelta(weeks=1), end)

    rows = {(r["customer_id"], r["transaction_id"], r["is_fraud"]) for r in history.where("valid").collect()}
    assert rows == {("c0", first.transaction_id, True), ("c1", first.transaction_id, None), ("c1", "own", False)}
    ledger = merchant_ledger(history, timedelta(days=1))
    assert [(day.transactions, len(day.known_from)) for day in ledger.merchants["m1"].values()] == [(3, 1)]


def test_glue_arguments_have_defaults_for_weeks_and_holdout():
    from jobs.lake import parse_job_args

    args = parse_job_args(["--lake", "l", "--labels", "x", "--date", "2025-04-01", "--weeks", "4"], "lake", "labels",
                          "date", weeks="13", holdout="0.25")  # fmt: skip

    assert (args.weeks, args.holdout, date.fromisoformat(args.date)) == ("4", "0.25", date(2025, 4, 1))


def test_amount_limit_candidates_use_the_amounts_in_the_rules_currency_only(spark):
    from datetime import datetime

    from jobs.fraud_patterns import amount_limits

    schema = "amount decimal(18,2), currency string, is_fraud boolean, at timestamp"
    at = datetime(2025, 1, 1)
    dollars = [(Decimal(n), "USD", False, at) for n in range(1, 101)]
    yen = [(Decimal(n * 1000), "JPY", False, at) for n in range(1, 101)]

    mixed = amount_limits(spark.createDataFrame(dollars + yen, schema), datetime(2025, 2, 1), "USD")

    assert mixed == amount_limits(spark.createDataFrame(dollars, schema), datetime(2025, 2, 1), "USD")
    assert max(mixed) == 100
