"""The choice of `tune` between the rules-only search and tree ensembles, on the same time-ordered holdout, on
account-takeover-shaped history (our generator, securebank/lab/takeover.py): what it reports is what the written
policy decides."""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal

import numpy as np
import pytest

from adapters.serialization import parse_transaction, policy_from_json, policy_to_json
from domain.features import vector
from domain.labels import Labels
from domain.model import TransactionId
from domain.policy import FraudPolicy
from domain.rules import evaluate
from domain.tuning import Counts, tune
from jobs.learn import PLACES, Params, fit, matrix
from jobs.learn_categories import COLUMNS, category_table, with_shares
from jobs.learn_cut import Objective, best_cut
from jobs.learn_report import learning_report
from jobs.learn_select import BOTH, RULES, TREES, Example, Learned, learn
from securebank.lab.backtest import Backtest
from securebank.lab.takeover import generate
from securebank.lab.tuning import History, build_history

SETTINGS = (Params(100, 3, 0.1, 20),)
ROWS = generate(seed=5, holders=60, months=3, start=date(2026, 1, 1))
LABELS = {TransactionId(row.body["transaction_id"]): row.is_fraud for row in ROWS}


@pytest.fixture(scope="module")
def takeover() -> History:
    transactions = [parse_transaction(row.body) for row in ROWS]
    return build_history(transactions, Labels.by_id(LABELS), FraudPolicy.default(), holdout=0.25)


def _replayed(policy: FraudPolicy, holdout_from: str) -> Counts:
    """The written policy's decisions on the holdout by a replay through the processor's use case."""
    backtest = Backtest(policy_from_json(policy_to_json(policy))).run(
        (n, json.dumps(row.body)) for n, row in enumerate(ROWS, 1)
    )
    return Counts.of(
        (d.decision.is_fraud, LABELS[d.transaction.transaction_id])
        for d in backtest.decisions
        if d.transaction.timestamp >= datetime.fromisoformat(holdout_from)
    )


def test_trees_beat_the_rules_on_takeover_runs_and_report_what_the_written_policy_decides(takeover, monkeypatch):
    monkeypatch.setattr("jobs.learn_select.COMBINE_MARGIN", Decimal(100))  # the trees alone
    outcome = tune(takeover.tally, takeover.grid, FraudPolicy.default())

    learned = learn(takeover, outcome, Objective("f1"), SETTINGS)

    assert learned.chosen.learner == TREES and learned.policy.model is not None
    rules = next(t for t in learned.trials if t.learner == RULES)
    assert learned.chosen.cut.counts.f1 > rules.cut.counts.f1
    hold = [e for e in takeover.examples if e.holdout]
    written = policy_from_json(policy_to_json(learned.policy))
    assert all(s.weight == 0 for s in written.rules.values())
    assert Counts.of((evaluate(written, e.observation).is_fraud, e.fraud) for e in hold) == learned.chosen.cut.counts
    assert list(learned.scores) == [evaluate(written, e.observation).risk_score for e in hold]
    assert written.version == 2 and written.threshold == learned.chosen.cut.threshold


def test_trees_added_to_the_rules_report_what_a_replay_of_the_written_policy_decides(takeover, monkeypatch):
    monkeypatch.setattr("jobs.learn_select.COMBINE_MARGIN", Decimal(-1))  # combined whenever possible
    outcome = tune(takeover.tally, takeover.grid, FraudPolicy.default())

    learned = learn(takeover, outcome, Objective("f1"), SETTINGS)

    assert learned.chosen.learner == BOTH
    assert learned.policy.rules == outcome.policy.rules and learned.policy.model is not None
    assert takeover.holdout_from is not None
    assert _replayed(learned.policy, takeover.holdout_from) == learned.chosen.cut.counts


def test_the_report_has_the_candidates_the_curve_and_the_importance(takeover):
    outcome = tune(takeover.tally, takeover.grid, FraudPolicy.default())

    section = learning_report(learn(takeover, outcome, Objective("f1"), SETTINGS))

    assert section["learner"] in (TREES, BOTH)
    assert {c["learner"] for c in section["candidates"]} == {RULES, TREES, BOTH}
    recalls = [Decimal(p["recall"]) for p in section["pr_curve"]]
    assert len(recalls) > 10 and recalls == sorted(recalls)
    thresholds = [Decimal(p["threshold"]) for p in section["pr_curve"]]
    assert thresholds == sorted(thresholds, reverse=True)
    shares = [Decimal(s["share"]) for s in section["importance"]]
    assert abs(sum(shares) - 1) < Decimal("0.01") and shares == sorted(shares, reverse=True)
    assert section["operating_threshold"] == str(learn(takeover, outcome, Objective(), SETTINGS).policy.threshold)


def test_a_costly_false_alarm_flags_fewer_than_f1_does(takeover):
    outcome = tune(takeover.tally, takeover.grid, FraudPolicy.default())

    f1 = learn(takeover, outcome, Objective("f1"), SETTINGS).chosen.cut.counts
    cost = learn(takeover, outcome, Objective("cost", Decimal(1), Decimal(20)), SETTINGS).chosen.cut.counts

    assert cost.tp + cost.fp < f1.tp + f1.fp
    assert cost.fp * 20 + cost.fn <= f1.fp * 20 + f1.fn


def test_without_a_labelled_fraud_in_the_holdout_the_rules_only_result_stands(takeover):
    examples = tuple(e._replace(fraud=False) if e.holdout else e for e in takeover.examples)
    history = History(takeover.tally, takeover.grid, takeover.transactions, takeover.labelled, None, examples)
    outcome = tune(takeover.tally, takeover.grid, FraudPolicy.default())

    learned = learn(history, outcome, Objective(), SETTINGS)

    assert learned.policy == outcome.policy and learned.policy.model is None


