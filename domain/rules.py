"""The fraud rules. Each turns what is observed of a transaction into a `RuleResult`; `evaluate` sums them exactly.

Observing (profile before + transaction -> `Observation`) is separate from judging (policy + observation ->
`Decision`): profiles evolve the same way whatever the policy, so a policy search can observe history once and try
thresholds and weights over the observations (see `domain.tuning`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import time, timedelta
from decimal import Decimal
from functools import cache
from zoneinfo import ZoneInfo

from attrs import frozen

from domain.geo import haversine_miles
from domain.model import Transaction
from domain.policy import RULE_NAMES, FraudPolicy
from domain.profile import CustomerProfile

Value = Decimal | int | float | str | None


@frozen
class Observation:
    """What the rules see of one transaction, given the customer's profile before it (None for a new customer)."""

    amount: Decimal
    velocity_count: int
    """Transactions of the customer with timestamp in (t - window, t], this one included."""
    prior_count: int
    prior_total: Decimal
    distance_miles: float | None
    """From the previous transaction's location; None on a first transaction."""
    hours_since_previous: float | None
    local_time: time
    category_seen: bool
    """Whether the customer used this merchant category before (False on a first transaction)."""

    @property
    def prior_mean(self) -> Decimal | None:
        return self.prior_total / self.prior_count if self.prior_count else None

    @property
    def speed_mph(self) -> float | None:
        if self.distance_miles is None or self.hours_since_previous is None:
            return None
        if self.hours_since_previous <= 0:
            return float("inf") if self.distance_miles > 0 else 0.0
        return self.distance_miles / self.hours_since_previous


@frozen
class RuleResult:
    """One rule's verdict: whether it triggered, what it saw and what it compared against."""

    rule: str
    triggered: bool
    observed: Value
    threshold: Value
    weight: Decimal
    context: str = ""

    @property
    def reason(self) -> str:
        return _REASONS[self.rule](self)


@frozen
class Decision:
    risk_score: Decimal
    is_fraud: bool
    results: tuple[RuleResult, ...]
    policy_version: int

    @property
    def triggered_rules(self) -> tuple[str, ...]:
        return tuple(r.rule for r in self.results if r.triggered)

    @property
    def reasons(self) -> tuple[str, ...]:
        return tuple(r.reason for r in self.results if r.triggered)


@cache
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def observe(profile: CustomerProfile | None, txn: Transaction, window_seconds: int = 3600) -> Observation:
    """Observe `txn` against the profile as it was before it."""
    t = txn.timestamp
    local = t.timetz() if profile is None or profile.timezone == "UTC" else t.astimezone(_zone(profile.timezone))
    if profile is None or profile.amount_count == 0:
        return Observation(txn.amount, 1, 0, Decimal(0), None, None, time(local.hour, local.minute, local.second),
                           False)  # fmt: skip
    start = t - timedelta(seconds=window_seconds)
    velocity = 1 + sum(1 for r in profile.recent if start < r.timestamp <= t)
    previous = profile.last_location
    distance = haversine_miles(previous, txn.location) if previous is not None else None
    last = profile.last_transaction_timestamp
    hours = abs((t - last).total_seconds()) / 3600 if last is not None else None
    return Observation(
        amount=txn.amount,
        velocity_count=velocity,
        prior_count=profile.amount_count,
        prior_total=profile.amount_total,
        distance_miles=distance,
        hours_since_previous=hours,
        local_time=time(local.hour, local.minute, local.second),
        category_seen=txn.merchant_category in profile.categories,
    )


def velocity_check(policy: FraudPolicy, obs: Observation) -> RuleResult:
    rule = policy.velocity_check
    return RuleResult("velocity_check", obs.velocity_count > rule.max_count, obs.velocity_count, rule.max_count,
                      rule.weight, _window(rule.window_seconds))  # fmt: skip


def amount_anomaly(policy: FraudPolicy, obs: Observation) -> RuleResult:
    rule = policy.amount_anomaly
    # amount > multiplier * total / count, without dividing: exact for any Decimal.
    triggered = obs.prior_count >= rule.min_history and obs.amount * obs.prior_count > rule.multiplier * obs.prior_total
    mean = obs.prior_mean
    limit = None if mean is None else (rule.multiplier * mean).quantize(Decimal("0.01"))
    return RuleResult("amount_anomaly", triggered, obs.amount, limit, rule.weight)


