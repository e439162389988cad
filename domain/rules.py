"""The fraud rules. Each turns what is observed of a transaction into a `RuleResult`; `evaluate` sums them exactly.

Observing (profile before + transaction -> `Observation`) is separate from judging (policy + observation ->
`Decision`): profiles evolve the same way whatever the policy, so a policy search can observe history once and try
thresholds and weights over the observations (see `domain.tuning`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import time, timedelta, tzinfo
from datetime import timezone as dt_timezone
from decimal import Decimal
from functools import cache
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from attrs import frozen

from domain.currency import QUANTUM
from domain.geo import haversine_miles
from domain.merchant_risk import NO_MERCHANT_RISK, MerchantRisk, utc_day
from domain.model import Transaction
from domain.policy import (
    RULE_NAMES,
    AmountRule,
    CategoryRule,
    FraudPolicy,
    LargeAmountRule,
    LocationRule,
    MerchantRiskRule,
    TimeRule,
    TravelSpeedRule,
    VelocityRule,
)
from domain.profile import CustomerProfile

Value = Decimal | int | float | str | time | None
_ZERO = Decimal(0)


class Observation(NamedTuple):
    """What the rules see of one transaction, given the customer's profile before it (None for a new customer).

    Amounts are only compared within one currency: `prior_count` and `prior_total` are the customer's history in
    this transaction's currency (none for a first payment in a currency).

    A NamedTuple: one is built per transaction on the hot path."""

    amount: Decimal
    currency: str
    velocity_count: int
    """Transactions of the customer with timestamp in (t - window, t], this one included."""
    prior_count: int
    """The customer's earlier transactions in `currency`."""
    prior_total: Decimal
    """Their total, in `currency`."""
    history_count: int
    """Every earlier transaction of the customer, in any currency."""
    distance_miles: float | None
    """From the previous transaction's location; None on a first transaction."""
    hours_since_previous: float | None
    local_time: time
    category_seen: bool
    """Whether the customer used this merchant category before (False on a first transaction)."""
    merchant_frauds: int = 0
    """Confirmed frauds at the merchant known on the day, over the merchant rule's window (0 without a feed)."""
    merchant_transactions: int = 0
    """The merchant's transactions over that same window."""

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


class RuleResult(NamedTuple):
    """One rule's verdict: whether it triggered, what it saw and what it compared against.

    A NamedTuple rather than an attrs class: four are built per transaction on the hot path, and a tuple is built
    several times faster than a frozen attrs instance.
    """

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
    """The verdict on one transaction. Explanations (`results`, `reasons`) are derived on demand from what was
    observed, by the same predicates that scored it, so scoring stays cheap and every decision stays explainable."""

    risk_score: Decimal
    is_fraud: bool
    triggered_rules: tuple[str, ...]
    observation: Observation
    policy: FraudPolicy

    @property
    def policy_version(self) -> int:
        return self.policy.version

    @property
    def results(self) -> tuple[RuleResult, ...]:
        """Every active rule's result, triggered or not, in policy order."""
        return tuple(RULES[name](self.policy, self.observation) for name, *_ in _active(self.policy))

    @property
    def reasons(self) -> tuple[str, ...]:
        return tuple(r.reason for r in self.results if r.triggered)


@cache
def zone(name: str) -> tzinfo:
    """An IANA zone name, or a fixed offset written "+HH:MM" / "-HH:MM"."""
    if name[:1] in "+-":
        hours, minutes = int(name[1:3]), int(name[4:6])
        delta = timedelta(hours=hours, minutes=minutes)
        return dt_timezone(-delta if name[0] == "-" else delta)
    return ZoneInfo(name)


def observe(
    profile: CustomerProfile | None,
    txn: Transaction,
    window_seconds: int = 3600,
    merchant: tuple[int, int] = (0, 0),
) -> Observation:
    """Observe `txn` against the profile as it was before it; `merchant` is (known frauds, transactions) at its
    merchant over the merchant rule's window (see `MerchantRisk.counts`)."""
    t = txn.timestamp
    # A first transaction is seen in its own offset, which becomes the profile's zone.
    local = t if profile is None else t.astimezone(zone(profile.timezone))
    if profile is None or profile.total_transactions == 0:
        return Observation(txn.amount, txn.currency, 1, 0, _ZERO, 0, None, None, local.time(), False, *merchant)
    velocity = 1 + profile.count_between(t - _seconds(window_seconds), t)
    previous = profile.last_location
    distance = haversine_miles(previous, txn.location) if previous is not None else None
    last = profile.last_transaction_timestamp
    hours = abs((t - last).total_seconds()) / 3600 if last is not None else None
    seen = txn.merchant_category in profile.categories
    same = profile.amounts_in(txn.currency)  # amounts are compared within one currency only
    count, total = (0, _ZERO) if same is None else (same.count, same.total)
    # Positional arguments: faster than keywords for a NamedTuple built once per transaction.
    return Observation(txn.amount, txn.currency, velocity, count, total, profile.total_transactions, distance, hours,
                       local.time(), seen, *merchant)  # fmt: skip


