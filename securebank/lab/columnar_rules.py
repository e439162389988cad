"""The catalogue's predicates as Polars expressions, each exact, and a decision per combination of triggered rules.

Each predicate compares what the domain compares, exactly: Decimal parameters against integers in minor units
(a multiplier or share m / 10^k as m and k), and against floats through the float next to the Decimal bound (for a
float x and a Decimal d, `x >= d` iff `x >= smallest float not below d`). A row's triggered rules are a bit mask;
the decision of a mask (risk_score, is_fraud, triggered_rules) is computed once by summing the weights exactly as
`domain.scoring.Scorer.evaluate` does, in policy order, so risk_score is the domain's Decimal, exponent included.

A policy the expressions do not cover (a rule not in `PREDICATES`, a model `columnar_model.covers` does not, a
velocity window over 24 h, a Decimal parameter with more than MAX_SCALE decimals) is replayed by the domain engine
(`covers`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import time
from decimal import ROUND_FLOOR, Decimal
from typing import Any

import polars as pl

from domain.catalogue import catalogue
from domain.currency import MINOR_UNITS
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
from domain.policy import FraudPolicy
from domain.scoring import _active
from securebank.lab import columnar_model

MAX_SCALE = 9
MAX_WINDOW_SECONDS = 24 * 3600
"""The profile keeps 24 h of recent payments: a longer velocity window depends on what it forgot."""
_MAX_MULTIPLIER = 10**9
Outcome = tuple[Decimal, bool, tuple[str, ...]]


def _ratio(value: Decimal) -> tuple[int, int]:
    """(m, k) with value == m / 10^k exactly."""
    exponent = int(value.as_tuple().exponent)
    k = max(0, -exponent)
    return int(value.scaleb(k)), k


def _at_least(bound: Decimal) -> float:
    """The smallest float f with Decimal(f) >= bound: for any float x, x >= bound iff x >= f."""
    f = float(bound)
    return f if Decimal(f) >= bound else math.nextafter(f, math.inf)


def _at_most(bound: Decimal) -> float:
    """The largest float g with Decimal(g) <= bound: for any float x, x > bound iff x > g."""
    g = float(bound)
    return g if Decimal(g) <= bound else math.nextafter(g, -math.inf)


def _micros(moment: time) -> int:
    return ((moment.hour * 60 + moment.minute) * 60 + moment.second) * 1_000_000 + moment.microsecond


def _col(name: str) -> pl.Expr:
    return pl.col(name)


def _velocity(rule: VelocityRule) -> pl.Expr:
    return _col("velocity") > rule.max_count


def _amount(rule: AmountRule) -> pl.Expr:
    m, k = _ratio(rule.multiplier)
    scale: int = 10**k
    left = _col("amount_minor").cast(pl.Int128) * _col("prior_count") * scale
    return (_col("prior_count") >= rule.min_history) & (left > _col("prior_total").cast(pl.Int128) * m)


def _location(rule: LocationRule) -> pl.Expr:
    return (_col("distance") >= _at_least(rule.max_distance_miles)).fill_null(False)


def _time(rule: TimeRule) -> pl.Expr:
    return ~((_col("local_us") >= _micros(rule.day_start)) & (_col("local_us") < _micros(rule.day_end)))


def _speed() -> pl.Expr:
    d, hours = _col("distance"), _col("hours")
    return pl.when(hours <= 0).then(pl.when(d > 0).then(math.inf).otherwise(0.0)).otherwise(d / hours)


def _travel(rule: TravelSpeedRule) -> pl.Expr:
    far = _col("distance") >= _at_least(rule.min_distance_miles)
    return (far & (_speed() > _at_most(rule.max_speed_mph))).fill_null(False)


def _category(rule: CategoryRule) -> pl.Expr:
    return (_col("history_count") >= rule.min_history) & ~_col("category_seen")


def _large(rule: LargeAmountRule) -> pl.Expr:
    limit = (rule.limit.scaleb(MINOR_UNITS[rule.currency])).to_integral_value(ROUND_FLOOR)
    return (_col("currency") == rule.currency) & (_col("amount_minor").cast(pl.Int128) > int(limit))


def _merchant(rule: MerchantRiskRule) -> pl.Expr:
    m, k = _ratio(rule.min_share)
    frauds = _col("merchant_frauds").cast(pl.Int128)
    scale: int = 10**k
    return (frauds >= rule.min_frauds) & (frauds * scale >= _col("merchant_transactions").cast(pl.Int128) * m)


PREDICATES: dict[str, Callable[[Any], pl.Expr]] = {
    "velocity_check": _velocity, "amount_anomaly": _amount, "location_anomaly": _location, "time_anomaly": _time,
    "impossible_travel": _travel, "category_deviation": _category, "large_amount": _large,
    "merchant_risk": _merchant,
}  # fmt: skip
_DECIMALS = {"amount_anomaly": ("multiplier",), "merchant_risk": ("min_share",)}


def covers(policy: FraudPolicy) -> bool:
    """Whether the expressions decide this policy exactly (else the domain engine replays it)."""
    if not columnar_model.covers(policy) or policy.velocity_check.window_seconds > MAX_WINDOW_SECONDS:
        return False
    rules = catalogue()
    for name, _, settings in _active(policy):
        if name not in PREDICATES or rules[name].predicate is not _DOMAIN_PREDICATES.get(name):
            return False
        for attribute in _DECIMALS.get(name, ()):
            m, k = _ratio(getattr(settings, attribute))
            if k > MAX_SCALE or m >= _MAX_MULTIPLIER:
                return False
    return True


def _domain_predicates() -> dict[str, object]:
    from domain.catalogue import BUILT_IN

    return {spec.name: spec.predicate for spec in BUILT_IN}


_DOMAIN_PREDICATES = _domain_predicates()
"""The predicates these expressions were written from: a catalogue that replaced one is not covered."""


def mask(policy: FraudPolicy) -> pl.Expr:
    """Bit i set iff the policy's i-th active rule triggers (every predicate is evaluated: they are columns)."""
    bits = [PREDICATES[name](settings).cast(pl.Int64) * (1 << i) for i, (name, _, settings) in
            enumerate(_active(policy))]  # fmt: skip
    return pl.sum_horizontal(bits) if bits else pl.lit(0, pl.Int64)


def outcome(policy: FraudPolicy, bits: int) -> Outcome:
    """The decision of a mask, summed as `Scorer.evaluate` sums it."""
    total = Decimal(0)
    triggered = []
    for i, (name, _, settings) in enumerate(_active(policy)):
        if bits >> i & 1:
            total += settings.weight
            triggered.append(name)
    return total, total > policy.threshold, tuple(triggered)
