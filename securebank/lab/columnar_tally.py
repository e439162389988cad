"""`tune`'s history in columns (Polars): the same `History` as `securebank.lab.tuning.build_history`, the domain
engine's, which stays the reference (tests/property/test_columnar_tally.py holds them equal).

- Lines are parsed as the columnar replay parses them (`columnar_parse.parse_lines`; its accepted lines are
  `adapters.records.parse_record`'s); the first line of an identity (customer_id, transaction_id) is observed, a
  later one only counts among the transactions read (as `domain.tuning.Replay` skips it).
- Customers are independent: those whose history the columns cannot follow (`columnar_features.needs_domain` at
  the longest velocity window, `columnar_signals.signals_need_domain`) are replayed, all their lines, by the domain
  engine and signed by its `Signer`; so is the whole history when the grid is not `covered`.
- The rest: the rules' fields and the signals (`columnar_features.observations`, `columnar_signals.signals`), the
  variant fields at each option and every candidate's bit (`columnar_tally_columns`), each labelled row made the
  observation the domain observes (`columnar_rows.observation_of`). Both parts are merged back in file order, and
  the tally is summed in that order.
"""

from __future__ import annotations

import gc
import heapq
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from operator import itemgetter
from typing import Any

import polars as pl
from attrs import evolve

from domain.catalogue import MERCHANT_RISK, VELOCITY_CHECK
from domain.labels import Labels
from domain.merchant_risk import NO_MERCHANT_RISK, MerchantDay, MerchantRisk, utc_day
from domain.model import Transaction
from domain.policy import FraudPolicy
from domain.tuning import Candidate, candidate_grid, holdout_start
from securebank.lab import columnar_tally_columns as columns
from securebank.lab.columnar_features import CUSTOMER, needs_domain, observations
from securebank.lab.columnar_parse import parse_lines
from securebank.lab.columnar_signals import signals, signals_need_domain
from securebank.lab.columnar_tally_observations import observations_of
from securebank.lab.columnar_tally_rows import FeatureRows
from securebank.lab.tuning import (
    History,
    Labelled,
    build_history,
    history_of,
    labelled_examples,
    limits_of,
    read_transactions,
)

KEY = [CUSTOMER, "transaction_id"]
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_US = timedelta(microseconds=1)
Grid = Mapping[str, tuple[Candidate, ...]]


def columnar_history(
    lines: list[tuple[int, str]],
    labels: Labels,
    current: FraudPolicy,
    holdout: float,
    grid: Grid | None = None,
    merchants: MerchantRisk = NO_MERCHANT_RISK,
    parsed: pl.DataFrame | None = None,
) -> History:
    """`build_history` of the transactions of these numbered lines (those `parse_record` accepts, in order).
    `parsed` is `parse_lines(lines)[0]` when the caller has it already."""
    with _collector_paused():
        return _history(lines, labels, current, holdout, grid, merchants, parsed)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector paused while the examples are built: a pass over the young objects every
    700 allocations took half the time of building 100k of them, and none of them is in a reference cycle
    (reference counting frees them). They are then frozen (`gc.freeze`, as the domain replay does): tune keeps
    the history while it learns, and the learner's collections took 0.3 s CPU traversing it again and again."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()  # the history is long-lived and acyclic: later collections need not traverse it again
        if enabled:
            gc.enable()


def _history(
    lines: list[tuple[int, str]],
    labels: Labels,
    current: FraudPolicy,
    holdout: float,
    grid: Grid | None,
    merchants: MerchantRisk,
    parsed: pl.DataFrame | None,
) -> History:
    if parsed is None:
        parsed, _ = parse_lines(lines)
    keys = zip(parsed[CUSTOMER].to_list(), parsed["transaction_id"].to_list(), strict=True)
    verdicts = [None if label is None else label.is_fraud for label in map(labels.label, keys)]
    parsed = parsed.with_columns(_fraud=pl.Series(verdicts, dtype=pl.Boolean))
    cutoff = _cutoff(parsed, holdout)
    grid = grid or candidate_grid(current, _amount_limits(parsed, cutoff, current.large_amount.currency))
    if not columns.covered(grid):
        replayed = [txn for _, txn in _transactions(lines, parsed["line"])]
        return build_history(replayed, labels, current, holdout, grid, merchants)
    decided = parsed.filter(pl.struct(KEY).is_first_distinct()).sort(CUSTOMER, maintain_order=True)
    slow = needs_domain(decided, max(columns.options(VELOCITY_CHECK.name)))
    rest = decided.filter(~pl.col(CUSTOMER).is_in(slow.implode()))
    slow = pl.concat([slow, signals_need_domain(rest)])
    fast, said, bits = _fast(decided.filter(~pl.col(CUSTOMER).is_in(slow.implode())), grid, merchants)
    cutoff_us = None if cutoff is None else (cutoff - _EPOCH) // _US
    ours = ((line, week, example, True) for line, week, example in _examples(fast, said, bits, cutoff_us))
    others = _transactions(lines, parsed.filter(pl.col(CUSTOMER).is_in(slow.implode()))["line"])
    signed = labelled_examples([txn for _, txn in others], labels, cutoff, grid, merchants)
    theirs = ((others[i][0], week, example, False) for i, week, example in signed)
    merged = list(heapq.merge(ours, theirs, key=itemgetter(0)))  # both in line order
    history = history_of(((week, example) for _, week, example, _ in merged), grid, parsed.height, cutoff)
    slow_examples = [example for _, _, example, columnar in merged if not columnar]
    rows = FeatureRows(fast, [bool(s) for s in said], [columnar for *_, columnar in merged], slow_examples)
    return evolve(history, feature_rows=rows)


