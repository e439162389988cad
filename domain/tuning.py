"""Learning a FraudPolicy from labelled history, cheaply: observe once, then search over counts.

Profiles evolve the same way whatever the policy, so each transaction is observed once (`Replay`). Every candidate
setting of every rule (from the rule catalogue's records) is then applied to the observation with the catalogue's
own predicates, and the answers are packed into a bit `signature`. History shrinks to a `Tally`: (split, week,
signature) -> [frauds, legits]; most transactions share a handful of signatures, so a Spark job can build the tally
at scale and the driver searches it.

The search picks, per rule, one candidate setting and a weight in 0, 0.1, ..., 1, and the threshold that maximises
F1 for those weights (coordinate ascent from a few starts). A learned policy stays a readable weighted rule list.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, cast

from attrs import asdict, evolve, field, frozen

from domain.catalogue import catalogue
from domain.merchant_risk import NO_MERCHANT_RISK, MerchantRisk
from domain.model import Transaction, TransactionKey
from domain.observation import Moment, Observation, observe
from domain.parameters import Weighted
from domain.policy import FraudPolicy
from domain.profile import CustomerProfile, apply_transaction
from domain.rule_spec import GridHints, RuleSpec, Variants


@frozen
class Counts:
    """A confusion matrix, with the rates the report gives."""

    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0

    @property
    def f1(self) -> Decimal:
        return ratio(2 * self.tp, 2 * self.tp + self.fp + self.fn)

    @property
    def precision(self) -> Decimal:
        return ratio(self.tp, self.tp + self.fp)

    @property
    def recall(self) -> Decimal:
        return ratio(self.tp, self.tp + self.fn)

    @property
    def fp_rate(self) -> Decimal:
        """Share of the labelled-legitimate transactions that were flagged."""
        return ratio(self.fp, self.fp + self.tn)

    @property
    def fn_rate(self) -> Decimal:
        """Share of the labelled-fraudulent transactions that were not flagged."""
        return ratio(self.fn, self.fn + self.tp)

    def __add__(self, other: Counts) -> Counts:
        return Counts(self.tp + other.tp, self.fp + other.fp, self.fn + other.fn, self.tn + other.tn)

    @classmethod
    def of(cls, pairs: Iterable[tuple[bool, bool]]) -> Counts:
        """From (flagged, labelled fraud) pairs."""
        counts = {(True, True): 0, (True, False): 0, (False, True): 0, (False, False): 0}
        for pair in pairs:
            counts[pair] += 1
        return cls(counts[True, True], counts[True, False], counts[False, True], counts[False, False])


def ratio(num: int, den: int) -> Decimal:
    """num / den to four places; 0 when there is nothing to divide by."""
    return (Decimal(num) / Decimal(den)).quantize(Decimal("0.0001")) if den else Decimal(0)


Tally = dict[tuple[bool, str, int], list[int]]
"""(in holdout, ISO week, signature) -> [frauds, legits]."""


@frozen
class Example:
    """One transaction as the rules saw it: its observation, and for each rule with variants, the observation at
    each of the rule's options (`views[rule][i]` for `variants.options[i]`)."""

    observation: Observation
    views: Mapping[str, tuple[Observation, ...]] = field(factory=dict)


class Replay:
    """Replays transactions in order, one profile per customer, observing each against the profile before it and
    against what `merchants` knew of its merchant on its day."""

    def __init__(self, merchants: MerchantRisk = NO_MERCHANT_RISK) -> None:
        self._profiles: dict[str, CustomerProfile] = {}
        self._seen: set[TransactionKey] = set()
        self._merchants = merchants
        self._varied = tuple((spec.name, spec.variants) for spec in catalogue() if spec.variants is not None)

    def observe(self, txn: Transaction) -> Example | None:
        """The example of `txn`, or None for a repeated transaction_id (the lake is at-least-once)."""
        if txn.key in self._seen:
            return None
        self._seen.add(txn.key)
        profile = self._profiles.get(txn.customer_id)
        base = observe(profile, txn)
        moment = Moment(profile, txn, self._merchants)
        views = {name: tuple(_view(base, variants, moment, option) for option in variants.options)
                 for name, variants in self._varied}  # fmt: skip
        # The flag only feeds the profile's risk label, which no rule reads: observations do not depend on policy.
        self._profiles[txn.customer_id] = apply_transaction(profile or CustomerProfile.open(txn), txn, flagged=False)
        return Example(base, views)


def _view(base: Observation, variants: Variants[Any], moment: Moment, option: Any) -> Observation:
    values = variants.measure(moment, option)
    if values == tuple(getattr(base, name) for name in variants.fields):
        return base
    changes: dict[str, Any] = dict(zip(variants.fields, values, strict=True))
    return base._replace(**changes)


def iso_week(moment: datetime) -> str:
    """The ISO week of an instant, in UTC."""
    year, week, _ = moment.astimezone(UTC).isocalendar()
    return f"{year}-W{week:02d}"


def holdout_start(first: datetime, last: datetime, fraction: float) -> datetime:
    """Transactions at or after this instant form the holdout: the last `fraction` of the labelled time span."""
    return last - timedelta(seconds=(last - first).total_seconds() * fraction)


def add_to_tally(tally: Tally, holdout: bool, week: str, bits: int, is_fraud: bool, count: int = 1) -> None:
    entry = tally.setdefault((holdout, week, bits), [0, 0])
    entry[0 if is_fraud else 1] += count


def rows_of(
    tally: Mapping[tuple[bool, str, int], Sequence[int]], holdout: bool | None = None
) -> list[tuple[int, int, int]]:
    """(signature, frauds, legits) over the weeks of one split (both when `holdout` is None)."""
    merged: dict[int, list[int]] = {}
    for (in_holdout, _, bits), (frauds, legits) in tally.items():
        if holdout is None or in_holdout == holdout:
            entry = merged.setdefault(bits, [0, 0])
            entry[0] += frauds
            entry[1] += legits
    return [(bits, frauds, legits) for bits, (frauds, legits) in sorted(merged.items())]


