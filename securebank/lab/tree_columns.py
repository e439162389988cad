"""A tree model (`domain.ensemble.TreeModel`) scored over columns of floats with numpy, exactly as the domain sums it.

`tree_units(model, columns, at)` is, per row, `base + the value of the leaf each tree reaches`, as an integer of
units of 10**at: the domain's Decimal sum, exact (every value is a whole number of those units when `at` is at most
each one's exponent, and a sum that could reach 2**63 units is refused). A column holds one feature's values as
float64, NaN where the domain's value is None (missing).

How, in a few passes over small integers per tree (numpy's `where` and fancy indexing are the slow operations here,
so each is avoided or shared):
- each split is one comparison of the float column: `value <= threshold` goes left, and a missing value (NaN)
  goes where `missing_left` says, as the domain's generated code does (`not value > threshold` when it goes left);
- the leaf reached is a slot (its position among the tree's leaves), chosen bottom-up by arithmetic on unsigned
  integers, `right + goes_left * (left - right)` (modulo 2**bits, exact for slots below it), not `np.where`;
- a few consecutive trees share one table: the slots of a group of trees form one index into the sums of their
  leaves' units, so each group costs one gather and one addition in int64.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping
from decimal import Decimal

import numpy as np
from attrs import frozen

from domain.ensemble import LEAF, Tree, TreeModel

_INT64_LIMIT = 2**63
_GROUP_LIMIT = 4096
"""At most this many leaf combinations per group of trees (its table of sums: 32 KB of int64)."""
Slots = np.ndarray | np.unsignedinteger


def _exponent(value: Decimal) -> int:
    return int(value.as_tuple().exponent)


def _units(value: Decimal, at: int) -> int:
    if _exponent(value) < at:
        raise ValueError(f"{value} is not a whole number of units of 10**{at}")
    return int(value.scaleb(-at))


def _kind(count: int) -> type[np.unsignedinteger]:
    """The smallest unsigned integer type that holds `count` slots."""
    for kind in (np.uint8, np.uint16, np.uint32):
        if count <= np.iinfo(kind).max + 1:
            return kind
    return np.uint64


def leaf_nodes(tree: Tree) -> tuple[int, ...]:
    """The tree's leaves in slot order (node order)."""
    return tuple(node for node, left in enumerate(tree.left) if left == LEAF)


def _reached(tree: Tree, column: list[np.ndarray], slot: dict[int, Slots], node: int = 0) -> Slots:
    """Per row, the slot of the leaf reached from `node`: a scalar when it is a leaf."""
    if node in slot:
        return slot[node]
    left = _reached(tree, column, slot, tree.left[node])
    right = _reached(tree, column, slot, tree.right[node])
    values, threshold = column[tree.feature[node]], tree.threshold[node]
    if tree.missing_left[node]:  # goes right only when value > threshold (NaN compares False: left)
        return left + (values > threshold).view(np.uint8) * _minus(right, left)
    return right + (values <= threshold).view(np.uint8) * _minus(left, right)


def _minus(a: Slots, b: Slots) -> Slots:
    """a - b modulo 2**bits of their type (arrays wrap silently; two scalars are wrapped here)."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return a - b
    kind = type(a)
    return kind((int(a) - int(b)) % (int(np.iinfo(kind).max) + 1))


def leaf_slots(model: TreeModel, columns: Mapping[str, np.ndarray]) -> Iterator[np.ndarray]:
    """Per tree, in order, the slot (position in `leaf_nodes(tree)`) of the leaf each row reaches."""
    column = [np.asarray(columns[name], dtype=np.float64) for name in model.features]
    rows = len(column[0]) if column else 0
    if any(len(c) != rows for c in column):
        raise ValueError(f"the columns must have one length: {[len(c) for c in column]}")
    for tree in model.trees:
        leaves = leaf_nodes(tree)
        kind = _kind(len(leaves))
        slot: dict[int, Slots] = {node: kind(i) for i, node in enumerate(leaves)}
        yield np.broadcast_to(np.asarray(_reached(tree, column, slot), dtype=kind), (rows,))


@frozen(eq=False)
class _Group:
    """Consecutive trees whose slots form one index (`index = ((s0 * n1) + s1) * n2 + s2 ...`) into `sums`,
    the sum of their leaves' units for each combination."""

    trees: range
    counts: tuple[int, ...]
    sums: np.ndarray


def _group(model: TreeModel, trees: range, at: int) -> _Group:
    sums = np.zeros(1, dtype=np.int64)
    counts = []
    for t in trees:
        tree = model.trees[t]
        units = np.array([_units(tree.value[n], at) for n in leaf_nodes(tree)], dtype=np.int64)
        sums = np.add.outer(sums, units).ravel()
        counts.append(len(units))
    return _Group(trees, tuple(counts), sums)


@functools.lru_cache(maxsize=8)
def _groups(model: TreeModel, at: int) -> tuple[_Group, ...]:
    groups, start, size = [], 0, 1
    for t, tree in enumerate(model.trees):
        leaves = len(leaf_nodes(tree))
        if t > start and size * leaves > _GROUP_LIMIT:
            groups.append(_group(model, range(start, t), at))
            start, size = t, 1
        size *= leaves
    if start < len(model.trees):
        groups.append(_group(model, range(start, len(model.trees)), at))
    bound = abs(_units(model.base, at)) + sum(int(np.abs(g.sums).max()) for g in groups)
    if bound >= _INT64_LIMIT:
        raise OverflowError(f"the model's sums could reach 2**63 units of 10**{at}")
    return tuple(groups)


def tree_units(model: TreeModel, columns: Mapping[str, np.ndarray], at: int) -> np.ndarray:
    """Per row, `model.base + the value of the leaf each tree reaches`, in int64 units of 10**at: exactly the
    domain's Decimal sum (`TreeModel.score`). `columns` maps each of `model.features` to float64 values (NaN:
    missing), all of one length; `at` must be at most the exponent of the base and of every leaf value (else
    ValueError), and a model whose sums could reach 2**63 units raises OverflowError."""
    groups = _groups(model, at)
    rows = len(columns[model.features[0]]) if model.features else 0
    total = np.full(rows, _units(model.base, at), dtype=np.int64)
    slots = leaf_slots(model, columns)
    for group in groups:
        kind = _kind(len(group.sums))
        index: np.ndarray | None = None
        for count in group.counts:
            slot = next(slots).astype(kind, copy=False)
            index = slot if index is None else index * kind(count) + slot
        total += group.sums[index]
    return total
