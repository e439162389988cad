"""What the weekly job's driver computes from feature rows equals what the domain computes from observations: the
score and each feature's points; and a row of weight k counts as k rows in every cut."""

from __future__ import annotations

from decimal import Decimal

import pytest

from domain.ensemble import BASELINE
from domain.features import vector
from domain.policy import FraudPolicy
from domain.tuning import tune
from jobs.learn_cut import Objective, best_cut, pr_curve
from jobs.learn_score import learner_row, row_points, row_score
from jobs.learn_select import TREES, Example, learn, learn_examples
from securebank.lab.tuning import History
from tests.takeover_history import SETTINGS, small_takeover_history


@pytest.fixture(scope="module")
def history() -> History:
    return small_takeover_history()


def test_a_rows_score_and_points_are_the_domains_on_its_observation(history, monkeypatch):
    monkeypatch.setattr("jobs.learn_select.COMBINE_MARGIN", Decimal(100))  # the trees alone
    outcome = tune(history.tally, history.grid, FraudPolicy.default())
    learned = learn(history, outcome, Objective("f1"), SETTINGS)
    assert learned.chosen.learner == TREES and learned.model is not None
    model = learned.model

    assert model.categories is not None  # the category's share is read through the model's table
    for example in history.examples[::7]:
        row = learner_row(model, vector(example.observation), example.observation.merchant_category)
        assert row_score(model, row) == model.score(example.observation)
        explained = {c.source: c.points for c in model.contributions(example.observation) if c.source != BASELINE}
        assert row_points(model, row) == explained


def test_learn_on_rows_chooses_and_writes_what_learn_on_observations_does(history, monkeypatch):
    monkeypatch.setattr("jobs.learn_select.COMBINE_MARGIN", Decimal(100))
    outcome = tune(history.tally, history.grid, FraudPolicy.default())
    examples = [
        Example(vector(e.observation), e.fraud, e.holdout, e.bits, 1, e.observation.merchant_category)
        for e in history.examples
    ]

    by_rows = learn_examples(examples, history.grid, outcome, Objective("f1"), SETTINGS, refit=True)

    assert by_rows == learn(history, outcome, Objective("f1"), SETTINGS, refit=True)
    assert by_rows.weights == ()  # every row stands for itself


def test_a_row_of_weight_k_counts_as_k_rows_in_the_cut_and_the_curve():
    scores = [Decimal(s) for s in ("0.9", "0.8", "0.7", "0.4", "0.3", "0.2", "0")]
    frauds = [True, False, True, False, True, False, False]
    weights = [1, 3, 1, 2, 1, 5, 4]
    repeated_scores = [s for s, w in zip(scores, weights, strict=True) for _ in range(w)]
    repeated_frauds = [f for f, w in zip(frauds, weights, strict=True) for _ in range(w)]

    for objective in (Objective("f1"), Objective("cost", Decimal(5), Decimal(1))):
        weighted = best_cut(scores, frauds, objective, weights)
        assert weighted == best_cut(repeated_scores, repeated_frauds, objective)
        assert weighted != best_cut(scores, frauds, objective)  # the weights change the choice
    assert pr_curve(scores, frauds, weights=weights) == pr_curve(repeated_scores, repeated_frauds)