def location_anomaly(policy: FraudPolicy, obs: Observation) -> RuleResult:
    rule = policy.location_anomaly
    d = obs.distance_miles
    triggered = d is not None and d >= rule.max_distance_miles
    return RuleResult("location_anomaly", triggered, None if d is None else round(d, 1), rule.max_distance_miles,
                      rule.weight)  # fmt: skip


def time_anomaly(policy: FraudPolicy, obs: Observation) -> RuleResult:
    rule = policy.time_anomaly
    inside = rule.day_start <= obs.local_time < rule.day_end
    window = f"[{rule.day_start:%H:%M}, {rule.day_end:%H:%M})"
    return RuleResult("time_anomaly", not inside, obs.local_time.isoformat(), window, rule.weight)


def impossible_travel(policy: FraudPolicy, obs: Observation) -> RuleResult:
    rule = policy.impossible_travel
    speed = obs.speed_mph
    d = obs.distance_miles
    triggered = speed is not None and d is not None and d >= rule.min_distance_miles and speed > rule.max_speed_mph
    return RuleResult("impossible_travel", triggered, None if speed is None else round(speed, 1), rule.max_speed_mph,
                      rule.weight)  # fmt: skip


def category_deviation(policy: FraudPolicy, obs: Observation) -> RuleResult:
    rule = policy.category_deviation
    triggered = obs.prior_count >= rule.min_history and not obs.category_seen
    return RuleResult("category_deviation", triggered, obs.prior_count, rule.min_history, rule.weight)


def large_amount(policy: FraudPolicy, obs: Observation) -> RuleResult:
    rule = policy.large_amount
    return RuleResult("large_amount", obs.amount > rule.limit, obs.amount, rule.limit, rule.weight)


Rule = Callable[[FraudPolicy, Observation], RuleResult]
RULES: dict[str, Rule] = {
    "velocity_check": velocity_check,
    "amount_anomaly": amount_anomaly,
    "location_anomaly": location_anomaly,
    "time_anomaly": time_anomaly,
    "impossible_travel": impossible_travel,
    "category_deviation": category_deviation,
    "large_amount": large_amount,
}
assert tuple(RULES) == RULE_NAMES, "every policy rule has exactly one function, in the same order"


def evaluate(policy: FraudPolicy, obs: Observation) -> Decision:
    """Score with every rule of weight > 0, in policy order. Exact: 0.4 + 0.3 + 0.1 == 0.8, not fraud at 0.8."""
    results = tuple(RULES[name](policy, obs) for name in _active(policy))
    score = sum((r.weight for r in results if r.triggered), Decimal(0))
    return Decision(score, score > policy.threshold, results, policy.version)


@cache
def _window(seconds: int) -> str:
    return "the last hour" if seconds == 3600 else f"the last {seconds / 3600:g} hours"


@cache
def _active(policy: FraudPolicy) -> tuple[str, ...]:
    return tuple(name for name in RULE_NAMES if getattr(policy, name).weight > 0)


def score(policy: FraudPolicy, profile: CustomerProfile | None, txn: Transaction) -> Decision:
    return evaluate(policy, observe(profile, txn, policy.velocity_check.window_seconds))


_REASONS: dict[str, Callable[[RuleResult], str]] = {
    "velocity_check": lambda r: f"{r.observed} transactions in {r.context} > {r.threshold}",
    "amount_anomaly": lambda r: f"amount {r.observed} > {r.threshold} (multiple of the customer's mean)",
    "location_anomaly": lambda r: f"{r.observed} miles from the previous transaction >= {r.threshold}",
    "time_anomaly": lambda r: f"local time {r.observed} outside {r.threshold}",
    "impossible_travel": lambda r: f"travel at {r.observed} mph > {r.threshold}",
    "category_deviation": lambda r: f"new merchant category after {r.observed} transactions",
    "large_amount": lambda r: f"amount {r.observed} > limit {r.threshold}",
}
