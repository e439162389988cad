"""Learning a FraudPolicy from labelled history, cheaply: observe once, then search over counts.

Profiles evolve the same way whatever the policy, so each transaction is observed once (`Replay`). Every candidate
setting of every rule is then applied to the observation with the domain's own rule functions, and the answers are
packed into a bit `signature`. History shrinks to a `Tally`: (split, week, signature) -> [frauds, legits]; most
transactions share a handful of signatures, so a Spark job can build the tally at scale and the driver searches it.

The search picks, per rule, one candidate setting and a weight in 0, 0.1, ..., 1, and the threshold that maximises
F1 for those weights (coordinate ascent from a few starts). A learned policy stays a readable weighted rule list.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from attrs import asdict, evolve, field, frozen

from domain.merchant_risk import NO_MERCHANT_RISK, MerchantRisk, utc_day
from domain.model import Transaction, TransactionKey
from domain.policy import RULE_NAMES, FraudPolicy
from domain.profile import CustomerProfile, apply_transaction
from domain.rules import PREDICATES, Observation, observe

WEIGHTS: tuple[Decimal, ...] = tuple(Decimal(n) / 10 for n in range(11))
VELOCITY_WINDOWS: tuple[int, ...] = (3600, 6 * 3600, 24 * 3600)
MERCHANT_WINDOWS: tuple[tuple[int, int], ...] = tuple((w, lag) for w in (3, 5, 7, 14) for lag in (0, 3, 7, 14))
"""(window_days, lag_days) of the merchant rule the search may pick."""
Tally = dict[tuple[bool, str, int], list[int]]
"""(in holdout, ISO week, signature) -> [frauds, legits]."""


@frozen
class Example:
    """One transaction as the rules saw it: its observation, its velocity count per VELOCITY_WINDOWS and its
    merchant's (known frauds, transactions) per MERCHANT_WINDOWS."""

    observation: Observation
    velocity: tuple[int, ...]
    merchant: tuple[tuple[int, int], ...] = ((0, 0),) * len(MERCHANT_WINDOWS)


class Replay:
    """Replays transactions in order, one profile per customer, observing each against the profile before it and
    against what `merchants` knew of its merchant on its day."""

    def __init__(self, merchants: MerchantRisk = NO_MERCHANT_RISK) -> None:
        self._profiles: dict[str, CustomerProfile] = {}
        self._seen: set[TransactionKey] = set()
        self._merchants = merchants

    def observe(self, txn: Transaction) -> Example | None:
        """The example of `txn`, or None for a repeated transaction_id (the lake is at-least-once)."""
        if txn.key in self._seen:
            return None
        self._seen.add(txn.key)
        profile = self._profiles.get(txn.customer_id)
        velocity = tuple(observe(profile, txn, window).velocity_count for window in VELOCITY_WINDOWS)
        if self._merchants:
            day = utc_day(txn.timestamp)
            merchant = tuple(self._merchants.counts(txn.merchant_id, day, w, lag) for w, lag in MERCHANT_WINDOWS)
            example = Example(observe(profile, txn, VELOCITY_WINDOWS[0]), velocity, merchant)
        else:
            example = Example(observe(profile, txn, VELOCITY_WINDOWS[0]), velocity)
        # The flag only feeds the profile's risk label, which no rule reads: observations do not depend on policy.
        self._profiles[txn.customer_id] = apply_transaction(profile or CustomerProfile.open(txn), txn, flagged=False)
        return example


@frozen
class Candidate:
    """One setting of one rule; `policy` has this rule at weight 1 with these parameters."""

    rule: str
    params: tuple[tuple[str, Any], ...]
    policy: FraudPolicy = field(eq=False, repr=False)

    def triggers(self, example: Example) -> bool:
        obs = example.observation
        setting = getattr(self.policy, self.rule)
        if self.rule == "velocity_check":
            obs = obs._replace(velocity_count=example.velocity[VELOCITY_WINDOWS.index(setting.window_seconds)])
        elif self.rule == "merchant_risk":
            frauds, transactions = example.merchant[MERCHANT_WINDOWS.index((setting.window_days, setting.lag_days))]
            obs = obs._replace(merchant_frauds=frauds, merchant_transactions=transactions)
        return PREDICATES[self.rule](setting, obs)

    def configure(self, policy: FraudPolicy, weight: Decimal) -> FraudPolicy:
        rule = evolve(getattr(policy, self.rule), weight=weight, **dict(self.params))
        return evolve(policy, **{self.rule: rule})


def candidate(rule: str, **params: Any) -> Candidate:
    policy = FraudPolicy()
    setting = evolve(getattr(policy, rule), weight=Decimal(1), **params)
    return Candidate(rule, tuple(sorted(params.items())), evolve(policy, **{rule: setting}))


