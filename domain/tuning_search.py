"""The search over a tally: per rule, one candidate setting and a weight in 0, 0.1, ..., 1, and the threshold that
maximises F1 for those weights (coordinate ascent from a few starts). A learned policy stays a readable weighted
rule list."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal

from attrs import frozen

from domain.policy import FraudPolicy
from domain.tuning_grid import Grid, offsets_of, own_candidate
from domain.tuning_metrics import Counts

WEIGHTS: tuple[Decimal, ...] = tuple(Decimal(n) / 10 for n in range(11))


@frozen
class Setting:
    """A point of the search: a candidate index and a weight per rule (policy order), and the threshold."""

    choice: tuple[int, ...]
    weights: tuple[Decimal, ...]
    threshold: Decimal

    def policy(self, grid: Grid, version: int) -> FraudPolicy:
        chosen = zip(grid.items(), self.choice, self.weights, strict=True)
        return FraudPolicy(version, self.threshold, {rule: options[i].at(w) for (rule, options), i, w in chosen})

    def pattern_of(self, offsets: Sequence[int], bits: int) -> int:
        """Which rules (bit i for rule i) trigger under this setting, for a signature."""
        return sum(1 << i for i, index in enumerate(self.choice) if bits >> (offsets[i] + index) & 1)

    def flags(self, pattern: int) -> bool:
        score = sum((w for i, w in enumerate(self.weights) if pattern >> i & 1), Decimal(0))
        return score > self.threshold


def setting_of(policy: FraudPolicy, grid: Grid) -> Setting:
    """The search point that reproduces `policy` exactly (its settings must be in the grid)."""
    choice = tuple(list(options).index(own_candidate(policy, rule)) for rule, options in grid.items())
    weights = tuple(policy.rules[rule].weight for rule in grid)
    return Setting(choice, weights, policy.threshold)


def counts(setting: Setting, offsets: Sequence[int], rows: Iterable[tuple[int, int, int]]) -> Counts:
    """The confusion matrix of `setting` over (signature, frauds, legits) rows."""
    tp = fp = fn = tn = 0
    for bits, frauds, legits in rows:
        if setting.flags(setting.pattern_of(offsets, bits)):
            tp, fp = tp + frauds, fp + legits
        else:
            fn, tn = fn + frauds, tn + legits
    return Counts(tp, fp, fn, tn)


class Search:
    """Coordinate ascent over (candidate, weight) per rule; the threshold is the best one for each weight vector."""

    def __init__(self, grid: Grid, rows: Iterable[tuple[int, int, int]]) -> None:
        self.grid = grid
        self.offsets = offsets_of(grid)
        self.rows = [row for row in rows if row[1] or row[2]]
        self.frauds = sum(row[1] for row in self.rows)
        self.options = {rule: self._distinct(rule, start) for rule, start in zip(grid, self.offsets, strict=True)}

    def _distinct(self, rule: str, start: int) -> tuple[int, ...]:
        """The first of each group of the rule's candidates that trigger on exactly the same rows: the others
        cannot score differently (without a merchant feed, every merchant candidate triggers nowhere)."""
        seen: dict[int, int] = {}
        for index in range(len(self.grid[rule])):
            rows = sum(1 << n for n, (bits, _, _) in enumerate(self.rows) if bits >> (start + index) & 1)
            seen.setdefault(rows, index)
        return tuple(sorted(seen.values()))

    def _patterns(self, choice: Sequence[int]) -> dict[int, list[int]]:
        """Pattern (bit i: rule i triggers under `choice`) -> [frauds, legits] over the rows."""
        positions = [offset + index for offset, index in zip(self.offsets, choice, strict=True)]
        patterns: dict[int, list[int]] = {}
        for bits, frauds, legits in self.rows:
            pattern = 0
            for i, position in enumerate(positions):
                if bits >> position & 1:
                    pattern |= 1 << i
            entry = patterns.setdefault(pattern, [0, 0])
            entry[0] += frauds
            entry[1] += legits
        return patterns

    def _around(self, choice: Sequence[int], i: int) -> dict[tuple[int, int], list[int]]:
        """The rows merged by (their pattern without rule i under `choice`, rule i's candidate bits): what
        `_patterns` needs for every candidate of rule i, in far fewer entries than rows."""
        others = [(j, offset + index) for j, (offset, index) in enumerate(zip(self.offsets, choice, strict=True))
                  if j != i]  # fmt: skip
        start, mask = self.offsets[i], (1 << len(self.grid[list(self.grid)[i]])) - 1
        merged: dict[tuple[int, int], list[int]] = {}
        for bits, frauds, legits in self.rows:
            rest = 0
            for j, position in others:
                if bits >> position & 1:
                    rest |= 1 << j
            entry = merged.setdefault((rest, bits >> start & mask), [0, 0])
            entry[0] += frauds
            entry[1] += legits
        return merged

    @staticmethod
    def _patterns_at(merged: Mapping[tuple[int, int], Sequence[int]], i: int, index: int) -> dict[int, list[int]]:
        """`_patterns` of the choice with candidate `index` for rule i, from `_around` of that choice."""
        patterns: dict[int, list[int]] = {}
        for (rest, own), (frauds, legits) in merged.items():
            entry = patterns.setdefault(rest | (own >> index & 1) << i, [0, 0])
            entry[0] += frauds
            entry[1] += legits
        return patterns

    def best_threshold(
        self, patterns: Mapping[int, Sequence[int]], weights: Sequence[Decimal]
    ) -> tuple[float, Decimal]:
        """(F1, threshold) of the best cut; flagging requires a positive score, so the threshold is >= 0."""
        by_score: dict[Decimal, list[int]] = {}
        for pattern, (frauds, legits) in patterns.items():
            score, rest = Decimal(0), pattern
            while rest:  # the set bits, lowest first: the weights summed in rule order
                low = rest & -rest
                score += weights[low.bit_length() - 1]
                rest ^= low
            entry = by_score.setdefault(score, [0, 0])
            entry[0] += frauds
            entry[1] += legits
        scores = sorted(by_score, reverse=True)
        best, threshold = 0.0, sum(weights, Decimal(0))
        tp = fp = 0
        for n, score in enumerate(scores):
            if score <= 0:
                break
            tp, fp = tp + by_score[score][0], fp + by_score[score][1]
            f1 = 2 * tp / (2 * tp + fp + self.frauds - tp) if tp else 0.0
            if f1 > best:
                lower = scores[n + 1] if n + 1 < len(scores) and scores[n + 1] > 0 else Decimal(0)
                best, threshold = f1, (score + lower) / 2
        return best, threshold

    def run(self, start: Setting, max_rounds: int = 6) -> tuple[float, Setting]:
        choice, weights = list(start.choice), list(start.weights)
        best, threshold = self.best_threshold(self._patterns(choice), weights)
        for _ in range(max_rounds):
            improved = False
            for i, rule in enumerate(self.grid):
                merged = self._around(choice, i)  # the other rules' choices stay while rule i's vary
                for index in self.options[rule]:
                    trial_choice = [*choice[:i], index, *choice[i + 1 :]]
                    patterns = self._patterns_at(merged, i, index)
                    for weight in WEIGHTS:
                        trial_weights = [*weights[:i], weight, *weights[i + 1 :]]
                        f1, cut = self.best_threshold(patterns, trial_weights)
                        if f1 > best + 1e-12:
                            best, threshold, improved = f1, cut, True
                            choice, weights = trial_choice, trial_weights
            if not improved:
                break
        # Switch off every rule the training labels do not need: a weight that no labelled transaction supports
        # would decide in production where the search never saw it decide (a rule that never triggered here, kept
        # at its starting weight, could flag on its own).
        patterns = self._patterns(choice)
        for i, weight in enumerate(weights):
            if weight:
                trial_weights = [*weights[:i], Decimal(0), *weights[i + 1 :]]
                f1, cut = self.best_threshold(patterns, trial_weights)
                if f1 >= best - 1e-12:
                    best, threshold, weights = f1, cut, trial_weights
        return best, Setting(tuple(choice), tuple(weights), threshold)


def starts(current: Setting) -> list[Setting]:
    """Where the ascent starts: the current policy, everything at half weight, and nothing switched on."""
    n = len(current.choice)
    return [
        current,
        Setting(current.choice, (Decimal("0.5"),) * n, Decimal("0.5")),
        Setting(current.choice, (Decimal(0),) * n, Decimal(0)),
    ]
