"""The weekly job's replay on the executors: each customer's transactions in time order through the domain
(`domain.tuning.Replay`, the same profile evolution and observations as the processor), once; back to the driver
come the summed tally of rule signatures (holdout?, week, signature) -> [frauds, legits], which is small, and the
sampled feature rows the tree ensemble is fitted on (every fraud, 1 in k legitimate transactions weighted k:
jobs/learn_sample.py). Each partition signs its customers' examples with one `domain.tuning.Signer`, as `tune`
does: equal to `signature` (tests/property/test_tuning_shortcuts.py), and its memo serves every customer of the
partition."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from attrs import frozen
from pyspark import StorageLevel
from pyspark.sql import DataFrame
from pyspark.sql import functions as fn

from domain.merchant_risk import NO_MERCHANT_RISK, MerchantRisk
from domain.tuning import Candidate, Replay, Signer, Tally, holdout_start, iso_week
from jobs.learn_sample import MAX_ROWS, legit_step, sampled

if TYPE_CHECKING:  # scikit-learn is imported on the driver only, when it learns (never by the executors' replay)
    from domain.tuning import Example
    from jobs.learn_select import Example as LearnerExample

Row = tuple[float | None, ...]


def replay_partition(
    customers: Iterable[tuple[Any, Iterable[tuple[Any, ...]]]],
    grid: Mapping[str, Sequence[Candidate]],
    cutoff: datetime,
    merchants: MerchantRisk,
    step: int = 0,
) -> Iterator[tuple[bool, Any, Any]]:
    """`replay_customer` for each (customer_id, rows) of a partition, all signed by one Signer of `grid`."""
    sign = Signer(grid)
    for _, rows in customers:
        yield from replay_customer(rows, sign, cutoff, merchants, step)


def replay_customer(
    rows: Iterable[tuple[Any, ...]],
    sign: Callable[[Example], int],
    cutoff: datetime,
    merchants: MerchantRisk,
    step: int = 0,
) -> Iterator[tuple[bool, Any, Any]]:
    """One customer's (at, transaction_id, line, is_fraud) rows, each example signed by `sign` (a `Signer` of the
    grid) -> for each labelled transaction
    (False, (holdout, week, signature), (frauds, legits)), the merchant rule seeing what `merchants` knew of each
    merchant on each day; and, when `step` > 0, for each fraud and 1 in `step` legitimate ones
    (True, (time, customer_id, transaction_id), (feature row, fraud, holdout, signature, merchant patches, merchant
    category)) for the tree ensemble
    (jobs/learn_sample.py). One Replay per customer, so its repeated-id check keys on the identity (customer_id,
    transaction_id): another customer's same id is replayed."""
    from adapters.serialization import loads, parse_transaction
    from domain.features import vector
    from domain.model import InvalidTransaction

    replay = Replay(merchants)
    for _, _, line, is_fraud in sorted(rows, key=lambda row: (row[0], row[1])):
        try:
            txn = parse_transaction(loads(line))
        except (InvalidTransaction, ValueError):
            continue  # the processor quarantines such bodies; they never shaped a profile
        example = replay.observe(txn)
        if example is None or is_fraud is None:
            continue
        holdout, bits = txn.timestamp >= cutoff, sign(example)
        yield False, (holdout, iso_week(txn.timestamp), bits), (1, 0) if is_fraud else (0, 1)
        if step and (is_fraud or sampled(txn.customer_id, txn.transaction_id, step)):
            when = (txn.timestamp.astimezone(UTC), txn.customer_id, txn.transaction_id)
            row = vector(example.observation)
            patches = merchant_patches(example, row)
            yield True, when, (row, bool(is_fraud), holdout, bits, patches, txn.merchant_category)


def merchant_patches(example: Example, row: Row) -> tuple[tuple[tuple[int, float | None], ...], ...]:
    """For each merchant rule window (`MERCHANT_WINDOWS` order), the entries of the feature row that change when the
    merchant fields are read over that window (`merchant_patch` applies them); () when the feed said nothing of the
    merchant over any window (as `securebank.lab.tuning.Labelled.merchant`)."""
    from domain.catalogue import MERCHANT_RISK
    from domain.features import vector

    views = example.views.get(MERCHANT_RISK.name, ())
    if not any(view.merchant_transactions for view in views):
        return ()
    patches = []
    for view in views:
        other = vector(view)
        patches.append(tuple((j, v) for j, (v, base) in enumerate(zip(other, row, strict=True)) if v != base))
    return tuple(patches)