def merchant_feed_of(parsed: pl.DataFrame, labels: Labels, delay: timedelta) -> MerchantRisk:
    """`securebank.lab.backtest.merchant_feed` of the transactions of `parse_lines`: per merchant with a confirmed
    fraud and UTC day, the distinct transactions, and per fraud the day after its label arrived (its labelled_at,
    else the transaction's time plus `delay`)."""
    first = parsed.filter(pl.struct(KEY).is_first_distinct())
    keys = zip(first[CUSTOMER].to_list(), first["transaction_id"].to_list(), strict=True)
    known: list[int | None] = []
    for label, stamp in zip(map(labels.label, keys), first["epoch_us"].to_list(), strict=True):
        if label is None or not label.is_fraud:
            known.append(None)
        elif label.labelled_at is not None:
            known.append(utc_day(label.labelled_at) + 1)
        else:
            known.append((stamp + delay // _US) // columns.US_PER_DAY + columns.ORDINAL_1970 + 1)
    days = first.select("merchant_id", _day=pl.col("epoch_us") // columns.US_PER_DAY + columns.ORDINAL_1970)
    days = days.with_columns(_known=pl.Series(known, dtype=pl.Int64))
    risky = days.filter(pl.col("_known").is_not_null().any().over("merchant_id"))
    per_day = risky.group_by("merchant_id", "_day", maintain_order=True).agg(
        pl.len(), pl.col("_known").drop_nulls().sort()
    )
    merchants: dict[str, dict[int, MerchantDay]] = {}
    for merchant, day, count, frauds in per_day.iter_rows():
        merchants.setdefault(merchant, {})[day] = MerchantDay(count, tuple(frauds))
    return MerchantRisk(merchants)


def _cutoff(parsed: pl.DataFrame, holdout: float) -> datetime | None:
    """`holdout_start` over the labelled transactions' instants (in UTC: the same instants)."""
    stamps = parsed.filter(pl.col("_fraud").is_not_null()).select(first=pl.min("epoch_us"), last=pl.max("epoch_us"))
    first, last = stamps.row(0)
    if first is None:
        return None
    return holdout_start(_EPOCH + first * _US, _EPOCH + last * _US, holdout)


def _amount_limits(parsed: pl.DataFrame, cutoff: datetime | None, currency: str) -> list[Decimal]:
    """`amount_limits` in `currency` with the training labels: those of identities given before the cutoff."""
    cutoff_us = -1 if cutoff is None else (cutoff - _EPOCH) // _US
    training = (pl.col("_fraud").is_not_null() & (pl.col("epoch_us") < cutoff_us)).any().over(KEY)
    rows = parsed.with_columns(_legit=training & ~pl.col("_fraud").fill_null(True).any().over(KEY))
    rows = rows.filter(pl.col("currency") == currency).sort("amount_minor").select("amount_minor", "units", "_legit")
    amounts = [Decimal(minor).scaleb(-units) for minor, units, _ in rows.iter_rows()]
    return limits_of(amounts, [amount for amount, legit in zip(amounts, rows["_legit"], strict=True) if legit])


def _transactions(lines: list[tuple[int, str]], numbers: pl.Series) -> list[tuple[int, Transaction]]:
    """The lines with these numbers and their transactions, parsed by the domain, in order."""
    wanted = set(numbers.to_list())
    return read_transactions((number, text) for number, text in lines if number in wanted)


def _fast(decided: pl.DataFrame, grid: Grid, merchants: MerchantRisk) -> tuple[pl.DataFrame, list[Any], list[int]]:
    """The labelled rows of the customers the columns follow, in line order (observation columns and the merchant
    windows), what the merchant feed said of each (`Labelled.merchant`) and their signatures."""
    frame = signals(observations(decided, 3600))
    frame = columns.velocity_windows(frame, columns.options(VELOCITY_CHECK.name))
    frame = frame.filter(pl.col("_fraud").is_not_null()).sort("line")
    frame, said, by_pair = columns.merchant_windows(frame, merchants, columns.options(MERCHANT_RISK.name))
    frame = frame.with_columns(merchant_frauds=pl.lit(0, pl.Int64), merchant_transactions=pl.lit(0, pl.Int64))
    return frame, said, columns.signatures(frame, grid, by_pair)


def _examples(
    frame: pl.DataFrame, said: list[Any], bits: list[int], cutoff_us: int | None
) -> Iterator[tuple[int, str, Labelled]]:
    """(line, ISO week, example) of each row."""
    weeks: dict[int, str] = {}
    rows = zip(frame["line"].to_list(), frame["epoch_us"].to_list(), frame["_fraud"].to_list(),
               observations_of(frame), said, bits, strict=True)  # fmt: skip
    for line, stamp, fraud, observation, merchant, signature in rows:
        day = stamp // columns.US_PER_DAY + columns.ORDINAL_1970
        week = weeks.get(day)
        if week is None:
            year, number, _ = date.fromordinal(day).isocalendar()
            week = weeks[day] = f"{year}-W{number:02d}"
        holdout = cutoff_us is not None and stamp >= cutoff_us
        yield line, week, Labelled(observation, fraud, holdout, signature, merchant)
