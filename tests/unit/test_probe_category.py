"""The category probe: shares from the training months only, smoothed; and a category that tells fraud apart
raises the ranking it reports."""

from __future__ import annotations

import json
import math
import random
from datetime import date
from pathlib import Path

import pytest

from jobs.learn import Params
from securebank.lab import probe_category
from securebank.lab.split import Row, write_split
from securebank.lab.takeover import generate


def test_shares_count_the_training_payments_only_and_start_from_the_overall_share(monkeypatch):
    monkeypatch.setattr("jobs.learn_categories.SMOOTHING", 2)
    categories = ["a", "a", "b", "b", "a", "c"]
    frauds = [True, False, False, False, True, True]
    training = [True, True, True, True, False, False]  # the last two (a fraud, and the only "c") are test months

    shares = probe_category.category_shares(categories, frauds, training)

    overall = 1 / 4
    assert shares[0] == pytest.approx((1 + 2 * overall) / (2 + 2))  # "a": 1 fraud of 2 training payments
    assert shares[2] == pytest.approx((0 + 2 * overall) / (2 + 2))
    assert shares[4] == shares[0]  # a test payment reads the training months' share, not its own label
    assert shares[5] == pytest.approx(overall)  # a category the training months never saw


def _history(folder: Path, telling: bool) -> Path:
    """Four months of takeover data; with `telling`, nine frauds in ten (and one legitimate payment in a hundred)
    are at a "gift_cards" merchant, the rest in one of five ordinary categories."""
    rng = random.Random(4)
    rows = []
    for row in generate(seed=6, holders=30, months=4, start=date(2026, 1, 1)):
        gift = rng.random() < (0.9 if row.is_fraud else 0.01)
        category = "gift_cards" if telling and gift else rng.choice(("grocery", "fuel", "dining", "travel", "pharmacy"))
        rows.append(Row(row.body | {"merchant_category": category}, row.is_fraud, row.scenario))
    write_split(rows, folder, date(2026, 4, 1))
    return folder


@pytest.mark.parametrize("telling", [True, False])
def test_a_category_that_tells_fraud_apart_raises_the_ranking_and_one_that_does_not_leaves_it(
    tmp_path, monkeypatch, telling
):
    monkeypatch.setattr(probe_category, "DEFAULT_SETTING", Params(60, 3))
    report = probe_category.probe(_history(tmp_path, telling))

    before, after = report["signals"], report["signals_and_category_share"]
    assert 0 < before["average_precision"] < 1 and 0 < before["best_f1"] <= 1
    if telling:
        assert after["average_precision"] > before["average_precision"] + 0.05
        assert after["best_f1"] > before["best_f1"]
    else:
        assert after["average_precision"] == pytest.approx(before["average_precision"], abs=0.05)


@pytest.mark.parametrize(
    ("chosen", "params"),
    [("trees 200, depth 4, rate 0.1, leaf 20", Params(200, 4, 0.1, 20)), ("rules (weighted rules)", None),
     ("trees 300, depth 5, rate 0.1, leaf 50, fraud weight 5", None)],
)  # fmt: skip
def test_the_setting_is_the_one_tune_chose_and_anything_else_is_refused(tmp_path, chosen, params):
    from adapters.serialization import policy_to_json
    from domain.policy import FraudPolicy

    (tmp_path / "policy.json").write_text(policy_to_json(FraudPolicy.default()))
    (tmp_path / "tune.json").write_text(json.dumps({"learning": {"chosen": chosen}}))
    if params is None:
        with pytest.raises(SystemExit, match="not one of the trees' settings"):
            probe_category._setting(tmp_path)
    else:
        assert probe_category._setting(tmp_path)[1] == params


def test_a_category_feed_counts_the_frauds_known_on_the_day_over_its_window():
    import polars as pl

    from domain.labels import Labels

    day = 86_400_000_000
    parsed = pl.DataFrame(
        {
            "customer_id": ["c1", "c2", "c3", "c4"],
            "transaction_id": ["t1", "t2", "t3", "t4"],
            "merchant_id": ["m1", "m2", "m3", "m4"],
            "merchant_category": ["gift_cards", "gift_cards", "grocery", "gift_cards"],
            "epoch_us": [0, day, day, 20 * day],  # 1970-01-01, 01-02, 01-02, 01-21
        }
    )
    labels = Labels.by_id({"t1": True, "t2": False, "t3": False})

    shares = probe_category.windowed_shares(parsed, labels, (28, 7))

    # the last payment counts the gift cards of the 28 days ending 7 days before its day: 1 fraud (known from the
    # day after its label, 7 days after the payment) in 2 payments
    assert shares[3] == 0.5
    assert all(math.isnan(s) for s in shares[:3])  # nothing in the window before the first payments
