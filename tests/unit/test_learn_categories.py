"""The merchant category's fraud share the learner reads: smoothed towards the overall share, each row counted its
weight, and learned only from the labels each fit may see (the holdout is judged with the training part's)."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pytest

from domain.features import vector
from domain.policy import FraudPolicy
from domain.tuning import tune
from jobs.learn import matrix
from jobs.learn_categories import SMOOTHING, category_table, with_shares
from jobs.learn_cut import Objective
from jobs.learn_refit import refit_all
from jobs.learn_select import Example, learn
from securebank.lab.tuning import History
from tests.takeover_history import SETTINGS, small_takeover_history

D = Decimal


def _rows(*rows: tuple[str, bool, int]) -> list[Example]:
    return [Example((), fraud, False, 0, weight, category) for category, fraud, weight in rows]


def test_each_share_is_smoothed_towards_the_overall_share() -> None:
    table = category_table(_rows(("grocery", False, 1), ("grocery", False, 1), ("grocery", False, 1),
                                 ("jewelry", True, 1)))  # fmt: skip
    assert SMOOTHING == 50
    assert table is not None and table.other == D("0.25")  # 1 fraud in 4 payments
    assert dict(table.shares) == {
        "grocery": D("0.235849"),  # (0 + 50 x 0.25) / (3 + 50)
        "jewelry": D("0.264706"),  # (1 + 12.5) / (1 + 50)
    }


def test_a_row_counts_its_weight() -> None:
    weighted = category_table(_rows(("grocery", False, 3), ("jewelry", True, 1)))
    repeated = category_table(_rows(*[("grocery", False, 1)] * 3, ("jewelry", True, 1)))
    assert weighted == repeated


def test_no_table_without_a_fraud_or_with_rows_built_without_their_category() -> None:
    assert category_table(_rows(("grocery", False, 1))) is None
    assert category_table(_rows(("grocery", True, 1), ("", False, 1))) is None
    x = matrix([(1.0, 2.0)])
    assert np.isnan(with_shares(x, _rows(("grocery", True, 1)), None)[0, 2])


@pytest.fixture(scope="module")
def takeover() -> History:
    return small_takeover_history()


def _categorised(examples: list) -> list[Example]:
    return [Example(vector(e.observation), e.fraud, e.holdout, e.bits, 1, e.observation.merchant_category)
            for e in examples]  # fmt: skip


def test_the_holdout_is_judged_by_a_table_of_the_training_labels_and_the_refit_reads_every_label(takeover) -> None:
    outcome = tune(takeover.tally, takeover.grid, FraudPolicy.default())
    examples = _categorised(list(takeover.examples))
    train = [e for e in examples if not e.holdout]

    judged = learn(takeover, outcome, Objective("f1"), SETTINGS)
    refit = learn(takeover, outcome, Objective("f1"), SETTINGS, refit=True)

    assert judged.model is not None and refit.model is not None
    assert "category_fraud_share" in judged.model.features
    assert judged.model.categories == category_table(train)
    assert refit.model.categories == category_table(examples) != judged.model.categories


def test_the_holdouts_labels_never_reach_the_table_it_is_judged_with(takeover, monkeypatch) -> None:
    """Half the holdout's frauds called legitimate: the table its rows are read with stays the same."""
    from jobs import learn_select

    tables = []

    def recording(x, rows, table):
        tables.append(table)
        return with_shares(x, rows, table)

    monkeypatch.setattr(learn_select, "with_shares", recording)
    outcome = tune(takeover.tally, takeover.grid, FraudPolicy.default())
    held_frauds = [i for i, e in enumerate(takeover.examples) if e.holdout and e.fraud]
    relabelled = {*held_frauds[::2]}
    examples = tuple(e._replace(fraud=False) if i in relabelled else e for i, e in enumerate(takeover.examples))
    other = History(takeover.tally, takeover.grid, takeover.transactions, takeover.labelled, None, examples)

    learn(takeover, outcome, Objective("f1"), SETTINGS)
    learn(other, outcome, Objective("f1"), SETTINGS)

    assert len(tables) == 4 and tables[0] is not None  # the training part's rows, then the holdout's, twice
    assert tables[0] == tables[1] == tables[2] == tables[3]


def test_the_refits_earlier_window_is_read_with_the_labels_before_it(takeover, monkeypatch) -> None:
    """The refit's threshold pools the holdout with the window before it, scored by a fit on the rows before that
    window: their shares count those rows' labels only; the final fit's count every label."""
    from jobs import learn_select

    calls = []

    def recording(x, rows, params, features, *rest):
        calls.append((x, rows, features))
        return refit_all(x, rows, params, features, *rest)

    monkeypatch.setattr(learn_select, "refit_all", recording)
    outcome = tune(takeover.tally, takeover.grid, FraudPolicy.default())
    learned = learn(takeover, outcome, Objective("f1"), SETTINGS, refit=True)

    assert learned.refit and learned.model is not None and len(calls) == 1
    (x_window, x_all), (train, hold), (names, table) = calls[0]
    share = list(names).index("category_fraud_share")
    before = category_table(train[: len(train) - len(hold)])
    assert before is not None and before != table == category_table([*train, *hold])
    assert x_window[:, share].tolist() == [before.lookup()(e.category) for e in train]
    assert x_all[:, share].tolist() == [table.lookup()(e.category) for e in [*train, *hold]]
