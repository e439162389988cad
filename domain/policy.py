"""FraudPolicy: every rule's settings and the decision threshold, as one versioned value.

A policy holds one settings value per rule of the catalogue (`domain.catalogue`), keyed by the rule's name, so
that a rule added to the catalogue needs nothing here. The default is exactly the specification's policy: its four
rules at 0.4, 0.3, 0.2 and 0.1, fraud above 0.8; the other rule families ship at weight 0 (disabled), so that a
learned policy (see `domain.tuning`) can switch them on without a code change. A policy may also carry a learned
`model` (`domain.contribution.Model`: a `domain.ensemble.TreeModel`) whose score adds to the triggered rules'
weights; the default has none.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from decimal import Decimal
from functools import cache
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import field, frozen

from domain.catalogue import catalogue
from domain.contribution import Model
from domain.parameters import (
    MERCHANT_LOOKBACK_DAYS,
    AmountRule,
    CategoryRule,
    InvalidPolicy,
    LargeAmountRule,
    LocationRule,
    MerchantRiskRule,
    TimeRule,
    TravelSpeedRule,
    VelocityRule,
    Weighted,
    as_written,
    check_non_negative,
    check_weight,
)
from domain.rule_spec import Catalogue

if TYPE_CHECKING:
    from domain.rule_spec import RuleSpec

__all__ = [  # the parameter classes are imported from here by most callers
    "MERCHANT_LOOKBACK_DAYS",
    "AmountRule",
    "CategoryRule",
    "FraudPolicy",
    "InvalidPolicy",
    "LargeAmountRule",
    "LocationRule",
    "MerchantRiskRule",
    "RuleSettings",
    "TimeRule",
    "TravelSpeedRule",
    "VelocityRule",
]

P = TypeVar("P", bound=Weighted)
DEFAULT_THRESHOLD = Decimal("0.8")
_NO_RULES: Mapping[str, Weighted] = {}


class RuleSettings(Mapping[str, Weighted]):
    """Each rule's settings by rule name, in catalogue order. Immutable and hashable (policies key caches)."""

    __slots__ = ("_hash", "_settings")

    def __init__(self, settings: Mapping[str, Weighted]) -> None:
        self._settings = dict(settings)
        self._hash = hash(tuple(self._settings.items()))

    def __getitem__(self, name: str) -> Weighted:
        return self._settings[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._settings)

    def __len__(self) -> int:
        return len(self._settings)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, RuleSettings):
            return self._settings == other._settings
        return NotImplemented

    def __hash__(self) -> int:
        return self._hash

    def __reduce__(self) -> tuple[type[RuleSettings], tuple[dict[str, Weighted]]]:
        return RuleSettings, (self._settings,)  # string hashes differ between processes: never pickle _hash

    def __repr__(self) -> str:
        return f"RuleSettings({self._settings!r})"


@frozen(init=False)
class FraudPolicy:
    """The rules' settings in evaluation order, and `is_fraud = risk_score > threshold`.

    `FraudPolicy(version, threshold, rules, **more)`: `rules` and the keywords give settings by rule name; every
    rule of the catalogue that is not given has its parameters' defaults. A rule's settings read as
    `policy[SPEC]` (typed), `policy.rules[name]`, or `policy.name` as before rules were keyed by name.
    """

    version: int = field(validator=check_non_negative)
    threshold: Decimal = field(validator=check_weight, eq=as_written)
    rules: RuleSettings
    model: Model | None = None
    """A learned score added to the triggered rules' weights (None: rules only, as the specification's policy)."""

    if TYPE_CHECKING:
        # What mypy sees. Its attrs plugin builds the signature of `attrs.evolve(policy, ...)` from __init__'s
        # parameters, so the specification's rule families are spelled out as keywords here, for the callers that
        # evolve them. At run time any rule of the catalogue is a keyword; a new rule needs no entry here.
        def __init__(
            self,
            version: int = 1,
            threshold: Decimal = DEFAULT_THRESHOLD,
            rules: Mapping[str, Weighted] = _NO_RULES,
            *,
            model: Model | None = None,
            velocity_check: VelocityRule | None = None,
            amount_anomaly: AmountRule | None = None,
            location_anomaly: LocationRule | None = None,
            time_anomaly: TimeRule | None = None,
            impossible_travel: TravelSpeedRule | None = None,
            category_deviation: CategoryRule | None = None,
            large_amount: LargeAmountRule | None = None,
            merchant_risk: MerchantRiskRule | None = None,
            **more: Weighted,
        ) -> None: ...
    else:

        def __init__(self, version=1, threshold=DEFAULT_THRESHOLD, rules=_NO_RULES, *, model=None, **more):
            self.__attrs_init__(version, threshold, _settings(catalogue(), {**rules, **more}), model)

    @classmethod
    def default(cls) -> FraudPolicy:
        """The specification's policy: velocity 0.4, amount 0.3, location 0.2, time 0.1, fraud above 0.8."""
        return cls()

    def __getitem__(self, spec: RuleSpec[P]) -> P:
        return cast(P, self.rules[spec.name])

    def __getattr__(self, name: str) -> Any:
        """`policy.velocity_check`: a rule's settings as an attribute."""
        if name.startswith("__") or name in {"rules", "model"}:  # not set yet (construction, unpickling)
            raise AttributeError(name)
        try:
            return self.rules[name]
        except KeyError:
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}") from None

    def with_rules(self, **settings: Weighted) -> FraudPolicy:
        """This policy with those rules' settings replaced (as `attrs.evolve`, for any rule)."""
        return FraudPolicy(self.version, self.threshold, {**self.rules, **settings}, model=self.model)

    @property
    def total_weight(self) -> Decimal:
        """The highest risk score possible: the rules' weights, plus the model's upper bound when there is one
        (`TreeModel.max_score`: its base and each tree's highest leaf, whether or not one transaction reaches them
        all, so it may overstate what the model can score, never understate it)."""
        rules = sum((settings.weight for settings in self.rules.values()), Decimal(0))
        return rules if self.model is None else rules + self.model.max_score

    @property
    def can_flag(self) -> bool:
        """Whether a transaction may be fraud: a risk score is at most the total weight, and fraud needs
        `risk_score > threshold`, so a threshold at or above the total weight flags nothing. (With a model the
        total weight is an upper bound: True means it may flag; False means it never can.)"""
        return self.threshold < self.total_weight


def _settings(rules: Catalogue, given: Mapping[str, Weighted | None]) -> RuleSettings:
    """Every rule of `rules` in order: the given settings (of the rule's parameters class) or its defaults."""
    unknown = [name for name in given if name not in rules]
    if unknown:
        raise InvalidPolicy(f"no rule named {unknown[0]!r} in the catalogue ({', '.join(rules.names)})")
    defaults = _defaults(rules)
    settings: dict[str, Weighted] = {}
    for spec in rules:
        value = given.get(spec.name)
        if value is None:
            value = defaults[spec.name]
        elif not isinstance(value, spec.parameters):
            raise InvalidPolicy(f"{spec.name} must be a {spec.parameters.__name__}, got {value!r}")
        settings[spec.name] = value
    return RuleSettings(settings)


@cache
def _defaults(rules: Catalogue) -> dict[str, Weighted]:
    return {spec.name: spec.parameters() for spec in rules}
