"""The weekly job learns as `tune` does: tree ensembles fitted on the replay's sampled feature rows compete with
the rules search on the holdout, and a model candidate is published with a backtest report that describes it."""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from adapters.release_codec import release_to_json
from adapters.serialization import parse_transaction, policy_from_json, policy_to_json
from contracts.aws import POLICY_RELEASE_KEY, policy_key, policy_report_key
from domain.features import CATEGORY_FRAUD_SHARE, FEATURES, vector
from domain.labels import Labels
from domain.policy import FraudPolicy
from domain.release import Release
from domain.tuning import candidate_grid
from jobs.learn import Params
from jobs.learn_sample import legit_step
from securebank.lab.takeover import generate
from securebank.lab.tuning import build_history
from tests.jobs.test_fraud_patterns import _archive

pytestmark = [pytest.mark.spark, pytest.mark.slow]

WINDOW = (FraudPolicy.default().merchant_risk.window_days, FraudPolicy.default().merchant_risk.lag_days)
SETTINGS = (Params(50, 3, 0.1, 20),)
"""One small ensemble setting keeps the test's fit short (the job's default tries six, up to 200 trees)."""


def _takeover_lake(tmp_path: Path) -> tuple[dict[str, bool], Path, date]:
    """Account-takeover-shaped runs (our generator, securebank/lab/takeover.py): bursts of night-time payments well
    above the holder's amounts in the category, which no single rule of the specification separates."""
    rows = generate(seed=3, holders=15, months=3, start=date(2026, 1, 1))
    transactions = [parse_transaction(row.body) for row in rows]
    _archive(tmp_path, transactions, duplicate_every=100)
    labels = {str(row.body["transaction_id"]): row.is_fraud for row in rows}
    label_file = tmp_path / "labels.jsonl"
    label_file.write_text("".join(json.dumps({"transaction_id": t, "is_fraud": f}) + "\n" for t, f in labels.items()))
    seed_policy = tmp_path / policy_key(1)
    seed_policy.parent.mkdir(parents=True)
    seed_policy.write_text(policy_to_json(FraudPolicy.default()))
    return labels, label_file, max(t.timestamp for t in transactions).date() + timedelta(days=1)


def test_the_job_publishes_a_model_candidate_where_trees_beat_the_rules(spark, tmp_path):
    from jobs.fraud_patterns import run

    _, label_file, end = _takeover_lake(tmp_path)

    result = run(spark, str(tmp_path), str(label_file), end, weeks=14, holdout=0.25, settings=SETTINGS)

    learning = result["learning"]
    assert learning["learner"] in {"trees", "trees+rules"}
    rules = next(c for c in learning["candidates"] if c["learner"] == "rules")
    assert Decimal(learning["holdout"]["f1"]) > Decimal(rules["f1"])  # why the trees: a better holdout F1
    assert result["written_policy"] == policy_key(2)
    candidate = policy_from_json((tmp_path / policy_key(2)).read_text())
    assert candidate.version == 2 and candidate.model is not None
    assert set(candidate.model.features) <= {*(f.name for f in FEATURES), CATEGORY_FRAUD_SHARE}
    assert candidate.model.categories is not None  # the category's share, from the sampled rows' labels
    assert str(candidate.threshold) == learning["operating_threshold"] == result["threshold"]
    assert not (tmp_path / POLICY_RELEASE_KEY).exists()  # a candidate: nothing in force changes

    backtest = json.loads((tmp_path / policy_report_key(2)).read_text())
    assert backtest["learner"] == learning["learner"] and backtest["chosen"] == learning["chosen"]
    assert backtest["trees"] == len(candidate.model.trees) == learning["trees"] > 0
    assert backtest["threshold"] == str(candidate.threshold)
    assert backtest["holdout"]["after"] == learning["holdout"]
    assert backtest["holdout"]["before"]["tp"] == 0  # the specification's policy finds none of these runs
    assert backtest["importance"][0]["signal"] in candidate.model.features  # the signals that carry it
    assert backtest["rules_search"]["chosen"] == next(t["name"] for t in result["trials"] if t["name"] in rules["name"])
    assert backtest["learning"]["sample"] == learning["sample"]

    (tmp_path / POLICY_RELEASE_KEY).write_text(release_to_json(Release(active=2, approved_by="ana")))
    again = run(spark, str(tmp_path), str(label_file), end, weeks=14, holdout=0.25, settings=SETTINGS)

    # the active policy is now the model: it is scored on the holdout rows (not as its zero-weight rules), and the
    # same learning on the same weeks does not beat it (it was refit on these weeks), so nothing is published
    active = again["learning"]["active_holdout"]
    assert Decimal(active["f1"]) > Decimal(again["confusion"]["before"]["holdout"]["f1"])
    assert Decimal(active["f1"]) >= Decimal(again["learning"]["holdout"]["f1"])
    assert again["written_policy"] is None and again["current_version"] == 2