def candidate_grid(current: FraudPolicy, amount_limits: Iterable[Decimal] = ()) -> dict[str, tuple[Candidate, ...]]:
    """Every setting the search may pick, per rule; the current policy's own settings are always among them."""
    hours = ((6, 22), (7, 21), (8, 20), (5, 23), (7, 23), (9, 18))
    limits = sorted({*(Decimal(n) for n in (100, 200, 250, 300, 500, 1000, 2500, 5000, 10000)), *amount_limits})
    grid = {
        "velocity_check": [candidate("velocity_check", window_seconds=w, max_count=n)
                           for w in VELOCITY_WINDOWS for n in (2, 3, 4, 5, 6, 8, 10)],
        "amount_anomaly": [candidate("amount_anomaly", multiplier=Decimal(m), min_history=h)
                           for m in ("1.5", "2", "2.5", "3", "4", "5") for h in (1, 3, 5, 10)],
        "location_anomaly": [candidate("location_anomaly", max_distance_miles=Decimal(d))
                             for d in (25, 50, 100, 200, 300, 500, 1000)],
        "time_anomaly": [candidate("time_anomaly", day_start=time(a), day_end=time(b)) for a, b in hours],
        "impossible_travel": [candidate("impossible_travel", max_speed_mph=Decimal(s), min_distance_miles=Decimal(d))
                              for s in (60, 150, 300, 600) for d in (20, 100)],
        "category_deviation": [candidate("category_deviation", min_history=h) for h in (3, 5, 10, 20, 50)],
        "large_amount": [candidate("large_amount", limit=limit, currency=current.large_amount.currency)
                         for limit in limits],
        "merchant_risk": [candidate("merchant_risk", window_days=w, lag_days=lag, min_frauds=n, min_share=Decimal(s))
                          for w, lag in MERCHANT_WINDOWS for n in (1, 2, 3) for s in ("0", "0.5", "0.7", "0.9")],
    }  # fmt: skip
    for rule in RULE_NAMES:
        own = _own_candidate(current, rule)
        if own not in grid[rule]:
            grid[rule].append(own)
    return {rule: tuple(grid[rule]) for rule in RULE_NAMES}


def _own_candidate(policy: FraudPolicy, rule: str) -> Candidate:
    setting = getattr(policy, rule)
    params = {name: value for name, value in asdict(setting, recurse=False).items() if name != "weight"}
    if rule == "velocity_check" and setting.window_seconds not in VELOCITY_WINDOWS:
        raise ValueError(f"velocity window {setting.window_seconds}s is not one of {VELOCITY_WINDOWS}")
    if rule == "merchant_risk" and (setting.window_days, setting.lag_days) not in MERCHANT_WINDOWS:
        raise ValueError(
            f"merchant (window, lag) days {setting.window_days, setting.lag_days} not in {MERCHANT_WINDOWS}"
        )
    return candidate(rule, **params)


def signature(grid: Mapping[str, Sequence[Candidate]], example: Example) -> int:
    """Bit k is set when the k-th candidate of the grid (rules in policy order) triggers on `example`."""
    bits, position = 0, 0
    for rule in RULE_NAMES:
        for option in grid[rule]:
            if option.triggers(example):
                bits |= 1 << position
            position += 1
    return bits


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


@frozen
class Counts:
    """A confusion matrix, with the rates the report gives."""

    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0

    @property
    def f1(self) -> Decimal:
        return _ratio(2 * self.tp, 2 * self.tp + self.fp + self.fn)

    @property
    def precision(self) -> Decimal:
        return _ratio(self.tp, self.tp + self.fp)

    @property
    def recall(self) -> Decimal:
        return _ratio(self.tp, self.tp + self.fn)

    @property
    def fp_rate(self) -> Decimal:
        """Share of the labelled-legitimate transactions that were flagged."""
        return _ratio(self.fp, self.fp + self.tn)

    @property
    def fn_rate(self) -> Decimal:
        """Share of the labelled-fraudulent transactions that were not flagged."""
        return _ratio(self.fn, self.fn + self.tp)

    def __add__(self, other: Counts) -> Counts:
        return Counts(self.tp + other.tp, self.fp + other.fp, self.fn + other.fn, self.tn + other.tn)

    @classmethod
    def of(cls, pairs: Iterable[tuple[bool, bool]]) -> Counts:
        """From (flagged, labelled fraud) pairs."""
        counts = {(True, True): 0, (True, False): 0, (False, True): 0, (False, False): 0}
        for pair in pairs:
            counts[pair] += 1
        return cls(counts[True, True], counts[True, False], counts[False, True], counts[False, False])


def _ratio(num: int, den: int) -> Decimal:
    return (Decimal(num) / Decimal(den)).quantize(Decimal("0.0001")) if den else Decimal(0)


