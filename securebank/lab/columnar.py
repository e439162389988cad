"""A columnar replay of history (Polars) that decides exactly as the domain engine (`securebank.lab.backtest`).

Exact by construction, with a fallback: the columns handle what they can prove they compute as the domain does,
and everything else goes through the domain itself.
- Lines: the canonical shape is read in columns; every other line goes through `parse_record`
  (`securebank.lab.columnar_parse`), so rejections carry the domain's field and reason.
- Identity (customer_id, transaction_id), as `Backtest`: the first occurrence is decided; a later one with the same
  content (the same values: amount, currency, merchant, category, instant, location) is a duplicate, with other
  content a `conflicting_resubmission`.
- Customers are independent (a customer's observations depend on their own history and the merchant feed): those
  whose history the columns cannot follow exactly (`columnar_features.needs_domain`) are replayed, all their lines,
  by the domain engine; so is every customer under a policy the expressions do not cover (`columnar_rules.covers`).
- Decisions: per row, the mask of triggered rules; the decision of each mask is summed by the domain's own order
  (`columnar_rules.outcome`). Explanations are derived on demand (`decisions`), as `Decision.reasons` are.

A policy with a tree model stays in columns: the signals it reads (`columnar_signals`, with their own bounds on
what the columns follow) and its score, summed exactly (`columnar_model`). The observation built for a decision
then carries every signal, so its contributions are the domain's, made on demand.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta

import polars as pl
from attrs import define, field

from domain.labels import Labels
from domain.merchant_risk import NO_MERCHANT_RISK, MerchantRisk
from domain.model import CustomerId, TransactionId, TransactionKey
from domain.policy import FraudPolicy
from domain.ports import ScoredTransaction
from domain.process_batch import CONFLICTING_RESUBMISSION
from domain.scoring import Decision, Scorer
from domain.tuning import Counts
from securebank.lab import columnar_model, columnar_rules
from securebank.lab.backtest import BATCH_SIZE, Backtest, Rejection
from securebank.lab.columnar_features import CUSTOMER, needs_domain, observations
from securebank.lab.columnar_parse import parse_lines
from securebank.lab.columnar_rows import decision_of, merchant_columns
from securebank.lab.columnar_signals import signals, signals_need_domain
from securebank.lab.unlabelled import score

KEY = [CUSTOMER, "transaction_id"]
CONTENT = ["amount_minor", "currency", "merchant_id", "merchant_category", "epoch_us", "lat", "lon"]
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_US = timedelta(microseconds=1)


@define
class ColumnarBacktest:
    """Replays transactions in columns; the same decisions, duplicates and rejections as `Backtest`."""

    policy: FraudPolicy
    merchants: MerchantRisk = NO_MERCHANT_RISK
    rejections: list[Rejection] = field(factory=list)
    duplicates: int = 0
    seconds: float = 0.0
    columns: pl.DataFrame = field(factory=pl.DataFrame)
    """The decisions made in columns (by customer, then line): line, ids, mask and the observation columns."""
    by_domain: list[tuple[int, ScoredTransaction]] = field(factory=list)
    """The decisions of the customers replayed by the domain engine, with their lines."""
    _outcomes: dict[int, columnar_rules.Outcome] = field(factory=dict)

    def run(self, lines: Iterable[tuple[int, str]]) -> ColumnarBacktest:
        started = time.perf_counter()
        pairs = list(lines)
        if not columnar_rules.covers(self.policy):
            self._replay_in_domain(pairs, None)
        else:
            self._replay(pairs)
        self.seconds = time.perf_counter() - started
        return self

    def _replay(self, pairs: list[tuple[int, str]]) -> None:
        parsed, bad = parse_lines(pairs)
        parsed = _identities(parsed)
        decided = parsed.filter("first").sort(CUSTOMER, maintain_order=True)  # by customer, then line
        window = self.policy.velocity_check.window_seconds
        slow = needs_domain(decided, window)
        model = self.policy.model
        if model is not None:
            slow = pl.concat([slow, signals_need_domain(decided.filter(~pl.col(CUSTOMER).is_in(slow.implode())))])
        order: list[tuple[tuple[int, int, int], Rejection]] = []
        lines = parsed["line"]
        for number, name, reason in bad:
            valid_before = int(lines.search_sorted(number))
            order.append(((valid_before // BATCH_SIZE, 0, number), Rejection(number, name, reason)))
        here = parsed.filter(~pl.col(CUSTOMER).is_in(slow.implode()))
        repeats = here.filter(~pl.col("first"))
        self.duplicates = int(repeats["same"].sum())
        for valid, number, customer, txn_id in (
            repeats.filter(~pl.col("same")).select("valid", "line", CUSTOMER, "transaction_id").iter_rows()
        ):
            why = f"transaction_id {txn_id} of customer {customer} is already recorded with other content"
            order.append(((valid // BATCH_SIZE, 1, number), Rejection(number, CONFLICTING_RESUBMISSION, why)))
        fast = observations(decided.filter(~pl.col(CUSTOMER).is_in(slow.implode())), window)
        scorer = Scorer(self.policy, self.merchants)
        if scorer.merchants is not None:
            fast = merchant_columns(fast, scorer.merchants, self.policy.merchant_risk)
        else:
            fast = fast.with_columns(merchant_frauds=pl.lit(0), merchant_transactions=pl.lit(0))
        fast = fast.with_columns(mask=columnar_rules.mask(self.policy))
        self._outcomes = {m: columnar_rules.outcome(self.policy, m) for m in fast["mask"].unique().to_list()}
        if model is None:
            fraud = [m for m, (_, is_fraud, _) in self._outcomes.items() if is_fraud]
            fast = fast.with_columns(fraud=pl.col("mask").is_in(fraud))
        else:
            fast = columnar_model.score(signals(fast), self.policy, {m: o[0] for m, o in self._outcomes.items()})
        self.columns = fast  # by customer, then line: `decisions` puts them in line order
        others = parsed.filter(pl.col(CUSTOMER).is_in(slow.implode()))
        if not others.is_empty():
            text = dict(pairs)
            valid_of = dict(zip(others["line"].to_list(), others["valid"].to_list(), strict=True))
            for rejection in self._replay_in_domain([(n, text[n]) for n in others["line"].to_list()], valid_of):
                order.append(((valid_of[rejection.line] // BATCH_SIZE, 1, rejection.line), rejection))
        self.rejections = [rejection for _, rejection in sorted(order, key=lambda item: item[0])]

    def _replay_in_domain(self, pairs: list[tuple[int, str]], valid_of: dict[int, int] | None) -> list[Rejection]:
        """Replay these lines through the domain engine; keep its decisions with their lines and return the
        rejections of lines it parsed (all of them when `valid_of` is None: it replays every line)."""
        domain = Backtest(self.policy, self.merchants).run(pairs)
        self.duplicates += domain.duplicates
        self.by_domain = _lines_of(domain, pairs, {r.line for r in domain.rejections})
        if valid_of is None:
            self.rejections = list(domain.rejections)
            return []
        return list(domain.rejections)

    @property
    def transactions(self) -> int:
        return self.columns.height + len(self.by_domain)

    @property
    def flagged(self) -> int:
        fast = int(self.columns["fraud"].sum()) if self.columns.height else 0
        return fast + sum(1 for _, s in self.by_domain if s.decision.is_fraud)

    def verdicts(self, since: datetime | None = None) -> Iterator[tuple[TransactionKey, bool, bool]]:
        """(transaction key, flagged, scored) of every decision, in no particular order, as `Backtest.verdicts`:
        `scored` is whether the transaction's instant is at or after `since` (always, without one)."""
        if self.columns.height:
            scored = pl.lit(True) if since is None else pl.col("epoch_us") >= (since - _EPOCH) // _US
            rows = self.columns.select(CUSTOMER, "transaction_id", "fraud", scored.alias("_scored")).iter_rows()
            for customer, txn_id, flagged, in_time in rows:
                yield (CustomerId(customer), TransactionId(txn_id)), flagged, in_time
        for _, decided in self.by_domain:
            txn = decided.transaction
            yield txn.key, decided.decision.is_fraud, since is None or txn.timestamp >= since

    def confusion(self, labels: Labels) -> Counts:
        """The confusion matrix of the labelled decisions, as `Backtest.confusion`."""
        return score(self.verdicts(), labels).counts

    def decisions(self) -> Iterator[tuple[str, str, Decision]]:
        """(customer_id, transaction_id, decision) of every transaction decided, in line order, as `Backtest`."""
        ours: Iterator[tuple[int, str, str, Decision]] = (
            (row["line"], row[CUSTOMER], row["transaction_id"], decision_of(row, self.policy, self._outcomes))
            for row in (self.columns.iter_rows(named=True) if self.columns.height else ())
        )
        theirs = ((n, s.transaction.customer_id, s.transaction.transaction_id, s.decision) for n, s in self.by_domain)
        merged = sorted([*ours, *theirs], key=lambda item: item[0])
        return ((customer, txn_id, decision) for _, customer, txn_id, decision in merged)