def _velocity(rule: VelocityRule, obs: Observation) -> bool:
    return obs.velocity_count > rule.max_count


def _amount(rule: AmountRule, obs: Observation) -> bool:
    # amount > multiplier * total / count, without dividing: exact for any Decimal.
    return obs.prior_count >= rule.min_history and obs.amount * obs.prior_count > rule.multiplier * obs.prior_total


def _location(rule: LocationRule, obs: Observation) -> bool:
    return obs.distance_miles is not None and obs.distance_miles >= rule.max_distance_miles


def _time(rule: TimeRule, obs: Observation) -> bool:
    return not rule.day_start <= obs.local_time < rule.day_end


def _travel(rule: TravelSpeedRule, obs: Observation) -> bool:
    d, speed = obs.distance_miles, obs.speed_mph
    return speed is not None and d is not None and d >= rule.min_distance_miles and speed > rule.max_speed_mph


def _category(rule: CategoryRule, obs: Observation) -> bool:
    return obs.history_count >= rule.min_history and not obs.category_seen


def _large(rule: LargeAmountRule, obs: Observation) -> bool:
    return obs.amount > rule.limit and obs.currency == rule.currency


def _merchant(rule: MerchantRiskRule, obs: Observation) -> bool:
    frauds = obs.merchant_frauds
    return frauds >= rule.min_frauds and frauds >= rule.min_share * obs.merchant_transactions


def velocity_check(policy: FraudPolicy, obs: Observation) -> RuleResult:
    rule = policy.velocity_check
    return RuleResult("velocity_check", _velocity(rule, obs), obs.velocity_count, rule.max_count, rule.weight,
                      _window(rule.window_seconds))  # fmt: skip


def amount_anomaly(policy: FraudPolicy, obs: Observation) -> RuleResult:
    rule = policy.amount_anomaly
    mean = obs.prior_mean
    limit = None if mean is None else (rule.multiplier * mean).quantize(QUANTUM[obs.currency])
    return RuleResult("amount_anomaly", _amount(rule, obs), obs.amount, limit, rule.weight, obs.currency)


def location_anomaly(policy: FraudPolicy, obs: Observation) -> RuleResult:
    rule = policy.location_anomaly
    d = obs.distance_miles
    return RuleResult("location_anomaly", _location(rule, obs), None if d is None else round(d, 1),
                      rule.max_distance_miles, rule.weight)  # fmt: skip


def time_anomaly(policy: FraudPolicy, obs: Observation) -> RuleResult:
    rule = policy.time_anomaly
    return RuleResult("time_anomaly", _time(rule, obs), obs.local_time, _day(rule.day_start, rule.day_end),
                      rule.weight)  # fmt: skip


def impossible_travel(policy: FraudPolicy, obs: Observation) -> RuleResult:
    rule = policy.impossible_travel
    speed = obs.speed_mph
    return RuleResult("impossible_travel", _travel(rule, obs), None if speed is None else round(speed, 1),
                      rule.max_speed_mph, rule.weight)  # fmt: skip


def category_deviation(policy: FraudPolicy, obs: Observation) -> RuleResult:
    rule = policy.category_deviation
    return RuleResult("category_deviation", _category(rule, obs), obs.history_count, rule.min_history, rule.weight)


def large_amount(policy: FraudPolicy, obs: Observation) -> RuleResult:
    rule = policy.large_amount
    return RuleResult("large_amount", _large(rule, obs), obs.amount, rule.limit, rule.weight, rule.currency)


def merchant_risk(policy: FraudPolicy, obs: Observation) -> RuleResult:
    rule = policy.merchant_risk
    return RuleResult("merchant_risk", _merchant(rule, obs), obs.merchant_frauds, rule.min_frauds, rule.weight,
                      _merchant_window(rule, obs.merchant_transactions))  # fmt: skip


