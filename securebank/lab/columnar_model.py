"""A policy's tree model, scored in columns: the same features as `domain.features` (the same float operations, in
numpy, which divides and multiplies element by element as Python does), the same tree walks and the leaf values
summed as integers (`jobs.tree_columns`).

Every node value, the base, the rules' weights and the threshold are integers of units of 10**EXPONENT, the
smallest exponent among them, so each row's risk score is an integer sum, exact; its Decimal is rebuilt with the
exponent the domain's sum has (the smallest exponent among the terms added: the rules' sum and the leaves reached),
and is_fraud is the integer comparison with the threshold. A model whose sums could pass 2**62 units is not covered
(`covers`): the domain engine replays it.
"""

from __future__ import annotations

import functools
from decimal import Decimal

import numpy as np
import polars as pl

from domain.ensemble import CategoryShares, TreeModel
from domain.features import CATEGORY_FRAUD_SHARE, SPEED_CAP_MPH
from domain.policy import FraudPolicy
from domain.scoring import _active
from jobs.tree_columns import leaf_nodes, leaf_slots, tree_units

_LIMIT = 2**62
_MINUTES_PER_HOUR = 60
_US_PER_MINUTE = 60_000_000
Columns = dict[str, np.ndarray]


def _exponent(value: Decimal) -> int:
    return int(value.as_tuple().exponent)


def tree_model(policy: FraudPolicy) -> TreeModel | None:
    """The policy's model, when it is a tree ensemble (the only kind these columns score)."""
    model = policy.model
    return model if isinstance(model, TreeModel) else None


def _terms(policy: FraudPolicy) -> list[Decimal]:
    model = tree_model(policy)
    assert model is not None
    rules = [settings.weight for _, _, settings in _active(policy)]
    return [model.base, policy.threshold, Decimal(0), *rules, *(v for tree in model.trees for v in tree.value)]


@functools.lru_cache(maxsize=8)
def exponent(policy: FraudPolicy) -> int:
    """The smallest exponent among the values summed and compared: every one is a whole number of its units."""
    return min(_exponent(v) for v in _terms(policy))


def units(value: Decimal, at: int) -> int:
    return int(value.scaleb(-at))


def covers(policy: FraudPolicy) -> bool:
    """Whether every sum of the policy's terms stays below 2**62 units of `exponent(policy)`."""
    if policy.model is None:
        return True
    model = tree_model(policy)
    if model is None:
        return False
    at = exponent(policy)
    bound: int = sum(abs(units(v, at)) for v in (model.base, policy.threshold))
    bound += sum(abs(units(s.weight, at)) for _, _, s in _active(policy))
    bound += sum(max(abs(units(v, at)) for v in tree.value) for tree in model.trees)
    return bound < _LIMIT


