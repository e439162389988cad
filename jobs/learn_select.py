"""The choice of `tune`: a few tree ensembles and the rules-only search, judged on the same time-ordered holdout.

Each ensemble setting is fitted once on the training part at its largest number of trees; its staged predictions
on the holdout give the smaller ensembles for free (`STAGES`). Each candidate's holdout value is the objective at
its best cut (`learn_cut.best_cut`, on scikit-learn's predictions, which equal the domain's scores within the
quantization of the export). The rules-only search's result competes with its own threshold (chosen on the
training part); the best ensemble also competes added to the rules it found (`trees+rules`). The winner is
exported, and the DOMAIN evaluator's scores (`TreeModel.score` on the holdout observations, plus the rules'
weights when combined) choose its threshold and feed the report: what is reported is what the processor does.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any, NamedTuple, Protocol, cast

import numpy as np
from attrs import evolve, frozen

from domain.catalogue import MERCHANT_RISK
from domain.ensemble import CategoryShares, TreeModel
from domain.features import CATEGORY_FRAUD_SHARE
from domain.observation import Observation
from domain.policy import FraudPolicy
from domain.tuning import Candidate, Outcome, Setting, offsets_of
from jobs.learn import Params, export, matrix, one_thread, present
from jobs.learn_categories import COLUMNS, category_table, with_shares
from jobs.learn_cut import Cut, Objective, best_cut, ranked
from jobs.learn_fits import Helpers, Judged, decimals, fit_settings, spawned
from jobs.learn_refit import Scored, labels_of, refit_all, weights_of
from jobs.learn_score import Forest, forest, point_totals, scores

STAGES = (100, 200, 300)
"""Ensemble sizes tried for every setting below its own number of trees (one fit, read at each)."""
SETTINGS = tuple(Params(max(STAGES), depth, 0.1, leaf) for depth in (3, 4, 5) for leaf in (20, 50))
"""Depth 2 and 200 trees at most until 2026-11-30: the holdout's winner was then always the largest ensemble (200
trees of depth 4) on the takeover-shaped and SynCCFD histories. With up to 400 trees of depth 6 the holdout's
best moved to 0.811-0.821 (from 0.792-0.816) and the test months' F1 to 0.825 and 0.807 (from 0.809 and 0.782) on
takeover seeds 1 and 2; 300 trees of depth 4-5 reach nearly all of it. A larger model costs the processor at its
first score: a 400-tree depth-6 policy (1.2 MB) took 0.9 s to read and compile on this machine, a 200-tree depth-4
one 0.2 s; so the grid stops at 300 trees of depth 5 (about 0.8 MB)."""
RULES, TREES, BOTH = "rules", "trees", "trees+rules"
COMBINE_MARGIN = Decimal("0.01")
"""`trees+rules` is written only when its holdout value beats the ensemble alone by this share of the ensemble's
value (1 %): otherwise the simpler policy (rules at weight 0) is; a smaller gain is within the holdout's noise."""
IMPORTANCE_ROWS = 2000
"""Per-signal importance sums the points of at most this many holdout decisions, evenly spaced in time (the
domain's explanation of one decision costs about 200 tree walks and a sentence per feature)."""


class Labelled(Protocol):
    """A labelled transaction as `tune` replays it (`securebank.lab.tuning.Labelled`): its observation, its label,
    its split and its rule signature. `learn` turns each into an `Example` (the weekly job builds those itself)."""

    @property
    def observation(self) -> Observation: ...
    @property
    def fraud(self) -> bool: ...
    @property
    def holdout(self) -> bool: ...
    @property
    def bits(self) -> int: ...
    def at_merchant_window(self, window: tuple[int, int]) -> Observation:
        """The observation with the merchant fields over that merchant rule window (days, lag days)."""
        ...


class History(Protocol):
    """What the learner reads of a replayed history: its labelled examples in time order, and the rules' grid."""

    @property
    def examples(self) -> Sequence[Labelled]: ...
    @property
    def grid(self) -> Mapping[str, Sequence[Candidate]]: ...
    def rows_at(self, window: tuple[int, int]) -> Sequence[tuple[float | None, ...]]:
        """Each example's `domain.features.vector` of `at_merchant_window(window)`, in order (NaN-equal)."""
        ...


class Example(NamedTuple):
    """A labelled transaction as the ensemble is fitted and judged on: its feature row (`domain.features.vector`),
    its label, its split, its rule signature, and how many labelled transactions it stands for (the weekly job
    samples 1 in k legitimate ones: weight k)."""

    row: tuple[float | None, ...]
    fraud: bool
    holdout: bool
    bits: int
    weight: int = 1
    category: str = ""
    """Its merchant category, whose fraud share the learner reads from the labels (jobs/learn_categories.py); ""
    when the rows were built without it (no share column then)."""


@frozen
class Trial:
    """One candidate on the holdout, at its best cut for the objective."""

    learner: str
    name: str
    cut: Cut
    params: Params | None = None