Grid = Mapping[str, Sequence["Candidate"]]
"""Candidates per rule, rules in policy order."""


@frozen
class Candidate:
    """One setting of one rule; `policy` has this rule at weight 1 with these parameters."""

    rule: str
    params: tuple[tuple[str, Any], ...]
    policy: FraudPolicy = field(eq=False, repr=False)
    setting: Weighted = field(eq=False, repr=False)
    """The rule's settings at weight 1."""
    predicate: Callable[[Any, Observation], bool] = field(eq=False, repr=False)
    option: int | None = field(eq=False, repr=False)
    """Which of the rule's variants (`Example.views`) it reads; None for the example's own observation."""

    def triggers(self, example: Example) -> bool:
        obs = example.observation if self.option is None else example.views[self.rule][self.option]
        return self.predicate(self.setting, obs)

    def at(self, weight: Decimal) -> Weighted:
        """The rule's settings with this candidate's parameters and `weight`."""
        settings: Weighted = evolve(cast(Any, self.setting), weight=weight)
        return settings


def candidate(rule: str, **params: Any) -> Candidate:
    spec = catalogue()[rule]
    setting = evolve(spec.parameters(), weight=Decimal(1), **params)
    policy = FraudPolicy().with_rules(**{rule: setting})
    return Candidate(rule, tuple(sorted(params.items())), policy, setting, spec.predicate, _option(spec, setting))


def _option(spec: RuleSpec[Any], setting: Weighted) -> int | None:
    if spec.variants is None:
        return None
    key, options = spec.variants.key(setting), spec.variants.options
    if key not in options:
        raise ValueError(f"{spec.name}: {key!r} is not one of the settings the replay observes, {options}")
    return options.index(key)


def candidate_grid(current: FraudPolicy, amount_limits: Iterable[Decimal] = ()) -> dict[str, tuple[Candidate, ...]]:
    """Every setting the search may pick, per rule of `current` (policy order), from each rule's record; the current
    policy's own settings are always among them. `amount_limits` are limits the history suggests."""
    hints = GridHints(tuple(amount_limits))
    rules = catalogue()
    grid: dict[str, tuple[Candidate, ...]] = {}
    for name, setting in current.rules.items():
        options = [candidate(name, **params) for params in rules[name].grid(setting, hints)]
        own = own_candidate(current, name)
        grid[name] = tuple(options if own in options else [*options, own])
    return grid


def own_candidate(policy: FraudPolicy, rule: str) -> Candidate:
    """The candidate of `policy`'s own setting of `rule` (ValueError if the replay cannot observe it)."""
    params = {name: value for name, value in asdict(policy.rules[rule], recurse=False).items() if name != "weight"}
    return candidate(rule, **params)


def signature(grid: Grid, example: Example) -> int:
    """Bit k is set when the k-th candidate of the grid (rules in policy order) triggers on `example`."""
    bits, position = 0, 0
    for options in grid.values():
        for option in options:
            if option.triggers(example):
                bits |= 1 << position
            position += 1
    return bits


def offsets_of(grid: Grid) -> tuple[int, ...]:
    """Where each rule's candidates start in a signature."""
    starts, position = [], 0
    for options in grid.values():
        starts.append(position)
        position += len(options)
    return tuple(starts)


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
        probe = Setting(tuple(choice), (), Decimal(0))
        patterns: dict[int, list[int]] = {}
        for bits, frauds, legits in self.rows:
            entry = patterns.setdefault(probe.pattern_of(self.offsets, bits), [0, 0])
            entry[0] += frauds
            entry[1] += legits
        return patterns

    def best_threshold(
        self, patterns: Mapping[int, Sequence[int]], weights: Sequence[Decimal]
    ) -> tuple[float, Decimal]:
        """(F1, threshold) of the best cut; flagging requires a positive score, so the threshold is >= 0."""
        by_score: dict[Decimal, list[int]] = {}
        for pattern, (frauds, legits) in patterns.items():
            score = sum((w for i, w in enumerate(weights) if pattern >> i & 1), Decimal(0))
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
                for index in self.options[rule]:
                    trial_choice = [*choice[:i], index, *choice[i + 1 :]]
                    patterns = self._patterns(trial_choice)
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


@frozen
class Trial:
    """A policy the choice considered, with its scores on the training part and on the held-out last part."""

    name: str
    setting: Setting
    train: Counts
    holdout: Counts


@frozen
class Outcome:
    policy: FraudPolicy
    before: Trial
    after: Trial
    trials: tuple[Trial, ...]


def tune(tally: Tally, grid: Grid, current: FraudPolicy) -> Outcome:
    """Search on the training part from each start; the held-out part chooses among the results and the current
    policy (equal held-out F1: the better training F1; a full tie: the current policy). Version: current + 1."""
    offsets = offsets_of(grid)
    train, holdout = rows_of(tally, holdout=False), rows_of(tally, holdout=True)
    search = Search(grid, train)
    now = setting_of(current, grid)
    found = [("current", now)] + [(f"search-{n}", search.run(start)[1]) for n, start in enumerate(starts(now), 1)]
    trials = tuple(Trial(name, s, counts(s, offsets, train), counts(s, offsets, holdout)) for name, s in found)
    best = trials[0]
    for trial in trials[1:]:
        if (trial.holdout.f1, trial.train.f1) > (best.holdout.f1, best.train.f1):
            best = trial
    policy = best.setting.policy(grid, current.version + 1)
    return Outcome(policy, trials[0], best, trials)
