"""Learning a FraudPolicy from labelled history, cheaply: observe once, then search over counts.

Profiles evolve the same way whatever the policy, so each transaction is observed once (`Replay`,
domain/tuning_replay.py). Every candidate setting of every rule (`candidate_grid`, from the rule catalogue:
domain/tuning_grid.py) is then applied to the observation with the catalogue's own predicates, and the answers are
packed into a bit `signature`. History shrinks to a `Tally`: (split, week, signature) -> [frauds, legits]; most
transactions share a handful of signatures, so a Spark job can build the tally at scale and the driver searches it
(`Search`, domain/tuning_search.py), scoring with `Counts` (domain/tuning_metrics.py) and reporting with
domain/tuning_diagnostics.py. This module is the use case, `tune`, and the one import for callers.
"""

from __future__ import annotations

from attrs import frozen

from domain.policy import FraudPolicy
from domain.tuning_diagnostics import RuleRates, missed_patterns, rule_rates, weekly_fraud_rate
from domain.tuning_grid import (
    Candidate,
    Grid,
    Signer,
    candidate,
    candidate_grid,
    offsets_of,
    own_candidate,
    signature,
)
from domain.tuning_metrics import Counts
from domain.tuning_replay import Example, Replay, Tally, add_to_tally, holdout_start, iso_week, rows_of
from domain.tuning_search import WEIGHTS, Search, Setting, counts, setting_of, starts

__all__ = [
    "WEIGHTS",
    "Candidate",
    "Counts",
    "Example",
    "Grid",
    "Outcome",
    "Replay",
    "RuleRates",
    "Search",
    "Setting",
    "Signer",
    "Tally",
    "Trial",
    "add_to_tally",
    "candidate",
    "candidate_grid",
    "counts",
    "holdout_start",
    "iso_week",
    "missed_patterns",
    "offsets_of",
    "own_candidate",
    "rows_of",
    "rule_rates",
    "setting_of",
    "signature",
    "starts",
    "tune",
    "weekly_fraud_rate",
]


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