@frozen
class Learned:
    """What `tune` writes and reports: the policy, the chosen trial among all, and the holdout the domain scored."""

    policy: FraudPolicy
    chosen: Trial
    trials: tuple[Trial, ...]
    objective: Objective
    model: TreeModel | None = None
    scores: tuple[Decimal, ...] = ()
    """The chosen policy's domain scores on the holdout (with a model), in file order."""
    frauds: tuple[bool, ...] = ()
    importance: tuple[dict[str, Any], ...] = ()
    """Per feature of the model: the sum of |points| over the holdout, and its share."""
    refit: bool = False
    importance_rows: int = 0
    """How many holdout decisions the importance sums over."""
    weights: tuple[int, ...] = ()
    """The holdout rows' weights when some stand for several transactions (the weekly job's sample), else ()."""


def learn(
    history: History,
    outcome: Outcome,
    objective: Objective,
    settings: Sequence[Params] = SETTINGS,
    *,
    refit: bool = False,
    workers: int = 1,
) -> Learned:
    """Choose between the rules-only `outcome` and tree ensembles fitted on `history`'s training part. The
    ensembles read the merchant fields over the merchant rule window of `outcome`'s policy, which the written policy
    keeps (at weight 0 when the rules are off), so that its model reads in production what it was fitted on. The
    settings are fitted over `workers` processes (`jobs.learn_fits`: the same result with any number)."""
    rule = outcome.policy[MERCHANT_RISK]
    window = (rule.window_days, rule.lag_days)
    rows = history.rows_at(window)
    examples = [
        Example(row, e.fraud, e.holdout, e.bits, 1, e.observation.merchant_category)
        for row, e in zip(rows, history.examples, strict=True)
    ]
    return learn_examples(examples, history.grid, outcome, objective, settings, refit=refit, workers=workers)


def learn_examples(
    examples: Sequence[Example],
    grid: Mapping[str, Sequence[Candidate]],
    outcome: Outcome,
    objective: Objective,
    settings: Sequence[Params] = SETTINGS,
    *,
    refit: bool = False,
    workers: int = 1,
) -> Learned:
    """`learn` on feature rows in time order (the weekly job's driver holds rows, not observations)."""
    with one_thread(), spawned(workers) as helpers:
        return _learn(examples, grid, outcome, objective, settings, refit=refit, helpers=helpers)


def _learn(
    examples: Sequence[Example],
    grid: Mapping[str, Sequence[Candidate]],
    outcome: Outcome,
    objective: Objective,
    settings: Sequence[Params],
    *,
    refit: bool,
    helpers: Helpers,
) -> Learned:
    train = [e for e in examples if not e.holdout]
    hold = [e for e in examples if e.holdout]
    rules = Trial(RULES, f"rules ({outcome.after.name})", Cut(outcome.policy.threshold, outcome.after.holdout))
    frauds = [e.fraud for e in hold]
    if not any(e.fraud for e in train) or not any(frauds):
        return Learned(outcome.policy, rules, (rules,), objective)
    weights = [e.weight for e in hold] if any(e.weight != 1 for e in examples) else None
    raw_train, raw_hold = matrix([e.row for e in train]), matrix([e.row for e in hold])
    table = category_table(train)  # the holdout is judged with the training part's labels only
    x_train, y_train = with_shares(raw_train, train, table), labels_of(train)
    columns = present(x_train)
    x_train, x_hold = x_train[:, columns], with_shares(raw_hold, hold, table)[:, columns]
    held_weights = tuple(weights) if weights is not None else None
    judged = Judged(x_train, y_train, weights_of(train), x_hold, tuple(frauds), held_weights, objective)
    fitted = fit_settings(judged, settings, STAGES, helpers)
    trials = [rules, *(Trial(TREES, at.name, cut, at) for f in fitted for at, cut in f.cuts.items())]
    fits = {at: f for f in fitted for at in f.cuts}
    best = _best(trials[1:], objective)
    assert best.params is not None
    estimator = fits[best.params].estimator
    rule_scores = _rule_scores(outcome.after.setting, offsets_of(grid), hold)
    tree_scores = decimals(fits[best.params].predictions[best.params])
    combined = _combined(best, rule_scores, (frauds, weights), objective, tree_scores)
    chosen = _best([rules, best], objective)
    if _gains(objective, combined, chosen):
        chosen = combined
    if chosen.learner == RULES:
        return Learned(outcome.policy, rules, tuple([*trials, combined]), objective)
    names = tuple(COLUMNS[j] for j in columns)
    model = export(estimator, names, best.params.trees, table if CATEGORY_FRAUD_SHARE in names else None)
    with_rules = chosen.learner == BOTH
    trees = forest(model)  # x_hold's columns are the model's features, in the model's order
    scored = [s + (r if with_rules else 0) for s, r in zip(scores(model, x_hold, trees), rule_scores, strict=True)]
    cut = best_cut(scored, frauds, objective, weights)
    signals, sampled = _importance(model, trees, hold, x_hold)
    rule_settings = outcome.policy.rules if with_rules else _switched_off(outcome.policy)
    policy = _policy(outcome.policy.version, cut.threshold, rule_settings, model)
    everything_tried = (*trials, combined)
    if not policy.can_flag:  # the best cut flags nothing the model can score: the rules result stands
        return Learned(outcome.policy, rules, everything_tried, objective)
    if refit:  # the setting fitted on every labelled month, and its threshold (jobs/learn_refit.py)
        extra = _rule_scores(outcome.after.setting, offsets_of(grid), train) if with_rules else []
        held = Scored(scored, frauds, weights)
        x = _refit_matrices((raw_train, raw_hold), (train, hold), columns, model.categories is not None)
        refitted, threshold = refit_all(
            x[:2], (train, hold), best.params, (names, x[2]), extra, held, objective, helpers.pool
        )
        # A refit that could never flag at that threshold (a policy store refuses it): keep the judged ensemble.
        refit_policy = _policy(outcome.policy.version, threshold, rule_settings, refitted)
        if refit_policy.can_flag:
            model, policy = refitted, refit_policy
        else:
            refit = False
    chosen = Trial(chosen.learner, chosen.name, cut, best.params)
    return Learned(
        policy, chosen, everything_tried, objective, model, tuple(scored), tuple(frauds), signals, refit, sampled,
        tuple(weights or ()),
    )  # fmt: skip


