"""From columns back to domain values: the merchant feed's columns, and a row's `Decision` (for its explanation and
its JSON), built from the same values the domain's observation holds."""

from __future__ import annotations

from datetime import time
from decimal import Decimal
from typing import Any

import polars as pl

from domain.merchant_risk import MerchantRisk
from domain.observation import Observation
from domain.parameters import MerchantRiskRule
from domain.policy import FraudPolicy
from domain.scoring import Decision
from securebank.lab.columnar_model import exponent, risk_score

_US_PER_DAY = 86_400_000_000
_ORDINAL_1970 = 719_163
"""`date(1970, 1, 1).toordinal()`: a UTC day's ordinal is this plus the days since the epoch."""
_ZERO = Decimal(0)


def merchant_columns(frame: pl.DataFrame, merchants: MerchantRisk, rule: MerchantRiskRule) -> pl.DataFrame:
    """merchant_frauds and merchant_transactions, asked of the feed once per (merchant, UTC day), as
    `Scorer.score` asks it per transaction."""
    frame = frame.with_columns(day=pl.col("epoch_us") // _US_PER_DAY + _ORDINAL_1970)
    pairs = frame.select("merchant_id", "day").unique()
    counts = [merchants.counts(m, d, rule.window_days, rule.lag_days) for m, d in pairs.iter_rows()]
    known = pairs.with_columns(
        merchant_frauds=pl.Series([c[0] for c in counts], dtype=pl.Int64),
        merchant_transactions=pl.Series([c[1] for c in counts], dtype=pl.Int64),
    )
    return frame.join(known, on=["merchant_id", "day"], how="left", maintain_order="left").drop("day")


def _local_time(micros: int) -> time:
    seconds, us = divmod(micros, 1_000_000)
    minutes, second = divmod(seconds, 60)
    return time(minutes // 60, minutes % 60, second, us)


def _money(minor: int, units: int) -> Decimal:
    return Decimal(minor).scaleb(-units)


def observation_of(row: dict[str, Any]) -> Observation:
    """The observation `domain.observation.observe` makes of this row's transaction (the rules' fields, and the
    signals when the row has them: `columnar_signals`)."""
    units = row["units"]
    count = row["prior_count"]
    total = _money(row["prior_total"], units) if count else _ZERO
    obs = Observation(_money(row["amount_minor"], units), row["currency"], row["velocity"], count, total,
                      row["history_count"], row["distance"], row["hours"], _local_time(row["local_us"]),
                      row["category_seen"], row["merchant_frauds"], row["merchant_transactions"])  # fmt: skip
    if "count_1h" not in row:
        return obs
    category = row["category_count"]
    return obs._replace(
        merchant_category=row["merchant_category"], category_count=category,
        category_total=_money(row["category_total"], units) if category else _ZERO,
        count_1h=row["count_1h"], count_24h=row["count_24h"], count_7d=row["count_7d"],
        sum_1h=_money(row["sum_1h"], units), sum_24h=_money(row["sum_24h"], units), sum_7d=_money(row["sum_7d"], units),
        recent_high=row["recent_high"], recent_night=row["recent_night"], merchant_seen=row["merchant_seen"],
        night_count=row["night_count"], account_age_days=row["account_age_days"],
        min_24h=_money(row["min_24h"], units) if row["min_24h"] else _ZERO, recent_new=row["recent_new"],
        previous_amount=_money(row["previous_amount"], units) if row["previous_amount"] else _ZERO,
        recent_new_1h=row["recent_new_1h"],
    )  # fmt: skip


def decision_of(
    row: dict[str, Any], policy: FraudPolicy, outcomes: dict[int, tuple[Decimal, bool, tuple[str, ...]]]
) -> Decision:
    score, is_fraud, triggered = outcomes[row["mask"]]
    if "score_units" in row:  # a model policy: the row's own sum (securebank.lab.columnar_model)
        score = risk_score(row["score_units"], row["score_exponent"], exponent(policy))
        is_fraud = row["fraud"]
    return Decision(score, is_fraud, triggered, observation_of(row), policy)