def _float_amount(minor: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """float(Decimal(minor).scaleb(-units)): one correctly rounded division (minor below 2**53)."""
    quotient: np.ndarray = minor.astype(np.float64) / scale
    return quotient


def _ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(denominator > 0, numerator / np.where(denominator > 0, denominator, 1.0), np.nan)


def _per(count: np.ndarray, numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """numerator * count / denominator when count > 0 (`domain.features._per_mean`), NaN (missing) otherwise."""
    return np.where(count > 0, _ratio(numerator * count.astype(np.float64), denominator), np.nan)


def _speed(distance: np.ndarray, hours: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        speed = np.where(hours <= 0, np.where(distance > 0, np.inf, 0.0), distance / hours)
    speed = np.where(np.isnan(distance) | np.isnan(hours), np.nan, speed)
    return np.where(speed < SPEED_CAP_MPH, speed, np.where(np.isnan(speed), np.nan, SPEED_CAP_MPH))


def features(frame: pl.DataFrame) -> dict[str, np.ndarray]:
    """Every feature of `domain.features.FEATURES` as a float column, NaN where the domain's is None."""
    c = {name: frame[name].to_numpy() for name in frame.columns if frame[name].dtype.is_numeric()}
    f = {name: frame[name].cast(pl.Float64).fill_null(np.nan).to_numpy() for name in ("distance", "hours")}
    scale = np.power(10.0, c["units"])
    amount = _float_amount(c["amount_minor"], scale)
    prior_total = _float_amount(c["prior_total"], scale)
    local = c["local_us"] // _US_PER_MINUTE
    merchants = c["merchant_transactions"].astype(np.float64)
    as_float = {
        n: c[n].astype(np.float64)
        for n in (
            "count_1h",
            "count_24h",
            "count_7d",
            "recent_high",
            "recent_night",
            "account_age_days",
            "merchant_frauds",
            "recent_new",
            "recent_new_1h",
        )
    }
    history = c["history_count"].astype(np.float64)
    return as_float | {
        "amount": amount,
        "amount_vs_category": _per(c["category_count"], amount, _float_amount(c["category_total"], scale)),
        "amount_vs_mean": _per(c["prior_count"], amount, prior_total),
        "sum_24h_vs_mean": _per(c["prior_count"], _float_amount(c["sum_24h"], scale), prior_total),
        "sum_7d_vs_mean": _per(c["prior_count"], _float_amount(c["sum_7d"], scale), prior_total),
        "hours_since_previous": f["hours"],
        "local_hour": (local // _MINUTES_PER_HOUR) + (local % _MINUTES_PER_HOUR) / _MINUTES_PER_HOUR,
        "night_share": _ratio(c["night_count"].astype(np.float64), history),
        "category_seen": frame["category_seen"].cast(pl.Float64).to_numpy(),
        "merchant_seen": frame["merchant_seen"].cast(pl.Float64).to_numpy(),
        "distance_miles": f["distance"],
        "speed_mph": _speed(f["distance"], f["hours"]),
        "merchant_fraud_share": _ratio(c["merchant_frauds"].astype(np.float64), merchants),
        "history_count": history,
        "min_24h_vs_mean": np.where(
            c["min_24h"] > 0, _per(c["prior_count"], _float_amount(c["min_24h"], scale), prior_total), np.nan
        ),
        "sum_1h_vs_mean": _per(c["prior_count"], _float_amount(c["sum_1h"], scale), prior_total),
        "previous_vs_mean": np.where(
            c["previous_amount"] > 0,
            _per(c["prior_count"], _float_amount(c["previous_amount"], scale), prior_total),
            np.nan,
        ),
    }


def category_shares(categories: pl.Series, table: CategoryShares) -> np.ndarray:
    """Each payment's category's share in `table`, the float the domain reads (`CategoryShares.lookup`)."""
    shares = {category: float(share) for category, share in table.shares}
    column = categories.replace_strict(shares, default=float(table.other), return_dtype=pl.Float64)
    return column.to_numpy()


def _lowest(model: TreeModel, values: Columns, rows: int) -> np.ndarray:
    """Per row, the smallest exponent among the base and the leaves reached: a tree whose leaves share one exponent
    adds that one, and only the others are walked again, for the exponent of the leaf each row reaches."""
    exponents = [np.array([_exponent(tree.value[n]) for n in leaf_nodes(tree)], dtype=np.int64) for tree in model.trees]
    low = np.full(rows, min([_exponent(model.base), *(int(e.min()) for e in exponents if e.min() == e.max())]))
    if all(e.min() == e.max() for e in exponents):
        return low
    for slots, tree_exponents in zip(leaf_slots(model, values), exponents, strict=True):
        if tree_exponents.min() < tree_exponents.max():
            np.minimum(low, tree_exponents[slots], out=low)
    return low


def score(frame: pl.DataFrame, policy: FraudPolicy, rules: dict[int, Decimal]) -> pl.DataFrame:
    """`frame` (rows with `mask` and the signal columns) with `score_units` (the risk score in units of
    10**exponent(policy)), `score_exponent` (the exponent of the domain's Decimal sum) and `fraud`."""
    model = tree_model(policy)
    assert model is not None
    at = exponent(policy)
    values = features(frame)
    if model.categories is not None:
        values[CATEGORY_FRAUD_SHARE] = category_shares(frame["merchant_category"], model.categories)
    columns = {name: values[name] for name in model.features}
    masks = np.array(sorted(rules), dtype=np.int64)
    which = np.searchsorted(masks, frame["mask"].to_numpy())
    rule_units = np.array([units(rules[m], at) for m in masks.tolist()], dtype=np.int64)
    rule_low = np.array([_exponent(rules[m]) for m in masks.tolist()], dtype=np.int64)
    total = tree_units(model, columns, at) + rule_units[which]
    low = np.minimum(rule_low[which], _lowest(model, columns, frame.height))
    return frame.with_columns(
        score_units=pl.Series(total),
        score_exponent=pl.Series(low),
        fraud=pl.Series(total > units(policy.threshold, at)),
    )


def risk_score(total: int, exponent_of_sum: int, at: int) -> Decimal:
    """The Decimal of `total` units of 10**at, with the exponent of the domain's sum (never below `at`)."""
    return Decimal(total // 10 ** (exponent_of_sum - at)).scaleb(exponent_of_sum)