def merchant_patch(row: Row, patches: Sequence[Sequence[tuple[int, float | None]]], window: int) -> Row:
    """The feature row with the merchant fields over the `window`-th merchant rule window."""
    if not patches or not patches[window]:
        return row
    patched = list(row)
    for j, value in patches[window]:
        patched[j] = value
    return tuple(patched)


def holdout_cutoff(history: DataFrame, holdout: float) -> datetime | None:
    """The start of the holdout: the last `holdout` share of the labelled time span (None without labels)."""
    span = history.where("is_fraud IS NOT NULL").agg(fn.min("at").alias("first"), fn.max("at").alias("last"))
    first, last = span.first() or (None, None)
    if first is None or last is None:
        return None
    return holdout_start(_utc(first), _utc(last), holdout)


@frozen
class Replayed:
    """What the replay brings back to the driver: the summed tally, its counts, and the sampled rows in time order
    (each fraud, 1 in `step` legitimate transactions weighted `step`; none when `step` is 0): (feature row, fraud,
    holdout, signature, merchant patches, merchant category)."""

    tally: Tally
    meta: dict[str, Any]
    rows: tuple[tuple[Any, ...], ...] = ()
    step: int = 0

    def examples(self, window: tuple[int, int]) -> tuple[LearnerExample, ...]:
        """The learner's examples with the merchant fields over that merchant rule window (days, lag days): the
        one the written policy keeps, so that its model reads in production what it was fitted on (as `tune`)."""
        from domain.catalogue import MERCHANT_WINDOWS
        from jobs.learn_select import Example as Learned

        at = MERCHANT_WINDOWS.index(window)
        return tuple(
            Learned(merchant_patch(row, patches, at), fraud, holdout, bits, 1 if fraud else self.step, category)
            for row, fraud, holdout, bits, patches, category in self.rows
        )


def build_tally(
    history: DataFrame,
    grid: Mapping[str, Sequence[Candidate]],
    holdout: float,
    merchants: MerchantRisk = NO_MERCHANT_RISK,
) -> tuple[Tally, dict[str, Any]]:
    """The tally alone (`replay_history` without rows)."""
    replayed = replay_history(history, grid, holdout, merchants, at_most=0)
    return replayed.tally, replayed.meta


def replay_history(
    history: DataFrame,
    grid: Mapping[str, Sequence[Candidate]],
    holdout: float,
    merchants: MerchantRisk = NO_MERCHANT_RISK,
    at_most: int = MAX_ROWS,
) -> Replayed:
    """Replay grouped by customer on the executors (`merchants` broadcast to them), once (persisted); the summed
    tally and at most about `at_most` feature rows (jobs/learn_sample.py) come back to the driver."""
    cutoff = holdout_cutoff(history, holdout)
    if cutoff is None:
        return Replayed({}, {"labelled": 0})
    step = _step(history, at_most) if at_most > 0 else 0
    feed = history.sparkSession.sparkContext.broadcast(merchants)
    replayed = (
        history.select("customer_id", "at", "transaction_id", "value", "is_fraud")
        .rdd.map(lambda r: (r[0], (_utc(r[1]), r[2], r[3], r[4])))
        .groupByKey()
        .mapPartitions(lambda customers: replay_partition(customers, grid, cutoff, feed.value, step))
        .persist(StorageLevel.MEMORY_AND_DISK)
    )
    try:
        sums = (
            replayed.filter(lambda r: not r[0])
            .map(lambda r: (r[1], r[2]))
            .reduceByKey(lambda a, b: (a[0] + b[0], a[1] + b[1]))
            .collect()
        )
        rows = replayed.filter(lambda r: r[0]).map(lambda r: (r[1], r[2])).collect() if step else []
    finally:
        replayed.unpersist()
        feed.unpersist()
    tally: Tally = {key: [frauds, legits] for key, (frauds, legits) in sums}
    labelled_once = sum(frauds + legits for frauds, legits in tally.values())  # each transaction once
    transactions = history.select("customer_id", "transaction_id").distinct().count()
    meta = {"transactions": transactions, "labelled": labelled_once, "holdout_from": cutoff.isoformat()}
    return Replayed(tally, meta, tuple(row for _, row in sorted(rows, key=lambda r: r[0])), step)


def _step(history: DataFrame, at_most: int) -> int:
    """The legitimate rows' sampling step, from the labelled transactions' counts (distinct identities)."""
    labelled = history.where("is_fraud IS NOT NULL").select("customer_id", "transaction_id", "is_fraud").distinct()
    counts = {row["is_fraud"]: row["count"] for row in labelled.groupBy("is_fraud").count().collect()}
    return legit_step(counts.get(True, 0), counts.get(False, 0), at_most)


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC)  # the session time zone is UTC: Spark hands back naive UTC datetimes
