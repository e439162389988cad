"""Judging: a policy + an observation -> a `Decision`, by the catalogue's predicates, summed exactly.

Scoring runs the predicates of the active rules (weight > 0) only; a decision's explanations (`results`,
`reasons`) are derived on demand from what was observed, by the same records, so scoring stays cheap and every
decision stays explainable. A policy's learned model (if any) adds its score; its contributions, by the path the
score took, join the triggered rules' in `Decision.contributions`, which sum to the risk score exactly.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from decimal import Decimal
from functools import cache
from typing import Any, NamedTuple

import attrs
from attrs import frozen

from domain.catalogue import MERCHANT_RISK, VELOCITY_CHECK, catalogue
from domain.contribution import BASELINE, Contribution
from domain.merchant_risk import NO_MERCHANT_RISK, MerchantRisk, utc_day
from domain.model import Transaction
from domain.observation import MERCHANT_FIELDS, Observation, Value, observe
from domain.policy import FraudPolicy
from domain.profile import CustomerProfile


class RuleResult(NamedTuple):
    """One rule's verdict: whether it triggered, what it saw and what it compared against.

    A NamedTuple rather than an attrs class: one is built per active rule when a decision is explained, and a
    tuple is built several times faster than a frozen attrs instance.
    """

    rule: str
    triggered: bool
    observed: Value
    threshold: Value
    weight: Decimal
    context: str = ""

    @property
    def reason(self) -> str:
        return catalogue()[self.rule].explain(self.observed, self.threshold, self.context)


@frozen
class Decision:
    """The verdict on one transaction. Explanations (`results`, `reasons`) are derived on demand from what was
    observed, by the same predicates that scored it, so scoring stays cheap and every decision stays explainable."""

    risk_score: Decimal
    is_fraud: bool
    triggered_rules: tuple[str, ...]
    observation: Observation
    policy: FraudPolicy
    recorded: tuple[Contribution, ...] | None = None
    """The model's contributions (baseline, features) as recorded, when the decision was stored without its
    policy's model (`as_recorded`)."""
    model_digest: str | None = None
    """Which model that was: the digest of its stored form (adapters/model_codec.py)."""

    def as_recorded(self, model_digest: str) -> Decision:
        """This decision as a store keeps it when its policy has a model: the policy without the model (the store
        keeps `model_digest`, not the model) and the model's contributions recorded, so that the contributions and
        the reasons read back the same. A decision of a rules-only policy is kept as it is."""
        model = self.policy.model
        if model is None:
            return self
        recorded = model.contributions(self.observation)
        return attrs.evolve(self, policy=_without_model(self.policy), recorded=recorded, model_digest=model_digest)

    @property
    def policy_version(self) -> int:
        return self.policy.version

    @property
    def results(self) -> tuple[RuleResult, ...]:
        """Every active rule's result, triggered or not, in policy order."""
        return tuple(result(name, settings, self.observation) for name, _, settings in _active(self.policy))

    @property
    def contributions(self) -> tuple[Contribution, ...]:
        """Each triggered rule (its name, reason and weight), then the model's baseline and every feature with
        non-zero points: they sum to `risk_score` exactly."""
        rules = tuple(Contribution(r.rule, r.reason, r.weight) for r in self.results if r.triggered)
        if self.recorded is not None:
            return rules + self.recorded
        model = self.policy.model
        return rules if model is None else rules + model.contributions(self.observation)

    @property
    def reasons(self) -> tuple[str, ...]:
        """The triggered rules' reasons, then the model's features that raised the score most, largest first, at
        most MODEL_REASONS of them and none that shows as +0.00: "amount 6.1x this holder's grocery average (+0.31)".
        `contributions` lists every one."""
        if self.policy.model is None and self.recorded is None:
            return tuple(r.reason for r in self.results if r.triggered)
        contributions = self.contributions
        rules = len(self.triggered_rules)  # the first contributions, in order
        raised = sorted((c for c in contributions[rules:] if c.source != BASELINE and c.points >= SHOWN_POINTS),
                        key=lambda c: c.points, reverse=True)[:MODEL_REASONS]  # fmt: skip
        return tuple(c.text for c in contributions[:rules]) + tuple(f"{c.text} (+{c.points:.2f})" for c in raised)


