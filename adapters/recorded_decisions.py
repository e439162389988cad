"""What a transaction item keeps of a decision whose policy has a learned model: which model (a short digest), not
the model (a model is tens of kilobytes; an item has a 400 KB limit and is billed per 1 KB written), and the model's
contributions as one string of code:points tokens (their texts are made again from the stored observation, which
keeps every signal for such a policy: adapters/stored_decisions.py). A decision of a rules-only policy adds nothing.

    "model": "AOjr8cgx_NXcUoAszRiVgg -6 0:20031 1:-1212 3:-5649 5:90 12:14253 13:315"

The first word is the digest: the first 16 bytes of the model's sha256 (adapters/model_codec.py) in unpadded
base64url, 22 characters. It only names which of the models this deployment published (a few hundred in a
retention period): two distinct models share it by chance with probability about n^2 / 2^129 (1.5e-33 for n = 1,000),
and forging a second model with the same 128-bit prefix takes about 2^128 hashes, while whoever can publish a
policy needs no forgery. Then one token per contribution, in the decision's order (the baseline first, then every
feature with non-zero points in the model's order): its source as an index into CODES (a source not in CODES is
written by its name), then `:` and its points as an integer of units of 10^exponent, the second word, which is the
baseline's exponent (a learned model's values are quantized, so every point has it: "0.000090" is "5:90" under
-6); a point of another exponent is written `=` and its exact text. Each reads back with its exponent, so its text
is the same. The attribute takes 229 bytes with every one of 20 features contributing (558 as a hex digest and
[source, points] pairs), 175 typically (490): tests/unit/test_item_sizes.py.

Items written before this shape hold `model_digest` (the 64-character hex sha256) and `model_points`
([source, points] pairs); they still read back (`with_model`). A decision read back has its policy without the
model, `model_digest` (the short digest, or the hex one of an older item), and the same contributions and reasons
(`domain.scoring.Decision.as_recorded`).
"""

from __future__ import annotations

import base64
import functools
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import attrs

from domain.scoring import Decision

if TYPE_CHECKING:
    from domain.contribution import Contribution, Model

MODEL = "model"
"""The attribute: the short digest, then the contributions' tokens."""
MODEL_DIGEST = "model_digest"
MODEL_POINTS = "model_points"
"""The attributes of items written before MODEL (read, never written)."""
_FIELDS = ("recorded", MODEL_DIGEST)
"""Decision's fields that an item holds as MODEL (or not at all)."""
DIGEST_BYTES = 16
CODES: tuple[str, ...] = (
    "baseline", "amount", "amount_vs_category", "amount_vs_mean", "count_1h", "count_24h", "count_7d",
    "sum_24h_vs_mean", "sum_7d_vs_mean", "hours_since_previous", "recent_high", "recent_night", "local_hour",
    "night_share", "category_seen", "merchant_seen", "account_age_days", "distance_miles", "speed_mph",
    "merchant_fraud_share", "merchant_frauds", "history_count", "category_fraud_share", "min_24h_vs_mean",
    "recent_new", "sum_1h_vs_mean", "previous_vs_mean", "recent_new_1h",
)  # fmt: skip
"""A contribution's source by its index. Data, never derived from domain.features: items already written are read
back against it, so it only grows at the end (a feature added to domain.features is appended here)."""
_CODE = {source: str(index) for index, source in enumerate(CODES)}


def short_digest(model: Model) -> str:
    """The first DIGEST_BYTES of the model's sha256, unpadded base64url (22 characters)."""
    from adapters.model_codec import model_digest  # imported with a model, not at every cold start

    head = bytes.fromhex(model_digest(model))[:DIGEST_BYTES]
    return base64.urlsafe_b64encode(head).decode().rstrip("=")


_digest = functools.lru_cache(maxsize=8)(short_digest)


def recorded(decision: Decision) -> Decision:
    """The decision as an item keeps it: recorded without its model (itself for a rules-only policy)."""
    model = decision.policy.model
    return decision if model is None else decision.as_recorded(_digest(model))


def model_text(digest: str, contributions: tuple[Contribution, ...]) -> str:
    """MODEL's value: the digest, the points' exponent (the baseline's), then a token per contribution."""
    exponent = contributions[0].points.as_tuple().exponent if contributions else 0
    scale = exponent if isinstance(exponent, int) else 0
    code = _CODE.get
    return " ".join((digest, str(scale), *(_token(code(c.source, c.source), c.points, scale) for c in contributions)))


def _token(source: str, points: Decimal, scale: int) -> str:
    """source:units (points = units x 10^scale, exactly, exponent included), else source=points' text."""
    if points.as_tuple().exponent == scale:
        return f"{source}:{points.scaleb(-scale)}"
    return f"{source}={points}"


def _points_of(token: str, scale: int) -> tuple[str, Decimal]:
    if "=" in token:
        source, text = token.rsplit("=", 1)
        points = Decimal(text)
    else:
        source, units = token.rsplit(":", 1)
        points = Decimal(units).scaleb(scale)
    return CODES[int(source)] if source.isdigit() else source, points


def decision_attributes(converter: Any, decision: Decision) -> dict[str, Any]:
    """The decision's attributes, by `converter`, with the model kept as MODEL."""
    kept = recorded(decision)
    attributes: dict[str, Any] = converter.unstructure(kept)
    for name in _FIELDS:
        del attributes[name]
    if kept.recorded is not None:
        attributes[MODEL] = model_text(str(kept.model_digest), kept.recorded)
    return attributes


def _points(item: dict[str, Any]) -> tuple[str, list[tuple[str, Decimal]]] | None:
    """The digest and the (source, points) pairs an item keeps, in either shape; None without a model."""
    text = item.get(MODEL)
    if isinstance(text, str):
        digest, scale, *tokens = text.split(" ")
        return digest, [_points_of(token, int(scale)) for token in tokens]
    points = item.get(MODEL_POINTS)
    if points is None:
        return None
    return str(item[MODEL_DIGEST]), [(str(source), Decimal(value)) for source, value in points]


def with_model(decision: Decision, item: dict[str, Any]) -> Decision:
    """`decision` (read from `item` without its model) with the model's digest and contributions the item keeps."""
    kept = _points(item)
    if kept is None:
        return decision
    from domain.ensemble import explained  # imported with a model, not at every cold start

    obs = decision.observation
    contributions = tuple(explained(source, points, obs) for source, points in kept[1])
    return attrs.evolve(decision, recorded=contributions, model_digest=kept[0])