def test_the_sample_keeps_every_fraud_and_the_same_one_in_k_legitimate_rows_weighted_k(spark, tmp_path):
    from jobs.fraud_patterns import read_history
    from jobs.fraud_replay import replay_history

    labels, label_file, end = _takeover_lake(tmp_path)
    history = read_history(spark, str(tmp_path), str(label_file), end - timedelta(weeks=14), end).cache()
    grid = candidate_grid(FraudPolicy.default())
    frauds, legits = sum(labels.values()), len(labels) - sum(labels.values())
    at_most = frauds + -(-legits // 10)

    first = replay_history(history, grid, 0.25, at_most=at_most)
    second = replay_history(history, grid, 0.25, at_most=at_most)

    assert first.step == legit_step(frauds, legits, at_most) == 10
    examples = first.examples(WINDOW)
    assert examples == second.examples(WINDOW)  # deterministic: the same rows, in the same (time) order
    kept = [e for e in examples if not e.fraud]
    assert sum(e.fraud for e in examples) == frauds  # every fraud
    assert {e.weight for e in examples if e.fraud} == {1} and {e.weight for e in kept} == {10}
    assert legits / 10 * 0.8 < len(kept) < legits / 10 * 1.2  # about 1 in 10 (a hash, not a count)
    assert len(examples) < at_most * 1.05
    tally_legits = sum(legit for _, legit in first.tally.values())
    assert tally_legits == legits  # the tally still counts every labelled transaction


def test_the_rows_read_the_merchant_feed_over_the_chosen_window_as_tunes_examples_do(spark, tmp_path):
    from jobs.fraud_patterns import merchant_ledger, read_history
    from jobs.fraud_replay import replay_history
    from tests.jobs.test_fraud_patterns import _compromised_lake, _local_feed

    transactions, labels, label_file, end = _compromised_lake(tmp_path)
    history = read_history(spark, str(tmp_path), str(label_file), end - timedelta(weeks=3), end)
    grid = candidate_grid(FraudPolicy.default())
    merchants = merchant_ledger(history, timedelta(days=2))

    replayed = replay_history(history, grid, 0.25, merchants, at_most=len(labels))

    local = build_history(transactions, Labels.by_id(labels), FraudPolicy.default(), holdout=0.25, grid=grid,
                          merchants=_local_feed(transactions, label_file, 2))  # fmt: skip
    assert replayed.step == 1
    for window in ((3, 0), (14, 7)):
        spark_rows = sorted(
            map(repr, ((e.row, e.fraud, e.holdout, e.bits, e.category) for e in replayed.examples(window)))
        )
        tune_rows = sorted(
            repr((vector(e.at_merchant_window(window)), e.fraud, e.holdout, e.bits, e.observation.merchant_category))
            for e in local.examples
        )
        assert spark_rows == tune_rows
    assert replayed.examples((3, 0)) != replayed.examples((14, 7))  # the window changes what the model reads
