"""The rule catalogue: every fraud rule, once, as a `RuleSpec` record, in evaluation order.

Adding a rule is one record here plus its predicate (and its parameters class in `domain.parameters`): scoring,
`Decision.results` and its reasons, the tuning grid and the stored-policy codec all read `catalogue()`. Tests and
experiments may add rules for a while with `registered(...)`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import time
from decimal import Decimal
from functools import cache
from typing import Any

from domain.currency import QUANTUM
from domain.merchant_risk import utc_day
from domain.observation import MERCHANT_FIELDS, Moment, Observation, velocity_count
from domain.parameters import (
    AmountRule,
    CategoryRule,
    LargeAmountRule,
    LocationRule,
    MerchantRiskRule,
    TimeRule,
    TravelSpeedRule,
    VelocityRule,
)
from domain.rule_spec import Catalogue, RuleSpec, Variants, axes


def too_many_recent(rule: VelocityRule, obs: Observation) -> bool:
    return obs.velocity_count > rule.max_count


def amount_above_usual(rule: AmountRule, obs: Observation) -> bool:
    # amount > multiplier * total / count, without dividing: exact for any Decimal.
    return obs.prior_count >= rule.min_history and obs.amount * obs.prior_count > rule.multiplier * obs.prior_total


def far_from_previous(rule: LocationRule, obs: Observation) -> bool:
    return obs.distance_miles is not None and obs.distance_miles >= rule.max_distance_miles


def outside_day_hours(rule: TimeRule, obs: Observation) -> bool:
    return not rule.day_start <= obs.local_time < rule.day_end


def impossibly_fast(rule: TravelSpeedRule, obs: Observation) -> bool:
    d, speed = obs.distance_miles, obs.speed_mph
    return speed is not None and d is not None and d >= rule.min_distance_miles and speed > rule.max_speed_mph


def new_category(rule: CategoryRule, obs: Observation) -> bool:
    return obs.history_count >= rule.min_history and not obs.category_seen


def over_amount_limit(rule: LargeAmountRule, obs: Observation) -> bool:
    return obs.amount > rule.limit and obs.currency == rule.currency


def at_risky_merchant(rule: MerchantRiskRule, obs: Observation) -> bool:
    frauds = obs.merchant_frauds
    return frauds >= rule.min_frauds and frauds >= rule.min_share * obs.merchant_transactions


VELOCITY_WINDOWS: tuple[int, ...] = (3600, 6 * 3600, 24 * 3600)
"""The velocity windows the tuner replays (and so may pick)."""
MERCHANT_WINDOWS: tuple[tuple[int, int], ...] = tuple((w, lag) for w in (3, 5, 7, 14) for lag in (0, 3, 7, 14))
"""(window_days, lag_days) of the merchant rule the tuner replays (and so may pick)."""
DAY_HOURS = ((6, 22), (7, 21), (8, 20), (5, 23), (7, 23), (9, 18))
AMOUNT_LIMITS = tuple(Decimal(n) for n in (100, 200, 250, 300, 500, 1000, 2500, 5000, 10000))


def _times_mean(multiplier: Decimal, obs: Observation) -> Decimal | None:
    mean = obs.prior_mean
    return None if mean is None else (multiplier * mean).quantize(QUANTUM[obs.currency])


@cache
def _day(start: time, end: time) -> str:
    return f"[{start:%H:%M}, {end:%H:%M})"


def _merchant_window(rule: MerchantRiskRule, transactions: int) -> str:
    start, end = rule.lag_days + rule.window_days, rule.lag_days
    days = f"from {start} to {end} days before"
    return f"{transactions} transactions at the merchant {days} (needs {rule.min_share} of them)"


SECONDS_PER_HOUR = 3600


@cache
def _window(seconds: int) -> str:
    return "the last hour" if seconds == SECONDS_PER_HOUR else f"the last {seconds / SECONDS_PER_HOUR:g} hours"


def _merchant_counts(moment: Moment, window: tuple[int, int]) -> tuple[int, int]:
    if not moment.merchants:
        return 0, 0
    txn = moment.txn
    return moment.merchants.counts(txn.merchant_id, utc_day(txn.timestamp), *window)


VELOCITY_CHECK = RuleSpec(
    name="velocity_check",
    parameters=VelocityRule,
    predicate=too_many_recent,
    reads=("velocity_count",),
    observed=lambda _, obs: obs.velocity_count,
    threshold=lambda rule, _: rule.max_count,
    context=lambda rule, _: _window(rule.window_seconds),
    reason="{observed} transactions in {context} > {threshold}",
    grid=axes(window_seconds=VELOCITY_WINDOWS, max_count=(2, 3, 4, 5, 6, 8, 10)),
    variants=Variants(
        fields=("velocity_count",),
        key=lambda rule: rule.window_seconds,
        options=VELOCITY_WINDOWS,
        measure=lambda moment, window: (velocity_count(moment.profile, moment.txn.timestamp, window),),
    ),
)
AMOUNT_ANOMALY = RuleSpec(
    name="amount_anomaly",
    parameters=AmountRule,
    predicate=amount_above_usual,
    reads=("amount", "currency", "prior_count", "prior_total"),
    observed=lambda _, obs: obs.amount,
    threshold=lambda rule, obs: _times_mean(rule.multiplier, obs),
    context=lambda _, obs: obs.currency,
    reason="amount {observed} > {threshold} {context} (multiple of the customer's mean)",
    grid=axes(multiplier=tuple(Decimal(m) for m in ("1.5", "2", "2.5", "3", "4", "5")), min_history=(1, 3, 5, 10)),
)
LOCATION_ANOMALY = RuleSpec(
    name="location_anomaly",
    parameters=LocationRule,
    predicate=far_from_previous,
    reads=("distance_miles",),
    observed=lambda _, obs: None if obs.distance_miles is None else round(obs.distance_miles, 1),
    threshold=lambda rule, _: rule.max_distance_miles,
    reason="{observed} miles from the previous transaction >= {threshold}",
    grid=axes(max_distance_miles=tuple(Decimal(d) for d in (25, 50, 100, 200, 300, 500, 1000))),
)
TIME_ANOMALY = RuleSpec(
    name="time_anomaly",
    parameters=TimeRule,
    predicate=outside_day_hours,
    reads=("local_time",),
    observed=lambda _, obs: obs.local_time,
    threshold=lambda rule, _: _day(rule.day_start, rule.day_end),
    reason="local time {observed} outside {threshold}",
    grid=lambda _, __: ({"day_start": time(start), "day_end": time(end)} for start, end in DAY_HOURS),
)
IMPOSSIBLE_TRAVEL = RuleSpec(
    name="impossible_travel",
    parameters=TravelSpeedRule,
    predicate=impossibly_fast,
    reads=("distance_miles", "hours_since_previous"),
    observed=lambda _, obs: None if obs.speed_mph is None else round(obs.speed_mph, 1),
    threshold=lambda rule, _: rule.max_speed_mph,
    reason="travel at {observed} mph > {threshold}",
    grid=axes(
        max_speed_mph=tuple(Decimal(s) for s in (60, 150, 300, 600)), min_distance_miles=(Decimal(20), Decimal(100))
    ),
)
CATEGORY_DEVIATION = RuleSpec(
    name="category_deviation",
    parameters=CategoryRule,
    predicate=new_category,
    reads=("history_count", "category_seen"),
    observed=lambda _, obs: obs.history_count,
    threshold=lambda rule, _: rule.min_history,
    reason="new merchant category after {observed} transactions",
    grid=axes(min_history=(3, 5, 10, 20, 50)),
)
LARGE_AMOUNT = RuleSpec(
    name="large_amount",
    parameters=LargeAmountRule,
    predicate=over_amount_limit,
    reads=("amount", "currency"),
    observed=lambda _, obs: obs.amount,
    threshold=lambda rule, _: rule.limit,
    context=lambda rule, _: rule.currency,
    reason="amount {observed} > limit {threshold} {context}",
    # In the current policy's currency: amounts in others never trigger it.
    grid=lambda rule, hints: (
        {"limit": limit, "currency": rule.currency} for limit in sorted({*AMOUNT_LIMITS, *hints.amount_limits})
    ),
)
MERCHANT_RISK = RuleSpec(
    name="merchant_risk",
    parameters=MerchantRiskRule,
    predicate=at_risky_merchant,
    reads=MERCHANT_FIELDS,
    observed=lambda _, obs: obs.merchant_frauds,
    threshold=lambda rule, _: rule.min_frauds,
    context=lambda rule, obs: _merchant_window(rule, obs.merchant_transactions),
    reason="{observed} confirmed frauds (at least {threshold}) among {context}",
    grid=lambda _, __: (
        {"window_days": w, "lag_days": lag, "min_frauds": n, "min_share": Decimal(s)}
        for w, lag in MERCHANT_WINDOWS
        for n in (1, 2, 3)
        for s in ("0", "0.5", "0.7", "0.9")
    ),
    variants=Variants(
        fields=MERCHANT_FIELDS,
        key=lambda rule: (rule.window_days, rule.lag_days),
        options=MERCHANT_WINDOWS,
        measure=_merchant_counts,
    ),
)

BUILT_IN = Catalogue(
    (VELOCITY_CHECK, AMOUNT_ANOMALY, LOCATION_ANOMALY, TIME_ANOMALY, IMPOSSIBLE_TRAVEL, CATEGORY_DEVIATION,
     LARGE_AMOUNT, MERCHANT_RISK)
)  # fmt: skip
"""The rules of the specification (the first four) and the families a learned policy may switch on."""
_in_force: list[Catalogue] = [BUILT_IN]


def catalogue() -> Catalogue:
    """The rules in force: the built-in ones, and any `registered` for the moment."""
    return _in_force[-1]


@contextmanager
def registered(*specs: RuleSpec[Any]) -> Iterator[Catalogue]:
    """Put `specs` in force after the catalogue's own rules until the block ends: a rule added this way scores,
    explains itself, is stored and read back, and is tuned like a built-in one (for tests and experiments)."""
    extended = catalogue().extended(*specs)
    _in_force.append(extended)
    try:
        yield extended
    finally:
        _in_force.remove(extended)
