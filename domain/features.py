"""What a learned model reads of an observation: named numeric features, each with the sentence that explains it.

`FEATURES` is fixed and ordered; `vector(obs)` gives their values in that order (what a trainer fits on), and a
model names the features it uses (`domain.ensemble.TreeModel.features`), so adding a feature here never changes
what an existing model means. A value is a float, or None when it is missing (no history to compare with).

One feature is not a function of the observation alone: `CATEGORY_FRAUD_SHARE`, the fraud share of the payment's
merchant category among the labelled payments a model was fitted on. The model carries that table
(`domain.ensemble.CategoryShares`) and reads the feature through it; its explanation names the category only, so a
stored decision's text is made again from its observation (adapters/recorded_decisions.py).
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from functools import cache
from typing import NamedTuple

from domain.observation import Observation
from domain.profile import RUN_LENGTH

SPEED_CAP_MPH = 100_000.0
"""`speed_mph` of an instant move (infinite) reads as this: a finite value, which trainers accept."""
_MINUTES_PER_HOUR = 60
TIMES = "\N{MULTIPLICATION SIGN}"


class Feature(NamedTuple):
    name: str
    value: Callable[[Observation], float | None]
    explain: Callable[[Observation], str]


def _ratio(numerator: float, denominator: float) -> float | None:
    return numerator / denominator if denominator > 0 else None


def _amount_vs_category(obs: Observation) -> float | None:
    if not obs.category_count:
        return None
    return _ratio(float(obs.amount) * obs.category_count, float(obs.category_total))


def _per_mean(amount: Decimal, obs: Observation) -> float | None:
    """`amount` over the customer's prior mean in the currency."""
    if not obs.prior_count:
        return None
    return _ratio(float(amount) * obs.prior_count, float(obs.prior_total))


def _amount_vs_mean(obs: Observation) -> float | None:
    return _per_mean(obs.amount, obs)


def _sum_24h_vs_mean(obs: Observation) -> float | None:
    return _per_mean(obs.sum_24h, obs)


def _sum_7d_vs_mean(obs: Observation) -> float | None:
    return _per_mean(obs.sum_7d, obs)


def _sum_1h_vs_mean(obs: Observation) -> float | None:
    return _per_mean(obs.sum_1h, obs)


def _previous_vs_mean(obs: Observation) -> float | None:
    return _per_mean(obs.previous_amount, obs) if obs.previous_amount else None


def _explain_previous(obs: Observation) -> str:
    if not obs.previous_amount:
        return f"no earlier {obs.currency} payment in 24 h"
    return _times("the previous payment", _previous_vs_mean(obs), f"this holder's {obs.currency} average")


def _min_24h_vs_mean(obs: Observation) -> float | None:
    return _per_mean(obs.min_24h, obs) if obs.min_24h else None


def _explain_min_24h(obs: Observation) -> str:
    if not obs.min_24h:
        return f"no earlier {obs.currency} payment in 24 h"
    value = _min_24h_vs_mean(obs)
    if value is None:
        return f"smallest {obs.currency} payment in 24 h: no average of this holder's yet"
    return f"smallest {obs.currency} payment in 24 h {value:.2g}{TIMES} this holder's average payment"  # 0.04x


def _speed_mph(obs: Observation) -> float | None:
    speed = obs.speed_mph
    return speed if speed is None or speed < SPEED_CAP_MPH else SPEED_CAP_MPH


def _local_hour(obs: Observation) -> float:
    return obs.local_time.hour + obs.local_time.minute / _MINUTES_PER_HOUR


def _night_share(obs: Observation) -> float | None:
    return obs.night_count / obs.history_count if obs.history_count else None


def _merchant_fraud_share(obs: Observation) -> float | None:
    return obs.merchant_frauds / obs.merchant_transactions if obs.merchant_transactions else None


def _times(subject: str, value: float | None, what: str) -> str:
    """ "amount 6.1 times this holder's EUR average", or "amount: no this holder's EUR average yet"."""
    return f"{subject}: no {what} yet" if value is None else f"{subject} {value:.1f}{TIMES} {what}"


def _category(obs: Observation) -> str:
    return obs.merchant_category or "this category's"


def _explain_amount_vs_category(obs: Observation) -> str:
    value = _amount_vs_category(obs)
    if value is None:
        return f"amount with no {_category(obs)} history for this holder"
    return f"amount {value:.1f}{TIMES} this holder's {obs.merchant_category or 'category'} average"


def _hours(obs: Observation) -> str:
    h = obs.hours_since_previous
    return "first payment of this holder" if h is None else f"{h:.1f} h since the previous payment"


def _speed(obs: Observation) -> str:
    s = obs.speed_mph
    return "no previous location" if s is None else f"{s:.0f} mph from the previous payment"


def _distance(obs: Observation) -> str:
    d = obs.distance_miles
    return "no previous location" if d is None else f"{d:.0f} miles from the previous payment"


def _night_share_text(obs: Observation) -> str:
    if not obs.history_count:
        return "no night-time habit known"
    return f"{obs.night_count} of this holder's {obs.history_count} earlier payments at night"