def _identities(parsed: pl.DataFrame) -> pl.DataFrame:
    """`valid` (the position among parsed lines), `first` (the first line of its identity) and `same` (the same
    content as that first line), computed only over the identities given more than once."""
    parsed = parsed.with_row_index("valid")
    repeated = parsed.select(pl.struct(KEY).is_duplicated()).to_series()
    if not repeated.any():
        return parsed.with_columns(first=pl.lit(True), same=pl.lit(True))
    again = parsed.filter(repeated).with_columns(
        first=pl.int_range(pl.len()).over(KEY) == 0,
        same=pl.all_horizontal([pl.col(c) == pl.col(c).first().over(KEY) for c in CONTENT]),
    )
    once = parsed.filter(~repeated).with_columns(first=pl.lit(True), same=pl.lit(True))
    return pl.concat([once, again]).sort("valid")


def _lines_of(
    domain: Backtest, pairs: list[tuple[int, str]], rejected: set[int]
) -> list[tuple[int, ScoredTransaction]]:
    """Each domain decision with its line: decisions come in line order, and a decided line is the first line of
    its identity that was neither rejected (the domain's error on an earlier one) nor a duplicate of it."""
    from adapters.records import parse_record

    lines_by_key: dict[tuple[str, str], list[int]] = {}
    for number, text in pairs:
        if number in rejected:
            continue
        try:
            key = parse_record(text).key
        except ValueError:
            continue
        lines_by_key.setdefault(key, []).append(number)
    return [(lines_by_key[s.transaction.key][0], s) for s in domain.decisions]
