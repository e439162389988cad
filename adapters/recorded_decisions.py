"""What a transaction item keeps of a decision whose policy has a learned model: the model's digest, not the model
(a model is tens of kilobytes; an item has a 400 KB limit and is billed per 1 KB written), and the model's
contributions as [source, points] pairs (their texts are made again from the stored observation, which keeps every
signal for such a policy: adapters/stored_decisions.py). A decision of a rules-only policy adds nothing.

    "model_digest": "3f1c...e9" (sha256, adapters/model_codec.py)
    "model_points": [["baseline", 0.0213], ["amount_vs_category", 0.31], ["count_24h", -0.02], ...]

A decision read back has its policy without the model, `model_digest`, and the same contributions and reasons
(`domain.scoring.Decision.as_recorded`).
"""

from __future__ import annotations

import functools
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import attrs

from domain.scoring import Decision

if TYPE_CHECKING:
    from domain.contribution import Model

MODEL_DIGEST = "model_digest"
MODEL_POINTS = "model_points"
_FIELDS = ("recorded", MODEL_DIGEST)
"""Decision's fields that an item holds as MODEL_DIGEST and MODEL_POINTS (or not at all)."""


@functools.lru_cache(maxsize=8)
def _digest(model: Model) -> str:
    from adapters.model_codec import model_digest  # imported with a model, not at every cold start

    return model_digest(model)


def recorded(decision: Decision) -> Decision:
    """The decision as an item keeps it: recorded without its model (itself for a rules-only policy)."""
    model = decision.policy.model
    return decision if model is None else decision.as_recorded(_digest(model))


def decision_attributes(converter: Any, decision: Decision) -> dict[str, Any]:
    """The decision's attributes, by `converter`, with the model kept as MODEL_DIGEST and MODEL_POINTS."""
    kept = recorded(decision)
    attributes: dict[str, Any] = converter.unstructure(kept)
    for name in _FIELDS:
        del attributes[name]
    if kept.recorded is not None:
        attributes[MODEL_DIGEST] = kept.model_digest
        attributes[MODEL_POINTS] = [[c.source, c.points] for c in kept.recorded]
    return attributes


def with_model(decision: Decision, item: dict[str, Any]) -> Decision:
    """`decision` (read from `item` without its model) with the model's digest and contributions the item keeps."""
    points = item.get(MODEL_POINTS)
    if points is None:
        return decision
    from domain.ensemble import explained  # imported with a model, not at every cold start

    obs = decision.observation
    contributions = tuple(explained(str(source), Decimal(value), obs) for source, value in points)
    return attrs.evolve(decision, recorded=contributions, model_digest=str(item[MODEL_DIGEST]))
