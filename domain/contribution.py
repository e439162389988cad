"""What one source added to a decision's risk score (a NamedTuple: light to import, cheap to build).

Apart from `domain.ensemble`, with the `Model` a policy holds, so that scoring a rules-only policy never imports
the model's code: the processor's cold start pays for the ensemble only when a policy has a model.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, NamedTuple, Protocol

if TYPE_CHECKING:
    from domain.observation import Observation

BASELINE = "baseline"
"""The source of a model's baseline contribution (a feature's is its name)..."""
BASELINE_TEXT = "the model's baseline"
"""... and its text."""


class Contribution(NamedTuple):
    """What one source added to a risk score: a triggered rule (its name, reason and weight), a model's baseline,
    or a model's feature (its name, what it read and its points by the path taken). A decision's contributions sum
    to its risk score exactly."""

    source: str
    text: str
    points: Decimal


class Model(Protocol):
    """A learned score a policy may carry (`domain.ensemble.TreeModel`): exact, explained by its contributions,
    hashable (policies key caches)."""

    def __hash__(self) -> int: ...

    @property
    def features(self) -> tuple[str, ...]:
        """The names of the features it reads (`domain.features`)."""
        ...

    @property
    def max_score(self) -> Decimal:
        """An upper bound of `score`."""
        ...

    def score(self, obs: Observation) -> Decimal: ...

    def contributions(self, obs: Observation) -> tuple[Contribution, ...]:
        """What made `score(obs)`, summing to it exactly."""
        ...
