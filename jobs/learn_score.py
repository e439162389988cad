"""The domain's score and points of an exported ensemble, read from feature rows instead of observations.

The weekly job's driver holds each labelled transaction as its feature row (`domain.features.vector`), not its
observation. `TreeModel.values(obs)` is that row's entries at the model's features, so walking the domain's own
`Tree.path` over them gives `TreeModel.walk_score(obs)` (equal to `TreeModel.score(obs)`, the processor's generated
code: tests/property hold them equal) and the points of `TreeModel.contributions(obs)` (tests/unit/test_learn_score.py
holds both equal on observations).
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from itertools import pairwise

from domain.ensemble import TreeModel
from domain.features import FEATURES

_ZERO = Decimal(0)
_INDEX = {feature.name: j for j, feature in enumerate(FEATURES)}


def model_values(model: TreeModel, row: Sequence[float | None]) -> list[float | None]:
    """A feature row's values at the model's features, in the model's order."""
    return [row[_INDEX[name]] for name in model.features]


def row_score(model: TreeModel, row: Sequence[float | None]) -> Decimal:
    """base + the leaf value each tree reaches, for the transaction whose feature row is `row`."""
    values = model_values(model, row)
    return model.base + sum((tree.value[tree.path(values)[-1]] for tree in model.trees), _ZERO)


def row_points(model: TreeModel, row: Sequence[float | None]) -> dict[str, Decimal]:
    """The non-zero points of each feature along the paths (the baseline left out), as `contributions` gives them."""
    values = model_values(model, row)
    points = [_ZERO] * len(model.features)
    for tree in model.trees:
        for parent, child in pairwise(tree.path(values)):
            points[tree.feature[parent]] += tree.value[child] - tree.value[parent]
    return {name: p for name, p in zip(model.features, points, strict=True) if p}
