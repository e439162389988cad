"""What `tune` and `backtest` do with the transactions a labels file does not name (`--unlabelled`).

Many banks' label files list only the confirmed frauds (chargebacks). Read as they are, such a file has nothing
legitimate in it: `tune` would learn from frauds alone, and `backtest` would count no false alarm. So a file of
frauds only is refused (`refusal`), unless the user says what the others are: `--unlabelled legitimate` counts
every transaction of the history that the file does not name as legitimate (`with_legitimate` for `tune`, `score`
for `backtest`). The default, `skip`, learns from and scores the labelled transactions only. `score` also leaves
out the decisions before the start of scoring (`--score-from`), on either engine.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from attrs import frozen

from domain.labels import Label, Labels
from domain.model import TransactionKey
from domain.tuning_metrics import Counts

SKIP = "skip"
LEGITIMATE = "legitimate"
CHOICES = (SKIP, LEGITIMATE)
HELP = (
    "what a transaction the labels file does not name counts as: skip (default: not scored or learned from) or "
    "legitimate (for a file of confirmed frauds only, such as chargebacks)"
)


def refusal(path: Path, labels: Labels, unlabelled: str, consequence: str) -> str | None:
    """Why this labels file is refused, in one line, with the `consequence` of taking it as it is; None when it is
    taken. A file of frauds only is refused unless the transactions it does not name count as legitimate."""
    if unlabelled == SKIP and 0 < labels.frauds == len(labels):
        return (
            f"{path} holds only frauds ({labels.frauds} of them) and no legitimate label: {consequence}. If every "
            f"transaction it does not name is legitimate (a chargeback file), give --unlabelled {LEGITIMATE}"
        )
    return None


def with_legitimate(labels: Labels, keys: Iterable[TransactionKey]) -> tuple[Labels, int]:
    """`labels` and a legitimate label for each of these transactions that they do not name, and how many were
    added (one per identity). The label names the customer: it applies to that transaction only."""
    filled = Labels()
    filled.update(labels)
    added = 0
    for key in keys:
        if key not in filled:
            filled.add(key[1], key[0], Label(False))
            added += 1
    return filled, added


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