MODEL_REASONS = 5
"""A decision's reasons name at most this many of the model's features (the stored item keeps its reasons)."""
SHOWN_POINTS = Decimal("0.005")
"""Points below this show as +0.00 at two places: not a reason."""


@functools.lru_cache(maxsize=8)
def _without_model(policy: FraudPolicy) -> FraudPolicy:
    return attrs.evolve(policy, model=None)


def result(name: str, settings: Any, obs: Observation) -> RuleResult:
    """The rule's verdict on `obs` under `settings`, with what its record reports of it."""
    spec = catalogue()[name]
    return RuleResult(name, spec.predicate(settings, obs), spec.observed(settings, obs), spec.threshold(settings, obs),
                      settings.weight, spec.context(settings, obs))  # fmt: skip


def evaluate(policy: FraudPolicy, obs: Observation) -> Decision:
    """Score with every rule of weight > 0, in policy order. Exact: 0.4 + 0.3 + 0.1 == 0.8, not fraud at 0.8."""
    return Scorer(policy).evaluate(obs)


def score(policy: FraudPolicy, profile: CustomerProfile | None, txn: Transaction) -> Decision:
    return Scorer(policy).score(profile, txn)


class Scorer:
    """A policy made ready to score many transactions: its active rules are looked up once.

    `merchants` is what is known of confirmed fraud per merchant; it is only read when an active rule reads what
    it feeds (the merchant fields of the observation), or the model a feature they fill, over the merchant rule's
    window (`reads_merchant_feed`)."""

    __slots__ = ("active", "merchant_rule", "merchants", "model", "policy", "window_seconds")

    def __init__(self, policy: FraudPolicy, merchants: MerchantRisk = NO_MERCHANT_RISK) -> None:
        self.policy = policy
        self.active = _active(policy)
        self.model = policy.model
        self.window_seconds = policy[VELOCITY_CHECK].window_seconds
        self.merchant_rule = policy[MERCHANT_RISK]
        self.merchants = merchants if merchants and reads_merchant_feed(policy) else None

    def evaluate(self, obs: Observation) -> Decision:
        total = Decimal(0)
        triggered = []
        for name, predicate, rule in self.active:
            if predicate(rule, obs):
                total += rule.weight
                triggered.append(name)
        if self.model is not None:
            total += self.model.score(obs)
        policy = self.policy
        return Decision(total, total > policy.threshold, tuple(triggered), obs, policy)

    def score(self, profile: CustomerProfile | None, txn: Transaction) -> Decision:
        if self.merchants is None:
            return self.evaluate(observe(profile, txn, self.window_seconds))
        rule = self.merchant_rule
        merchant = self.merchants.counts(txn.merchant_id, utc_day(txn.timestamp), rule.window_days, rule.lag_days)
        return self.evaluate(observe(profile, txn, self.window_seconds, merchant))


@cache
def _active(policy: FraudPolicy) -> tuple[tuple[str, Callable[[Any, Observation], bool], Any], ...]:
    """(name, predicate, settings) of every rule with weight > 0, in policy order."""
    rules = catalogue()
    return tuple(
        (name, rules[name].predicate, settings) for name, settings in policy.rules.items() if settings.weight > 0
    )


def reads_merchant_feed(policy: FraudPolicy) -> bool:
    """Whether scoring under `policy` reads the merchant feed: an active rule reads its fields, or the policy's model
    reads a feature it fills. Either reads it over the merchant rule's window (its settings hold at weight 0 too)."""
    rules = catalogue()
    if any(set(MERCHANT_FIELDS) & set(rules[name].reads) for name, _, _ in _active(policy)):
        return True
    if policy.model is None:
        return False
    from domain.features import MERCHANT_FEATURES  # only a model policy needs the features' table

    return bool(MERCHANT_FEATURES & set(policy.model.features))