def _merchant_share_text(obs: Observation) -> str:
    return f"{obs.merchant_frauds} confirmed frauds in {obs.merchant_transactions} payments at this merchant"


FEATURES: tuple[Feature, ...] = (
    Feature("amount", lambda o: float(o.amount), lambda o: f"amount {o.amount} {o.currency}"),
    Feature("amount_vs_category", _amount_vs_category, _explain_amount_vs_category),
    Feature("amount_vs_mean", _amount_vs_mean,
            lambda o: _times("amount", _amount_vs_mean(o), f"this holder's {o.currency} average")),
    Feature("count_1h", lambda o: float(o.count_1h), lambda o: f"{o.count_1h} payments in 1 h"),
    Feature("count_24h", lambda o: float(o.count_24h), lambda o: f"{o.count_24h} payments in 24 h"),
    Feature("count_7d", lambda o: float(o.count_7d), lambda o: f"{o.count_7d} payments in 7 days"),
    Feature("sum_24h_vs_mean", _sum_24h_vs_mean,
            lambda o: _times("spending in 24 h", _sum_24h_vs_mean(o), "this holder's average payment")),
    Feature("sum_7d_vs_mean", _sum_7d_vs_mean,
            lambda o: _times("spending in 7 days", _sum_7d_vs_mean(o), "this holder's average payment")),
    Feature("hours_since_previous", lambda o: o.hours_since_previous, _hours),
    Feature("recent_high", lambda o: float(o.recent_high),
            lambda o: f"{o.recent_high} of the last {RUN_LENGTH} payments above this holder's norm"),
    Feature("recent_night", lambda o: float(o.recent_night),
            lambda o: f"{o.recent_night} of the last {RUN_LENGTH} payments at night"),
    Feature("local_hour", _local_hour, lambda o: f"paid at {o.local_time:%H:%M} local time"),
    Feature("night_share", _night_share, _night_share_text),
    Feature("category_seen", lambda o: float(o.category_seen),
            lambda o: f"{'known' if o.category_seen else 'first'} {o.merchant_category or 'merchant'} category"),
    Feature("merchant_seen", lambda o: float(o.merchant_seen),
            lambda o: "known merchant" if o.merchant_seen else "first payment at this merchant"),
    Feature("account_age_days", lambda o: float(o.account_age_days),
            lambda o: f"account {o.account_age_days} days old"),
    Feature("distance_miles", lambda o: o.distance_miles, _distance),
    Feature("speed_mph", _speed_mph, _speed),
    Feature("merchant_fraud_share", _merchant_fraud_share, _merchant_share_text),
    Feature("merchant_frauds", lambda o: float(o.merchant_frauds), _merchant_share_text),
    Feature("history_count", lambda o: float(o.history_count),
            lambda o: f"{o.history_count} earlier payments by this holder"),
    Feature("min_24h_vs_mean", _min_24h_vs_mean, _explain_min_24h),
    Feature("recent_new", lambda o: float(o.recent_new),
            lambda o: f"{o.recent_new} of the last {RUN_LENGTH} payments at merchants new to this holder"),
    Feature("sum_1h_vs_mean", _sum_1h_vs_mean,
            lambda o: _times("spending in 1 h", _sum_1h_vs_mean(o), "this holder's average payment")),
    Feature("previous_vs_mean", _previous_vs_mean, _explain_previous),
    Feature("recent_new_1h", lambda o: float(o.recent_new_1h),
            lambda o: f"{o.recent_new_1h} payments in the last hour at merchants new to this holder"),
)  # fmt: skip
NAMES: tuple[str, ...] = tuple(f.name for f in FEATURES)
CATEGORY_FRAUD_SHARE = "category_fraud_share"
"""The merchant category's fraud share as a model learned it: read through the model's table, not from `vector`."""
MERCHANT_FEATURES = frozenset({"merchant_fraud_share", "merchant_frauds"})
"""The features the merchant feed fills (`domain.observation.MERCHANT_FIELDS`): a model that reads one needs the
feed, over its policy's merchant window, as the merchant rule does."""
_GETTERS = tuple(f.value for f in FEATURES)


def vector(obs: Observation) -> tuple[float | None, ...]:
    """Every feature's value on `obs`, in `FEATURES` order."""
    return tuple(get(obs) for get in _GETTERS)


def _needs_table(obs: Observation) -> float | None:
    raise TypeError(f"{CATEGORY_FRAUD_SHARE} is read through a model's table (domain.ensemble.CategoryShares)")


def _explain_category_share(obs: Observation) -> str:
    return f"{obs.merchant_category or 'this'} payments' fraud share in the months the model learned from"


_LEARNED = Feature(CATEGORY_FRAUD_SHARE, _needs_table, _explain_category_share)


@cache
def by_name(name: str) -> Feature:
    """The feature called `name` (KeyError naming it when there is none). `CATEGORY_FRAUD_SHARE`'s value is read
    through a model's table (`domain.ensemble.TreeModel.getters`), not by this feature's own `value`."""
    for feature in (*FEATURES, _LEARNED):
        if feature.name == name:
            return feature
    raise KeyError(f"no feature named {name!r}; known: {', '.join((*NAMES, CATEGORY_FRAUD_SHARE))}")
