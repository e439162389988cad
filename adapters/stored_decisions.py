"""What a transaction item keeps of a decision's observation: the fields its policy reads.

The specification's fields (those before `merchant_category`) are always kept, as items always held them. Of the
signals (`domain.observation.SIGNAL_FIELDS`), an item keeps those an active rule reads, or all of them when the
policy has a learned model (its features read every signal); the others read back at their defaults. So the
specification's policy's items do not grow (tests/unit/test_item_sizes.py), and a learned model's decision still
reads back with everything its explanation needs. The in-memory fake keeps the same (adapters/memory.py), so both
repositories give the same answers.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import attrs

from domain.catalogue import catalogue
from domain.observation import SIGNAL_FIELDS, Observation
from domain.policy import FraudPolicy
from domain.ports import ScoredTransaction
from domain.rule_spec import Catalogue

_FIRST_SIGNAL = Observation._fields.index(SIGNAL_FIELDS[0])
_DEFAULTS = Observation._field_defaults
_DEFAULT_SIGNALS = tuple(_DEFAULTS[name] for name in SIGNAL_FIELDS)


def signals_kept(policy: FraudPolicy) -> frozenset[str]:
    """The signals an item keeps for a decision of `policy` (under the rules in force)."""
    rules = catalogue()
    last = _last
    if last and last[0] is policy and last[1] is rules:  # one policy at a time, compared by identity: no hashing
        known: frozenset[str] = last[2]
        return known
    kept = _signals_kept(policy, rules)
    _last[:] = (policy, rules, kept)
    return kept


_last: list[Any] = []


@cache
def _signals_kept(policy: FraudPolicy, rules: Catalogue) -> frozenset[str]:
    if policy.model is not None:  # a learned model reads every signal
        return frozenset(SIGNAL_FIELDS)
    read = {name for rule, settings in policy.rules.items() if settings.weight > 0 for name in rules[rule].reads}
    return frozenset(read & set(SIGNAL_FIELDS))


def observation_kept(observation: Observation, kept: frozenset[str]) -> Observation:
    """The observation as an item keeps it: the signals not in `kept` at their defaults."""
    if not kept:
        signals = _DEFAULT_SIGNALS
    else:
        signals = tuple(value if name in kept else _DEFAULTS[name]
                        for name, value in zip(SIGNAL_FIELDS, observation[_FIRST_SIGNAL:], strict=True))  # fmt: skip
    if signals == observation[_FIRST_SIGNAL:]:
        return observation
    return Observation._make(observation[:_FIRST_SIGNAL] + signals)


def as_stored(scored: ScoredTransaction) -> ScoredTransaction:
    """The scored transaction as a repository gives it back."""
    decision = scored.decision
    observation = observation_kept(decision.observation, signals_kept(decision.policy))
    if observation is decision.observation:
        return scored
    return attrs.evolve(scored, decision=attrs.evolve(decision, observation=observation))
