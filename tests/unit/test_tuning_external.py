"""The external-data goal on a committed sample of SynCCFD (a generator this project did not write).

Tune on January-March only, then backtest the learned policy on April-June through the same engine as the
processor (history of January-March replayed first, as in production). The full-size measurement and its command
are in docs/analytics.md; this sample is 60 customers of it.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from adapters.serialization import loads, parse_transaction
from domain.policy import FraudPolicy
from domain.tuning import tune
from securebank.jsonl import numbered_lines
from securebank.lab.backtest import Backtest, read_labels
from securebank.lab.tuning import build_history

SAMPLE = Path(__file__).parents[1] / "fixtures/external/synccfd_1000c_10000t_first60"

pytestmark = pytest.mark.slow


def test_a_policy_tuned_on_three_months_scores_f1_of_at_least_075_on_the_next_three():
    lines = list(numbered_lines(SAMPLE / "transactions.jsonl.gz"))
    train, _ = read_labels(numbered_lines(SAMPLE / "train_labels.jsonl.gz"))
    test, _ = read_labels(numbered_lines(SAMPLE / "test_labels.jsonl.gz"))
    assert not set(train) & set(test)
    first_months = [t for t in (parse_transaction(loads(text)) for _, text in lines) if t.key in train]
    history = build_history(first_months, train, FraudPolicy.default(), holdout=0.25)

    learned = tune(history.tally, history.grid, FraudPolicy.default()).policy

    after = Backtest(learned).run(lines).confusion(test)
    before = Backtest(FraudPolicy.default()).run(lines).confusion(test)
    assert before.f1 == Decimal(0)  # the seed needs velocity + amount + location together
    assert after.f1 >= Decimal("0.75"), after
