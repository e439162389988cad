"""The candidate grid: every setting of every rule the search may pick, from the catalogue's records, and the bit
`signature` that records which candidates trigger on an example."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import Decimal
from operator import attrgetter
from typing import Any, cast

from attrs import asdict, evolve, field, frozen

from domain.catalogue import catalogue
from domain.observation import Observation
from domain.parameters import Weighted
from domain.policy import FraudPolicy
from domain.rule_spec import GridHints, RuleSpec
from domain.tuning_replay import Example

Grid = Mapping[str, Sequence["Candidate"]]
"""Candidates per rule, rules in policy order."""


@frozen
class Candidate:
    """One setting of one rule; `policy` has this rule at weight 1 with these parameters."""

    rule: str
    params: tuple[tuple[str, Any], ...]
    policy: FraudPolicy = field(eq=False, repr=False)
    setting: Weighted = field(eq=False, repr=False)
    """The rule's settings at weight 1."""
    predicate: Callable[[Any, Observation], bool] = field(eq=False, repr=False)
    option: int | None = field(eq=False, repr=False)
    """Which of the rule's variants (`Example.views`) it reads; None for the example's own observation."""

    def triggers(self, example: Example) -> bool:
        obs = example.observation if self.option is None else example.view(self.rule, self.option)
        return self.predicate(self.setting, obs)

    def at(self, weight: Decimal) -> Weighted:
        """The rule's settings with this candidate's parameters and `weight`."""
        settings: Weighted = evolve(cast(Any, self.setting), weight=weight)
        return settings


def candidate(rule: str, **params: Any) -> Candidate:
    spec = catalogue()[rule]
    setting = evolve(spec.parameters(), weight=Decimal(1), **params)
    policy = FraudPolicy().with_rules(**{rule: setting})
    return Candidate(rule, tuple(sorted(params.items())), policy, setting, spec.predicate, _option(spec, setting))


def _option(spec: RuleSpec[Any], setting: Weighted) -> int | None:
    if spec.variants is None:
        return None
    key, options = spec.variants.key(setting), spec.variants.options
    if key not in options:
        raise ValueError(f"{spec.name}: {key!r} is not one of the settings the replay observes, {options}")
    return options.index(key)


def candidate_grid(current: FraudPolicy, amount_limits: Iterable[Decimal] = ()) -> dict[str, tuple[Candidate, ...]]:
    """Every setting the search may pick, per rule of `current` (policy order), from each rule's record; the current
    policy's own settings are always among them. `amount_limits` are limits the history suggests."""
    hints = GridHints(tuple(amount_limits))
    rules = catalogue()
    grid: dict[str, tuple[Candidate, ...]] = {}
    for name, setting in current.rules.items():
        options = [candidate(name, **params) for params in rules[name].grid(setting, hints)]
        own = own_candidate(current, name)
        grid[name] = tuple(options if own in options else [*options, own])
    return grid


def own_candidate(policy: FraudPolicy, rule: str) -> Candidate:
    """The candidate of `policy`'s own setting of `rule` (ValueError if the replay cannot observe it)."""
    params = {name: value for name, value in asdict(policy.rules[rule], recurse=False).items() if name != "weight"}
    return candidate(rule, **params)


def signature(grid: Grid, example: Example) -> int:
    """Bit k is set when the k-th candidate of the grid (rules in policy order) triggers on `example`."""
    bits, position = 0, 0
    for options in grid.values():
        for option in options:
            if option.triggers(example):
                bits |= 1 << position
            position += 1
    return bits


MEMO_LIMIT = 1 << 16
"""Distinct field values a `Signer` group remembers before it starts again (bounds its memory)."""


class Signer:
    """`signature(grid, example)`, equal and faster. A rule's candidates that read the same observation (the
    example's, or one option's view) form a group; a group's bits depend only on the fields the rule reads
    (`RuleSpec.reads`: tests/property/test_catalogue_properties.py holds each predicate to it), so they are
    computed once per distinct value of those fields (equal values, equal answers: the predicates compare
    numbers, times and codes) and remembered (at most `limit` values per group)."""

    def __init__(self, grid: Grid, limit: int = MEMO_LIMIT) -> None:
        self._limit = limit
        self._groups: list[_Group] = []
        rules, position = catalogue(), 0
        for rule, options in grid.items():
            members: dict[int | None, list[tuple[int, Candidate]]] = {}
            for member in options:
                members.setdefault(member.option, []).append((position, member))
                position += 1
            spec = rules[rule]
            fixed = tuple(f for f in spec.reads if spec.variants is None or f not in spec.variants.fields)
            for option, group in members.items():
                self._groups.append(_Group(rule, option, _getter(fixed), tuple(group), {}))

    def __call__(self, example: Example) -> int:
        bits, observation, measured = 0, example.observation, example.measured
        for group in self._groups:  # `group.key(example)`, inline (the hot loop)
            option = group.option
            key = (
                group.fixed(observation)
                if option is None
                else (group.fixed(observation), measured[group.rule][1][option])
            )
            found = group.memo.get(key)
            if found is None:
                found = group.bits(example)
                if len(group.memo) >= self._limit:
                    group.memo.clear()
                group.memo[key] = found
            bits |= found
        return bits


def _getter(names: tuple[str, ...]) -> Callable[[Observation], Any]:
    if not names:
        return lambda _: ()
    get = attrgetter(*names)
    return get if len(names) > 1 else lambda obs: (get(obs),)


@frozen
class _Group:
    rule: str
    option: int | None
    fixed: Callable[[Observation], Any]
    """The fields the rule reads that no option changes."""
    members: tuple[tuple[int, Candidate], ...]
    memo: dict[Any, int]

    def key(self, example: Example) -> Any:
        if self.option is None:
            return self.fixed(example.observation)
        return self.fixed(example.observation), example.measured[self.rule][1][self.option]

    def bits(self, example: Example) -> int:
        """As `Candidate.triggers` for each member, on the group's one observation."""
        obs = example.observation if self.option is None else example.view(self.rule, self.option)
        bits = 0
        for position, candidate in self.members:
            if candidate.predicate(candidate.setting, obs):
                bits |= 1 << position
        return bits


def offsets_of(grid: Grid) -> tuple[int, ...]:
    """Where each rule's candidates start in a signature."""
    starts, position = [], 0
    for options in grid.values():
        starts.append(position)
        position += len(options)
    return tuple(starts)
