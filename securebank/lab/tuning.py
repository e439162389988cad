"""Local glue for `python -m securebank tune`: files -> tally -> domain.tuning -> policy JSON and a report."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from decimal import ROUND_CEILING, Decimal
from typing import Any, NamedTuple, cast

from attrs import field, frozen

from adapters.records import parse_record
from domain.catalogue import MERCHANT_RISK, MERCHANT_WINDOWS
from domain.features import vector
from domain.labels import Labels
from domain.merchant_risk import NO_MERCHANT_RISK, MerchantRisk
from domain.model import InvalidTransaction, Transaction
from domain.observation import Observation
from domain.policy import FraudPolicy
from domain.tuning import (
    Candidate,
    Example,
    Outcome,
    Replay,
    Signer,
    Tally,
    add_to_tally,
    candidate_grid,
    holdout_start,
    iso_week,
)
from jobs.tuning_report import report as tuning_report

Row = tuple[float | None, ...]
AMOUNT_QUANTILES = (0.9, 0.95, 0.98, 0.99, 0.995, 0.999)
LEGIT_AMOUNT_QUANTILES = (0.99, 0.999, 1.0)


class Labelled(NamedTuple):
    """A labelled transaction as a learner sees it: its observation, its label, its split and its rule signature,
    and what the merchant feed said of its merchant over each window the merchant rule may use (`merchant[i]` is
    (frauds, transactions) for MERCHANT_WINDOWS[i]; empty when it said nothing over any)."""

    observation: Observation
    fraud: bool
    holdout: bool
    bits: int
    merchant: tuple[tuple[int, int], ...] = ()

    def at_merchant_window(self, window: tuple[int, int]) -> Observation:
        """The observation with the merchant fields over `window` (window_days, lag_days): what a policy whose
        merchant rule has that window scores, and so what its model's merchant features read."""
        if not self.merchant:
            return self.observation
        frauds, transactions = self.merchant[MERCHANT_WINDOWS.index(window)]
        return self.observation._replace(merchant_frauds=frauds, merchant_transactions=transactions)


@frozen
class History:
    tally: Tally
    grid: Mapping[str, tuple[Candidate, ...]]
    transactions: int
    labelled: int
    holdout_from: str | None
    examples: tuple[Labelled, ...] = field(default=(), repr=False)
    """Every labelled transaction, in file order (for the tree ensemble: jobs/learn_select.py)."""
    feature_rows: Callable[[tuple[int, int]], Sequence[Row]] | None = field(default=None, eq=False, repr=False)
    """`rows_at` when an engine computes the rows itself (`securebank.lab.columnar_tally`), else None."""

    def rows_at(self, window: tuple[int, int]) -> Sequence[Row]:
        """Each example's feature row (`domain.features.vector`) at that merchant rule window (window_days,
        lag_days), in file order; a missing value is None, or NaN from an engine's own rows (NaN-equal)."""
        if self.feature_rows is not None:
            return self.feature_rows(window)
        return [vector(example.at_merchant_window(window)) for example in self.examples]


def read_transactions(lines: Iterable[tuple[int, str]]) -> list[tuple[int, Transaction]]:
    """The numbered lines `adapters.records.parse_record` accepts, with their transactions, in order (the others are
    the rejected lines)."""
    found = []
    for number, text in lines:
        try:
            found.append((number, parse_record(text)))
        except InvalidTransaction:
            continue
    return found


def amount_limits(transactions: Iterable[Transaction], labels: Labels | None = None, *, currency: str) -> list[Decimal]:
    """Round candidate limits for `large_amount` in `currency`: high quantiles of the amounts seen in it and, given
    labels, of its labelled-legitimate amounts up to their largest (rounded up: a limit above every legitimate
    payment seen). Amounts in other currencies are not compared with them: they are left out."""
    transactions = [t for t in transactions if t.currency == currency]
    legit = [t.amount for t in transactions if labels and labels.get(t.key) is False]
    return limits_of([t.amount for t in transactions], legit)