Rule = Callable[[FraudPolicy, Observation], RuleResult]
Predicate = Callable[[Any, Observation], bool]
RULES: dict[str, Rule] = {
    "velocity_check": velocity_check,
    "amount_anomaly": amount_anomaly,
    "location_anomaly": location_anomaly,
    "time_anomaly": time_anomaly,
    "impossible_travel": impossible_travel,
    "category_deviation": category_deviation,
    "large_amount": large_amount,
    "merchant_risk": merchant_risk,
}
PREDICATES: dict[str, Predicate] = {
    "velocity_check": _velocity,
    "amount_anomaly": _amount,
    "location_anomaly": _location,
    "time_anomaly": _time,
    "impossible_travel": _travel,
    "category_deviation": _category,
    "large_amount": _large,
    "merchant_risk": _merchant,
}
assert tuple(RULES) == RULE_NAMES == tuple(PREDICATES), "one function per policy rule, in policy order"


def evaluate(policy: FraudPolicy, obs: Observation) -> Decision:
    """Score with every rule of weight > 0, in policy order. Exact: 0.4 + 0.3 + 0.1 == 0.8, not fraud at 0.8."""
    return Scorer(policy).evaluate(obs)


class Scorer:
    """A policy made ready to score many transactions: its active rules are looked up once.

    `merchants` is what is known of confirmed fraud per merchant; it is only read when the merchant rule is on."""

    __slots__ = ("active", "merchant_rule", "merchants", "policy", "window_seconds")

    def __init__(self, policy: FraudPolicy, merchants: MerchantRisk = NO_MERCHANT_RISK) -> None:
        self.policy = policy
        self.active = _active(policy)
        self.window_seconds = policy.velocity_check.window_seconds
        self.merchant_rule = policy.merchant_risk
        self.merchants = merchants if merchants and self.merchant_rule.weight > 0 else None

    def evaluate(self, obs: Observation) -> Decision:
        total = Decimal(0)
        triggered = []
        for name, predicate, rule in self.active:
            if predicate(rule, obs):
                total += rule.weight
                triggered.append(name)
        policy = self.policy
        return Decision(total, total > policy.threshold, tuple(triggered), obs, policy)

    def score(self, profile: CustomerProfile | None, txn: Transaction) -> Decision:
        if self.merchants is None:
            return self.evaluate(observe(profile, txn, self.window_seconds))
        rule = self.merchant_rule
        merchant = self.merchants.counts(txn.merchant_id, utc_day(txn.timestamp), rule.window_days, rule.lag_days)
        return self.evaluate(observe(profile, txn, self.window_seconds, merchant))


@cache
def _active(policy: FraudPolicy) -> tuple[tuple[str, Predicate, Any], ...]:
    """(name, predicate, parameters) of every rule with weight > 0, in policy order."""
    return tuple(
        (name, PREDICATES[name], getattr(policy, name)) for name in RULE_NAMES if getattr(policy, name).weight > 0
    )


@cache
def _seconds(seconds: int) -> timedelta:
    return timedelta(seconds=seconds)


@cache
def _day(start: time, end: time) -> str:
    return f"[{start:%H:%M}, {end:%H:%M})"


def _merchant_window(rule: MerchantRiskRule, transactions: int) -> str:
    start, end = rule.lag_days + rule.window_days, rule.lag_days
    days = f"from {start} to {end} days before"
    return f"{transactions} transactions at the merchant {days} (needs {rule.min_share} of them)"


@cache
def _window(seconds: int) -> str:
    return "the last hour" if seconds == 3600 else f"the last {seconds / 3600:g} hours"


def score(policy: FraudPolicy, profile: CustomerProfile | None, txn: Transaction) -> Decision:
    return Scorer(policy).score(profile, txn)


_REASONS: dict[str, Callable[[RuleResult], str]] = {
    "velocity_check": lambda r: f"{r.observed} transactions in {r.context} > {r.threshold}",
    "amount_anomaly": lambda r: f"amount {r.observed} > {r.threshold} {r.context} (multiple of the customer's mean)",
    "location_anomaly": lambda r: f"{r.observed} miles from the previous transaction >= {r.threshold}",
    "time_anomaly": lambda r: f"local time {r.observed} outside {r.threshold}",
    "impossible_travel": lambda r: f"travel at {r.observed} mph > {r.threshold}",
    "category_deviation": lambda r: f"new merchant category after {r.observed} transactions",
    "large_amount": lambda r: f"amount {r.observed} > limit {r.threshold} {r.context}",
    "merchant_risk": lambda r: f"{r.observed} confirmed frauds (at least {r.threshold}) among {r.context}",
}
