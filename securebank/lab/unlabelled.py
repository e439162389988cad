"""What `backtest` scores: a replay's verdicts against a labels file (`score`), on either engine.

A decision the labels do not name is not scored (`skip`), or is scored as legitimate (`legitimate`), and a
decision before the start of scoring is not scored; `Scoring` says how many of each.
"""

from __future__ import annotations

from collections.abc import Iterable

from attrs import frozen

from domain.labels import Labels
from domain.model import TransactionKey
from domain.tuning_metrics import Counts

SKIP = "skip"
LEGITIMATE = "legitimate"
CHOICES = (SKIP, LEGITIMATE)


@frozen
class Scoring:
    """A replay's decisions against a labels file: the confusion matrix and what was and was not counted in it."""

    counts: Counts
    labelled: int
    """Decisions scored: those the labels name, and those counted legitimate."""
    counted_legitimate: int
    """Decisions the labels do not name, scored as legitimate (`--unlabelled legitimate`)."""
    unlabelled: int
    """Decisions the labels do not name, not scored (`--unlabelled skip`)."""
    before_score_from: int
    """Decisions before the start of scoring (`--score-from`), not scored."""


def score(verdicts: Iterable[tuple[TransactionKey, bool, bool]], labels: Labels, unlabelled: str = SKIP) -> Scoring:
    """Score (transaction key, flagged, scored) verdicts, `scored` False for a decision outside the scored time, by
    the labels; a decision they do not name is legitimate with `unlabelled` legitimate, else not scored."""
    pairs: list[tuple[bool, bool]] = []
    legitimate = unlabelled == LEGITIMATE
    counted_legitimate = skipped = before = 0
    for key, flagged, scored in verdicts:
        if not scored:
            before += 1
            continue
        fraud = labels.get(key)
        if fraud is None:
            if not legitimate:
                skipped += 1
                continue
            fraud = False
            counted_legitimate += 1
        pairs.append((flagged, fraud))
    return Scoring(Counts.of(pairs), len(pairs), counted_legitimate, skipped, before)