def limits_of(amounts: Iterable[Decimal], legit: Iterable[Decimal]) -> list[Decimal]:
    """`amount_limits` of the amounts in one currency and of the labelled-legitimate ones among them."""
    limits = {_quantile(sorted(amounts), q).quantize(Decimal(1)) for q in AMOUNT_QUANTILES}
    limits |= {_quantile(sorted(legit), q).to_integral_value(ROUND_CEILING) for q in LEGIT_AMOUNT_QUANTILES}
    return sorted(limit for limit in limits if limit > 0)


def _quantile(ordered: list[Decimal], q: float) -> Decimal:
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else Decimal(0)


def build_history(
    transactions: list[Transaction],
    labels: Labels,
    current: FraudPolicy,
    holdout: float,
    grid: Mapping[str, tuple[Candidate, ...]] | None = None,
    merchants: MerchantRisk = NO_MERCHANT_RISK,
) -> History:
    """Replay every transaction in file order (unlabelled ones too: they shape the profiles); tally the labelled.
    `merchants` is what the merchant rule knew day by day (`securebank.lab.backtest.merchant_feed`).
    The domain engine: the reference `securebank.lab.columnar_tally` is held equal to."""
    stamps = [t.timestamp for t in transactions if t.key in labels]
    cutoff = holdout_start(min(stamps), max(stamps), holdout) if stamps else None
    # Candidates are chosen from the training part only: the holdout must not shape what it judges.
    training = Labels()
    for t in transactions:
        label = labels.label(t.key)
        if label is not None and cutoff is not None and t.timestamp < cutoff:
            training.add(t.transaction_id, t.customer_id, label)
    grid = grid or candidate_grid(
        current, amount_limits(transactions, training, currency=current.large_amount.currency)
    )
    examples = (
        (week, example) for _, week, example in labelled_examples(transactions, labels, cutoff, grid, merchants)
    )
    return history_of(examples, grid, len(transactions), cutoff)


def labelled_examples(
    transactions: Iterable[Transaction],
    labels: Labels,
    cutoff: datetime | None,
    grid: Mapping[str, tuple[Candidate, ...]],
    merchants: MerchantRisk = NO_MERCHANT_RISK,
) -> Iterator[tuple[int, str, Labelled]]:
    """(position among `transactions`, ISO week, example) of each labelled transaction, replayed in order."""
    replay, signature = Replay(merchants), Signer(grid)
    for position, txn in enumerate(transactions):
        example = replay.observe(txn)
        verdict = None if example is None else labels.get(txn.key)
        if example is None or verdict is None:
            continue
        in_holdout = cutoff is not None and txn.timestamp >= cutoff
        labelled = Labelled(example.observation, verdict, in_holdout, signature(example), _merchant_counts(example))
        yield position, iso_week(txn.timestamp), labelled


def history_of(
    examples: Iterable[tuple[str, Labelled]],
    grid: Mapping[str, tuple[Candidate, ...]],
    transactions: int,
    cutoff: datetime | None,
) -> History:
    """The history of (ISO week, example) pairs in file order: the tally sums them in that order."""
    tally: Tally = {}
    kept = []
    for week, example in examples:
        add_to_tally(tally, example.holdout, week, example.bits, example.fraud)
        kept.append(example)
    holdout_from = None if cutoff is None else cutoff.astimezone(UTC).isoformat()
    return History(tally, grid, transactions, len(kept), holdout_from, tuple(kept))


def _merchant_counts(example: Example) -> tuple[tuple[int, int], ...]:
    # The measured values, not the views: no observation is built per window. They are MerchantRisk.counts' ints.
    _, options = example.measured.get(MERCHANT_RISK.name, ((), ()))
    counts = cast("tuple[tuple[int, int], ...]", options)
    return counts if any(transactions for _, transactions in counts) else ()


def report(outcome: Outcome, history: History) -> dict[str, Any]:
    meta = {"transactions": history.transactions, "labelled": history.labelled, "holdout_from": history.holdout_from}
    return meta | tuning_report(outcome, history.tally, history.grid)
