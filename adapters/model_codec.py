"""A TreeModel's stored shape, embedded in the policy file under "model", and its digest.

    {"format": 1, "features": ["amount", ...], "base": "0.0213",
     "trees": [{"feature": [0, -1, ...], "threshold": [250.5, -2.0, ...], "missing_left": [true, false, ...],
                "left": [1, -1, ...], "right": [2, -1, ...], "value": ["0.0412", "0.0", ...]}, ...]}

A model that reads `category_fraud_share` also holds its table, "categories": {"shares": {"grocery": "0.0041", ...},
"other": "0.0213"}; a model without one has no such key (so its digest is what it was before tables existed).

Node values and the base are written as decimal strings (a JSON number is read exactly too); thresholds are JSON
numbers (a float's shortest repr reads back as the same float). A malformed model is refused with the field that is
wrong (`model.trees[3].value[2]: must be a decimal string`). The digest (sha256 of the canonical JSON) names a model
where a transaction item keeps the model's identity instead of the model (adapters/items.py).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

from domain.contribution import Model
from domain.ensemble import FORMAT, CategoryShares, InvalidModel, Tree, TreeModel
from domain.features import by_name
from domain.policy import InvalidPolicy

T = TypeVar("T")
_MODEL_KEYS = frozenset(("format", "features", "base", "trees", "categories"))
_TABLE_KEYS = frozenset(("shares", "other"))


def model_to_data(model: Model) -> dict[str, Any]:
    """The model as JSON-ready data (Decimals as strings); TypeError for a model that is not a TreeModel."""
    if not isinstance(model, TreeModel):
        raise TypeError(f"only a TreeModel is stored, not a {type(model).__name__}")
    data = {
        "format": model.format,
        "features": list(model.features),
        "base": str(model.base),
        "trees": [
            {"feature": list(t.feature), "threshold": list(t.threshold), "missing_left": list(t.missing_left),
             "left": list(t.left), "right": list(t.right), "value": [str(v) for v in t.value]}
            for t in model.trees
        ],
    }  # fmt: skip
    if model.categories is not None:
        data["categories"] = {
            "shares": {category: str(share) for category, share in model.categories.shares},
            "other": str(model.categories.other),
        }
    return data


def model_digest(model: Model) -> str:
    """sha256 of the model's canonical JSON (sorted keys, no spaces): equal models, equal digests."""
    canonical = json.dumps(model_to_data(model), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def model_from_data(data: object, path: str = "model") -> TreeModel:
    """The model `data` holds, or InvalidPolicy naming the field (under `path`) that is wrong."""
    document = _mapping(data, path, _MODEL_KEYS)
    version = _int(document.get("format", FORMAT), f"{path}.format")
    if version != FORMAT:
        raise InvalidPolicy(f"{path}.format: {version} is not supported (this code reads format {FORMAT})")
    features = tuple(_list(document.get("features"), f"{path}.features", _feature))
    base = _decimal(document.get("base"), f"{path}.base")
    trees = tuple(
        _tree(t, f"{path}.trees[{i}]") for i, t in enumerate(_raw_list(document.get("trees"), path + ".trees"))
    )
    categories = _categories(document["categories"], f"{path}.categories") if "categories" in document else None
    try:
        return TreeModel(features, base, trees, version, categories)
    except InvalidModel as exc:
        raise InvalidPolicy(f"{path}: {exc}") from None


def _categories(data: object, path: str) -> CategoryShares:
    table = _mapping(data, path, _TABLE_KEYS)
    shares = table.get("shares")
    if not isinstance(shares, dict):
        raise InvalidPolicy(
            f"{path}.shares: must be an object" if shares is not None else f"{path}.shares: is required"
        )
    read = tuple(sorted((category, _decimal(value, f"{path}.shares.{category}")) for category, value in shares.items()))
    try:
        return CategoryShares(read, _decimal(table.get("other"), f"{path}.other"))
    except InvalidModel as exc:
        raise InvalidPolicy(f"{path}: {exc}") from None


def _tree(data: object, path: str) -> Tree:
    tree = _mapping(data, path, frozenset(_TREE_READERS))
    arrays = {name: tuple(_list(tree.get(name), f"{path}.{name}", read)) for name, read in _TREE_READERS.items()}
    try:
        return Tree(**arrays)
    except InvalidModel as exc:
        raise InvalidPolicy(f"{path}: {exc}") from None


def _mapping(data: object, path: str, keys: frozenset[str]) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise InvalidPolicy(f"{path}: must be an object")
    extra = sorted(set(data) - keys)
    if extra:
        raise InvalidPolicy(f"{path}.{extra[0]}: is not an allowed field")
    return data


def _raw_list(data: object, path: str) -> Sequence[object]:
    if not isinstance(data, list | tuple):
        raise InvalidPolicy(f"{path}: must be a list" if data is not None else f"{path}: is required")
    return data


def _list(data: object, path: str, read: Callable[[object, str], T]) -> list[T]:
    return [read(item, f"{path}[{i}]") for i, item in enumerate(_raw_list(data, path))]


def _str(value: object, path: str) -> str:
    if not isinstance(value, str):
        raise InvalidPolicy(f"{path}: must be a string")
    return value


def _feature(value: object, path: str) -> str:
    name = _str(value, path)
    try:
        by_name(name)
    except KeyError as exc:
        raise InvalidPolicy(f"{path}: {exc.args[0]}") from None
    return name


def _int(value: object, path: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | Decimal) or value != int(value):
        raise InvalidPolicy(f"{path}: must be an integer")
    return int(value)


def _bool(value: object, path: str) -> bool:
    if not isinstance(value, bool):
        raise InvalidPolicy(f"{path}: must be true or false")
    return value


def _float(value: object, path: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise InvalidPolicy(f"{path}: must be a number")
    return float(value)


def _decimal(value: object, path: str) -> Decimal:
    """A decimal string (or a number as a DynamoDB Number reads back: a Decimal)."""
    if not isinstance(value, str | Decimal) or isinstance(value, bool):
        raise InvalidPolicy(f"{path}: must be a decimal string" if value is not None else f"{path}: is required")
    try:
        return Decimal(value)
    except InvalidOperation:
        raise InvalidPolicy(f"{path}: must be a decimal string") from None


_TREE_READERS: dict[str, Callable[[object, str], Any]] = {
    "feature": _int,
    "threshold": _float,
    "missing_left": _bool,
    "left": _int,
    "right": _int,
    "value": _decimal,
}
"""Each node array of a tree, and how one of its items is read."""
