"""What a tuning report shows besides the scores: per-rule error rates, the frauds a setting misses, the trend."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from attrs import frozen

from domain.tuning_grid import Grid, offsets_of
from domain.tuning_metrics import Counts, ratio
from domain.tuning_search import Setting


@frozen
class RuleRates:
    rule: str
    weight: Decimal
    params: tuple[tuple[str, Any], ...]
    fp_rate: Decimal
    """Share of labelled-legitimate transactions on which the rule triggers."""
    fn_rate: Decimal
    """Share of labelled-fraudulent transactions on which it does not."""


def rule_rates(setting: Setting, grid: Grid, rows: Iterable[tuple[int, int, int]]) -> list[RuleRates]:
    offsets = offsets_of(grid)
    hits: list[Counts] = [Counts() for _ in grid]
    for bits, frauds, legits in rows:
        pattern = setting.pattern_of(offsets, bits)
        for i in range(len(grid)):
            on = bool(pattern >> i & 1)
            hits[i] = hits[i] + Counts(frauds * on, legits * on, frauds * (not on), legits * (not on))
    return [
        RuleRates(rule, setting.weights[i], grid[rule][setting.choice[i]].params, hits[i].fp_rate, hits[i].fn_rate)
        for i, rule in enumerate(grid)
    ]


def missed_patterns(
    setting: Setting, grid: Grid, rows: Iterable[tuple[int, int, int]], top: int = 5
) -> list[tuple[tuple[str, ...], int]]:
    """The commonest sets of rules (at the setting's parameters, any weight) seen on frauds the setting misses."""
    offsets = offsets_of(grid)
    missed: dict[tuple[str, ...], int] = {}
    for bits, frauds, _ in rows:
        pattern = setting.pattern_of(offsets, bits)
        if frauds and not setting.flags(pattern):
            names = tuple(rule for i, rule in enumerate(grid) if pattern >> i & 1)
            missed[names] = missed.get(names, 0) + frauds
    return sorted(missed.items(), key=lambda item: (-item[1], item[0]))[:top]


def weekly_fraud_rate(tally: Mapping[tuple[bool, str, int], Sequence[int]]) -> list[tuple[str, int, int, Decimal]]:
    """(ISO week, labelled, frauds, fraud rate) in week order."""
    weeks: dict[str, list[int]] = {}
    for (_, week, _), (frauds, legits) in tally.items():
        entry = weeks.setdefault(week, [0, 0])
        entry[0] += frauds
        entry[1] += legits
    return [(week, f + g, f, ratio(f, f + g)) for week, (f, g) in sorted(weeks.items())]