@frozen
class Setting:
    """A point of the search: a candidate index and a weight per rule (policy order), and the threshold."""

    choice: tuple[int, ...]
    weights: tuple[Decimal, ...]
    threshold: Decimal

    def policy(self, grid: Mapping[str, Sequence[Candidate]], version: int) -> FraudPolicy:
        policy = FraudPolicy(version=version, threshold=self.threshold)
        for rule, index, weight in zip(RULE_NAMES, self.choice, self.weights, strict=True):
            policy = grid[rule][index].configure(policy, weight)
        return policy

    def pattern_of(self, offsets: Sequence[int], bits: int) -> int:
        """Which rules (bit i for rule i) trigger under this setting, for a signature."""
        return sum(1 << i for i, index in enumerate(self.choice) if bits >> (offsets[i] + index) & 1)

    def flags(self, pattern: int) -> bool:
        score = sum((w for i, w in enumerate(self.weights) if pattern >> i & 1), Decimal(0))
        return score > self.threshold


def setting_of(policy: FraudPolicy, grid: Mapping[str, Sequence[Candidate]]) -> Setting:
    """The search point that reproduces `policy` exactly (its settings must be in the grid)."""
    choice = tuple(grid[rule].index(_own_candidate(policy, rule)) for rule in RULE_NAMES)
    weights = tuple(getattr(policy, rule).weight for rule in RULE_NAMES)
    return Setting(choice, weights, policy.threshold)


def offsets_of(grid: Mapping[str, Sequence[Candidate]]) -> tuple[int, ...]:
    starts, position = [], 0
    for rule in RULE_NAMES:
        starts.append(position)
        position += len(grid[rule])
    return tuple(starts)


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

    def __init__(self, grid: Mapping[str, Sequence[Candidate]], rows: Iterable[tuple[int, int, int]]) -> None:
        self.grid = grid
        self.offsets = offsets_of(grid)
        self.rows = [row for row in rows if row[1] or row[2]]
        self.frauds = sum(row[1] for row in self.rows)
        self.options = {rule: self._distinct(rule, start) for rule, start in zip(RULE_NAMES, self.offsets, strict=True)}

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
            for i, rule in enumerate(RULE_NAMES):
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


def tune(tally: Tally, grid: Mapping[str, Sequence[Candidate]], current: FraudPolicy) -> Outcome:
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


@frozen
class RuleRates:
    rule: str
    weight: Decimal
    params: tuple[tuple[str, Any], ...]
    fp_rate: Decimal
    """Share of labelled-legitimate transactions on which the rule triggers."""
    fn_rate: Decimal
    """Share of labelled-fraudulent transactions on which it does not."""


def rule_rates(
    setting: Setting, grid: Mapping[str, Sequence[Candidate]], rows: Iterable[tuple[int, int, int]]
) -> list[RuleRates]:
    offsets = offsets_of(grid)
    hits: list[Counts] = [Counts() for _ in RULE_NAMES]
    for bits, frauds, legits in rows:
        pattern = setting.pattern_of(offsets, bits)
        for i in range(len(RULE_NAMES)):
            on = bool(pattern >> i & 1)
            hits[i] = hits[i] + Counts(frauds * on, legits * on, frauds * (not on), legits * (not on))
    return [
        RuleRates(rule, setting.weights[i], grid[rule][setting.choice[i]].params, hits[i].fp_rate, hits[i].fn_rate)
        for i, rule in enumerate(RULE_NAMES)
    ]


def missed_patterns(
    setting: Setting, grid: Mapping[str, Sequence[Candidate]], rows: Iterable[tuple[int, int, int]], top: int = 5
) -> list[tuple[tuple[str, ...], int]]:
    """The commonest sets of rules (at the setting's parameters, any weight) seen on frauds the setting misses."""
    offsets = offsets_of(grid)
    missed: dict[tuple[str, ...], int] = {}
    for bits, frauds, _ in rows:
        pattern = setting.pattern_of(offsets, bits)
        if frauds and not setting.flags(pattern):
            names = tuple(rule for i, rule in enumerate(RULE_NAMES) if pattern >> i & 1)
            missed[names] = missed.get(names, 0) + frauds
    return sorted(missed.items(), key=lambda item: (-item[1], item[0]))[:top]


def weekly_fraud_rate(tally: Mapping[tuple[bool, str, int], Sequence[int]]) -> list[tuple[str, int, int, Decimal]]:
    """(ISO week, labelled, frauds, fraud rate) in week order."""
    weeks: dict[str, list[int]] = {}
    for (_, week, _), (frauds, legits) in tally.items():
        entry = weeks.setdefault(week, [0, 0])
        entry[0] += frauds
        entry[1] += legits
    return [(week, f + g, f, _ratio(f, f + g)) for week, (f, g) in sorted(weeks.items())]