def _refit_matrices(
    raw: tuple[Any, Any], rows: tuple[Sequence[Example], Sequence[Example]], columns: list[int], shares: bool
) -> tuple[Any, Any, CategoryShares | None]:
    """The refit's matrices (jobs/learn_refit.py) at `columns`: the training part as its earlier window's fit reads
    it (the category shares of the rows before that window, as long as the holdout), every row as the final fit
    reads it (the shares of every labelled row), and that final table (None without the share column)."""
    (raw_train, raw_hold), (train, hold) = raw, rows
    if not shares:
        return raw_train[:, columns], np.vstack([raw_train, raw_hold])[:, columns], None
    everything = [*train, *hold]
    before = category_table(train[: max(0, len(train) - len(hold))])
    table = category_table(everything)
    x_all = with_shares(np.vstack([raw_train, raw_hold]), everything, table)
    return with_shares(raw_train, train, before)[:, columns], x_all[:, columns], table


def _importance(model: TreeModel, trees: Forest, hold: Sequence[Example], x_hold: Any) -> tuple[tuple[Any, ...], int]:
    """Per-signal importance over at most `IMPORTANCE_ROWS` holdout decisions evenly spaced in time, each counted
    as many times as its row stands for; and how many decisions that is."""
    step = max(1, -(-len(hold) // IMPORTANCE_ROWS))
    sample = hold[::step]
    return tuple(ranked(point_totals(model, x_hold[::step], [e.weight for e in sample], trees))), len(sample)


def _best(trials: Sequence[Trial], objective: Objective) -> Trial:
    """The best objective value; a tie goes to the earlier (simpler) trial."""
    best = trials[0]
    for trial in trials[1:]:
        if objective.value(trial.cut.counts) > objective.value(best.cut.counts):
            best = trial
    return best


def _gains(objective: Objective, trial: Trial, than: Trial) -> bool:
    value, other = objective.value(trial.cut.counts), objective.value(than.cut.counts)
    return value > other + abs(other) * COMBINE_MARGIN


def _rule_scores(setting: Setting, offsets: Sequence[int], examples: Sequence[Example]) -> list[Decimal]:
    """Each example's score under the rules-only result (the weights of its triggered rules)."""
    scores = []
    for e in examples:
        pattern = setting.pattern_of(offsets, e.bits)
        scores.append(sum((w for i, w in enumerate(setting.weights) if pattern >> i & 1), Decimal(0)))
    return scores


def _combined(
    best: Trial,
    rule_scores: Sequence[Decimal],
    labels: tuple[Sequence[bool], Sequence[int] | None],
    objective: Objective,
    tree_scores: list[Decimal],
) -> Trial:
    """The best ensemble (its holdout predictions: `tree_scores`) plus the rules' weights, at its best cut (`labels`:
    the holdout's frauds and weights)."""
    scores = [t + r for t, r in zip(tree_scores, rule_scores, strict=True)]
    return Trial(BOTH, f"{best.name} + rules", best_cut(scores, *labels[:1], objective, labels[1]), best.params)


def _switched_off(policy: FraudPolicy) -> dict[str, Any]:
    """Every rule at weight 0 with its default parameters, but for the merchant rule's window, over which the model
    reads the merchant feed: a stored decision keeps its policy as changes from the defaults, so parameters that
    decide nothing would cost bytes on every transaction item."""
    merchant = policy[MERCHANT_RISK]
    off: dict[str, Any] = {name: evolve(cast(Any, type(settings)()), weight=Decimal(0))
                           for name, settings in policy.rules.items()}  # fmt: skip
    off[MERCHANT_RISK.name] = evolve(off[MERCHANT_RISK.name], window_days=merchant.window_days,
                                     lag_days=merchant.lag_days)  # fmt: skip
    return off


def _policy(version: int, threshold: Decimal, rules: Any, model: TreeModel) -> FraudPolicy:
    return FraudPolicy(version, threshold, rules, model=model)
