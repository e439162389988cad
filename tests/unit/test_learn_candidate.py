"""The weekly job's choice of a candidate on sampled rows: what the sample keeps, and that a candidate must beat
the active policy, a model policy included."""

from __future__ import annotations

from decimal import Decimal

import pytest

from domain.features import vector
from domain.policy import FraudPolicy
from domain.tuning import tune
from jobs.learn_candidate import OBJECTIVE, active_counts, learn_candidate
from jobs.learn_sample import legit_step, sampled
from jobs.learn_select import Example
from securebank.lab.tuning import History
from tests.takeover_history import SETTINGS, small_takeover_history


@pytest.fixture(scope="module")
def history() -> History:
    return small_takeover_history()


def test_the_step_keeps_every_row_while_they_fit_and_then_the_fewest_legitimate_ones_that_do():
    assert legit_step(100, 900, at_most=1000) == 1
    assert legit_step(100, 901, at_most=1000) == 2
    assert legit_step(100, 9000, at_most=1000) == 10
    assert legit_step(100, 9001, at_most=1000) == 11
    assert legit_step(2000, 9000, at_most=1000) == 9000  # frauds alone exceed the bound: all kept, one legit


def test_the_sample_is_the_same_on_every_call_and_about_one_in_k():
    ids = [(f"c{n % 97}", f"t{n}") for n in range(20_000)]
    kept = [i for i in ids if sampled(*i, 8)]
    assert kept == [i for i in ids if sampled(*i, 8)]
    assert 2500 * 0.9 < len(kept) < 2500 * 1.1
    assert all(sampled(*i, 1) for i in ids[:100])


def test_a_candidate_must_beat_an_active_model_policy_on_the_holdout_rows(history):
    outcome = tune(history.tally, history.grid, FraudPolicy.default())
    examples = [Example(vector(e.observation), e.fraud, e.holdout, e.bits) for e in history.examples]
    candidate, learning = learn_candidate(examples, 1, history.grid, outcome, FraudPolicy.default(), SETTINGS)
    assert candidate is not None and candidate.model is not None  # the trees beat the specification's policy
    assert "active_holdout" not in learning

    from_model = tune(history.tally, history.grid, candidate)  # the search starts from the active policy
    again, second = learn_candidate(examples, 1, history.grid, from_model, candidate, SETTINGS)

    active = active_counts(candidate, from_model, examples, history.grid)
    assert second["active_holdout"]["f1"] == str(active.f1)
    assert OBJECTIVE.value(active) > OBJECTIVE.value(from_model.before.holdout)  # its model scored, not its 0 rules
    assert (again is None) == (OBJECTIVE.value(active) >= Decimal(second["holdout"]["f1"]))
