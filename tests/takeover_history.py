"""A small takeover-shaped labelled history (our generator, securebank/lab/takeover.py: 40 holders, three months)
replayed as `tune` replays it, and one small ensemble setting: what the learner's unit tests fit on."""

from __future__ import annotations

from datetime import date
from functools import cache

from adapters.serialization import parse_transaction
from domain.labels import Labels
from domain.model import TransactionId
from domain.policy import FraudPolicy
from jobs.learn import Params
from securebank.lab.takeover import generate
from securebank.lab.tuning import History, build_history

SETTINGS = (Params(50, 3, 0.1, 20),)


@cache
def small_takeover_history() -> History:
    rows = generate(seed=3, holders=40, months=3, start=date(2026, 1, 1))
    labels = {TransactionId(row.body["transaction_id"]): row.is_fraud for row in rows}
    transactions = [parse_transaction(row.body) for row in rows]
    return build_history(transactions, Labels.by_id(labels), FraudPolicy.default(), holdout=0.25)
