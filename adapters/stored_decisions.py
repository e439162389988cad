"""What a transaction item keeps of a decision's observation: the fields its policy reads.

The specification's fields (those before `merchant_category`) are always kept, as items always held them. Of the
signals (`domain.observation.SIGNAL_FIELDS`), an item keeps those an active rule reads, or all of them when the
policy has a learned model (its features read every signal); the others read back at their defaults. So the
specification's policy's items do not grow (tests/unit/test_item_sizes.py), and a learned model's decision still
reads back with everything its explanation needs. The in-memory fake keeps the same (adapters/memory.py), so both
repositories give the same answers.

When every signal is kept (a model policy), the item holds them as one string, SIGNALS, rather than one map entry
each under its name (the attribute's name included: 138 bytes instead of 271 at worst, 51 instead of 202 typically;
tests/unit/test_item_sizes.py): their values in SIGNAL_ORDER, separated by spaces, as their exact text (a bool as 1
or 0, a Decimal as its str, so it reads back with its exponent), the category left empty when it is the
transaction's own (always, as `observe` makes it; "-" for an empty one; a category that is not one word stays in
the map). Only the adapters read an item's observation: nothing else reads the table's observation fields (the
review queue reads decisions back through them; docs/analytics.md queries no observation field). An item without
SIGNALS (written before it, or by a rules-only policy) keeps its signals in the observation map, as before, and
reads back the same way.

    "signals": " 12 1250.40 1 3 9 48.00 310.55 1204.85 2 1 0 17 412"
"""

from __future__ import annotations

from decimal import Decimal
from functools import cache
from typing import Any

import attrs

from adapters.recorded_decisions import recorded
from domain.catalogue import catalogue
from domain.observation import SIGNAL_FIELDS, Observation
from domain.policy import FraudPolicy
from domain.ports import ScoredTransaction
from domain.rule_spec import Catalogue

_FIRST_SIGNAL = Observation._fields.index(SIGNAL_FIELDS[0])
_DEFAULTS = Observation._field_defaults
_DEFAULT_SIGNALS = tuple(_DEFAULTS[name] for name in SIGNAL_FIELDS)
SIGNALS = "signals"
SIGNAL_ORDER: tuple[str, ...] = (
    "merchant_category", "category_count", "category_total", "count_1h", "count_24h", "count_7d", "sum_1h",
    "sum_24h", "sum_7d", "recent_high", "recent_night", "merchant_seen", "night_count", "account_age_days", "min_24h",
    "recent_new", "previous_amount", "recent_new_1h",
)  # fmt: skip
"""SIGNALS' order. Data, never derived from the Observation: items already written are read back against it, so it
only grows at the end (tests/unit/test_stored_signals.py holds it equal to SIGNAL_FIELDS)."""
_CATEGORY, _NO_CATEGORY = "merchant_category", "-"
_PARSE: dict[type, Any] = {bool: lambda text: text == "1", int: int, Decimal: Decimal, str: str}


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
    """The scored transaction as a repository gives it back (a model policy's decision recorded without its model,
    adapters/recorded_decisions.py)."""
    decision = recorded(scored.decision)
    observation = observation_kept(decision.observation, signals_kept(scored.decision.policy))
    if observation is decision.observation:
        return scored if decision is scored.decision else attrs.evolve(scored, decision=decision)
    return attrs.evolve(scored, decision=attrs.evolve(decision, observation=observation))


def store_signals(observation: dict[str, Any], kept: frozenset[str], category: str) -> str | None:
    """Take the signals out of an item's `observation` map: those not `kept` are dropped; when all are kept, they
    are returned as SIGNALS' value (`category`: the transaction's), else the kept ones stay in the map."""
    if len(kept) < len(SIGNAL_FIELDS):
        for name in SIGNAL_FIELDS:
            if name not in kept:
                del observation[name]
        return None
    own = observation[_CATEGORY]
    if own != category and (" " in own or own == _NO_CATEGORY):  # not one word: the map keeps it (never by observe)
        return None
    values = [observation.pop(name) for name in SIGNAL_ORDER]
    values[0] = "" if values[0] == category else values[0] or _NO_CATEGORY
    return " ".join(("1" if v else "0") if isinstance(v, bool) else str(v) for v in values)


def read_signals(item: dict[str, Any]) -> dict[str, Any]:
    """`item` with SIGNALS' values put back into its observation map (itself without SIGNALS)."""
    text = item.get(SIGNALS)
    if not isinstance(text, str):
        return item
    words = zip(SIGNAL_ORDER, text.split(" "), strict=False)  # an older item's shorter list: the rest at defaults
    values = {name: _PARSE[type(_DEFAULTS[name])](word) for name, word in words}
    category = values[_CATEGORY]
    values[_CATEGORY] = item.get(_CATEGORY, "") if category == "" else "" if category == _NO_CATEGORY else category
    return {**item, "observation": {**item["observation"], **values}}