def test_the_refit_writes_the_same_setting_fitted_on_every_month(takeover):
    outcome = tune(takeover.tally, takeover.grid, FraudPolicy.default())

    plain = learn(takeover, outcome, Objective(), SETTINGS)
    refit = learn(takeover, outcome, Objective(), SETTINGS, refit=True)

    assert refit.refit and not plain.refit
    assert refit.chosen == plain.chosen
    assert refit.policy.model is not None and plain.policy.model is not None
    assert len(refit.policy.model.trees) == len(plain.policy.model.trees)
    assert refit.policy.model != plain.policy.model  # fitted on the holdout's months too


def _earlier_window(history: History, learned: Learned) -> tuple[list[Decimal], list[bool]]:
    """The training rows just before the holdout (as many as it has), scored by the chosen setting fitted on the
    rows before them: the reference the refit's threshold is pooled with."""
    assert learned.policy.model is not None and learned.chosen.params is not None
    columns = [COLUMNS.index(name) for name in learned.policy.model.features]
    train = [e for e in history.examples if not e.holdout]
    start = len(train) - len(learned.scores)
    # the category shares of the rows before the window only: the window's own labels are out of its sample
    categorised = [Example((), e.fraud, False, 0, 1, e.observation.merchant_category) for e in train]
    before = category_table(categorised[:start])
    rows = with_shares(matrix([vector(e.observation) for e in train]), categorised, before)[:, columns]
    fitted = fit(rows[:start], np.array([float(e.fraud) for e in train[:start]]), learned.chosen.params)
    scores = [Decimal(repr(float(p))).quantize(PLACES) for p in fitted.predict(rows[start:])]
    return scores, [e.fraud for e in train[start:]]


def test_the_refits_threshold_is_the_best_cut_over_the_holdout_and_the_window_before_it(takeover, monkeypatch):
    """The holdout's cut belongs to the ensemble fitted before it; the refit has seen the holdout, so its threshold
    is cut on twice the out-of-time scores: the holdout's, and the window before it scored by the setting fitted
    before that window."""
    monkeypatch.setattr("jobs.learn_select.COMBINE_MARGIN", Decimal(100))  # the trees alone
    outcome = tune(takeover.tally, takeover.grid, FraudPolicy.default())
    # A cost objective: under F1 this history's pooled cut happens to be the holdout's (the same threshold since the
    # signals of 2026-12-01), and the test could not tell the two apart.
    objective = Objective("cost", Decimal(3), Decimal(1))
    plain = learn(takeover, outcome, objective, SETTINGS)

    refit = learn(takeover, outcome, objective, SETTINGS, refit=True)

    assert refit.refit and refit.chosen.learner == TREES
    scores, frauds = _earlier_window(takeover, plain)
    pooled = best_cut([*scores, *plain.scores], [*frauds, *plain.frauds], objective)
    assert refit.policy.threshold == pooled.threshold != plain.policy.threshold
    # on the domain's scale (node values of six places): the columnar replay keeps such a policy in integer units
    assert -refit.policy.threshold.as_tuple().exponent <= 7  # a midpoint of two six-place scores
    assert learning_report(refit)["operating_threshold"] == str(refit.policy.threshold)


def test_without_a_fraud_in_the_window_before_the_holdout_the_refit_keeps_the_holdouts_cut(takeover):
    train = [e for e in takeover.examples if not e.holdout]
    window = {id(e) for e in train[len(train) - sum(e.holdout for e in takeover.examples) :]}
    examples = tuple(e._replace(fraud=False) if id(e) in window else e for e in takeover.examples)
    history = History(takeover.tally, takeover.grid, takeover.transactions, takeover.labelled, None, examples)
    outcome = tune(takeover.tally, takeover.grid, FraudPolicy.default())

    plain = learn(history, outcome, Objective(), SETTINGS)
    refit = learn(history, outcome, Objective(), SETTINGS, refit=True)

    assert refit.refit and refit.policy.model != plain.policy.model
    assert refit.policy.threshold == plain.policy.threshold


def test_a_refit_that_could_never_flag_at_the_holdouts_threshold_is_not_written(takeover, monkeypatch):
    """The threshold was chosen for the ensemble fitted on the training part; a refit whose highest possible score
    is at or below it would be refused by a policy store (a policy that can never flag): the judged one is kept."""
    from domain.ensemble import LEAF, Tree, TreeModel
    from jobs import learn_refit, learn_select

    outcome = tune(takeover.tally, takeover.grid, FraudPolicy.default())
    plain = learn(takeover, outcome, Objective(), SETTINGS)
    exported = []
    real_export = learn_select.export

    def export(*args, **kwargs):
        model = real_export(*args, **kwargs)
        exported.append(model)
        if len(exported) == 1:
            return model
        flat = Tree((LEAF,), (-2.0,), (False,), (LEAF,), (LEAF,), (Decimal(0),))  # scores nothing but its base
        return TreeModel(model.features, Decimal(0), (flat,), categories=model.categories)

    monkeypatch.setattr(learn_select, "export", export)
    monkeypatch.setattr(learn_refit, "export", export)
    refit = learn(takeover, outcome, Objective(), SETTINGS, refit=True)
    assert len(exported) == 2  # the refit was fitted, and set aside
    assert not refit.refit and refit.policy == plain.policy and refit.policy.can_flag
