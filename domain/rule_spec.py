"""What a rule is, as one record: `RuleSpec`. A `Catalogue` is the rules in evaluation order.

Everything that used to be kept in step by hand (the scoring function, the predicate, the reason text, the tuning
grid, the policy's field) is a field of the one record, so scoring, explanations, the tuning grid and the
stored-policy codec all read the same table (`domain.catalogue`).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping, Sequence
from decimal import Decimal
from itertools import product
from string import Formatter
from typing import Any, Generic, TypeVar

import attrs
from attrs import Factory, field, frozen

from domain.observation import Moment, Observation, Value
from domain.parameters import Weighted

P = TypeVar("P", bound=Weighted)
EXPLAINED_BY = frozenset({"observed", "threshold", "context"})
"""What a reason template may name."""


@frozen
class GridHints:
    """Candidate values the history suggests, for rules whose good values depend on the data."""

    amount_limits: tuple[Decimal, ...] = ()


Grid = Callable[[Any, GridHints], Iterable[Mapping[str, Any]]]
"""(the current setting of the rule, hints) -> the parameter sets (weight aside) the tuner may pick."""


def axes(**values: Sequence[Any]) -> Grid:
    """A grid of every combination of the given values, the first parameter varying slowest."""
    names = tuple(values)

    def grid(_current: object, _hints: GridHints) -> Iterator[dict[str, Any]]:
        return (dict(zip(names, combination, strict=True)) for combination in product(*values.values()))

    return grid


@frozen
class Variants(Generic[P]):
    """Observation `fields` whose value depends on the rule's own parameters (a window). The scorer observes them
    at the policy's setting; the tuner's replay measures them once per option, so that its candidates may differ in
    them: `key` says which option a setting needs, `measure` gives the fields' values for one option."""

    fields: tuple[str, ...]
    key: Callable[[P], Hashable]
    options: tuple[Hashable, ...]
    measure: Callable[[Moment, Any], tuple[Value, ...]]


def no_context(_: object, __: Observation) -> str:
    return ""


@frozen
class RuleSpec(Generic[P]):
    """One fraud rule, whole.

    - `parameters`: the attrs class of its settings (a `weight` and the rule's own thresholds, with defaults);
    - `predicate(settings, observation) -> bool`: a plain function, called once per transaction per active rule;
    - `reads`: the Observation fields the predicate reads;
    - `observed`, `threshold`, `context`: what a decision reports of it, and `reason`, the template of its
      explanation over those three (`{observed}`, `{threshold}`, `{context}`);
    - `grid`: the settings the tuner may choose from; `variants`: observation fields its parameters shape.
    """

    name: str
    parameters: type[P]
    predicate: Callable[[P, Observation], bool]
    reads: tuple[str, ...]
    observed: Callable[[P, Observation], Value]
    threshold: Callable[[P, Observation], Value]
    reason: str
    grid: Grid
    context: Callable[[P, Observation], str] = no_context
    variants: Variants[P] | None = None

    def __attrs_post_init__(self) -> None:
        """Checked when the record is made (not by `assert`, which `python -O` strips)."""
        if not attrs.has(self.parameters) or "weight" not in attrs.fields_dict(self.parameters):
            raise TypeError(f"{self.name}: parameters must be an attrs class with a weight")
        unknown = set(self.reads) - set(Observation._fields)
        if unknown:
            raise ValueError(f"{self.name}: reads {sorted(unknown)}, which Observation does not have")
        if self.variants is not None and not set(self.variants.fields) <= set(self.reads):
            raise ValueError(f"{self.name}: its variant fields must be among the fields it reads")
        named = {name for _, name, _, _ in Formatter().parse(self.reason) if name is not None}
        if not named <= EXPLAINED_BY:
            raise ValueError(f"{self.name}: a reason may name only {sorted(EXPLAINED_BY)}, not {sorted(named)}")

    def explain(self, observed: Value, threshold: Value, context: str) -> str:
        return self.reason.format(observed=observed, threshold=threshold, context=context)


def _index(catalogue: Catalogue) -> dict[str, RuleSpec[Any]]:
    by_name = {spec.name: spec for spec in catalogue.specs}
    if len(by_name) != len(catalogue.specs):
        raise ValueError(f"rule names must be unique: {[spec.name for spec in catalogue.specs]}")
    return by_name


@frozen
class Catalogue:
    """The fraud rules in evaluation order (which is also the order of a policy's rules and of its JSON)."""

    specs: tuple[RuleSpec[Any], ...]
    _by_name: dict[str, RuleSpec[Any]] = field(
        init=False, default=Factory(_index, takes_self=True), eq=False, repr=False
    )

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self._by_name)

    def __getitem__(self, name: str) -> RuleSpec[Any]:
        try:
            return self._by_name[name]
        except KeyError:
            raise KeyError(f"no rule named {name!r} in the catalogue ({', '.join(self._by_name)})") from None

    def __contains__(self, name: object) -> bool:
        return name in self._by_name

    def __iter__(self) -> Iterator[RuleSpec[Any]]:
        return iter(self.specs)

    def __len__(self) -> int:
        return len(self.specs)

    def extended(self, *specs: RuleSpec[Any]) -> Catalogue:
        """This catalogue with `specs` added after its own rules."""
        return Catalogue((*self.specs, *specs))
