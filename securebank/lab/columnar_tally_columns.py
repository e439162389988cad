"""The columns a policy search reads beyond one observation, for `securebank.lab.columnar_tally`: each rule's
variant fields at every option the tuner's replay measures (`domain.rule_spec.Variants`: the velocity windows and
the merchant feed's windows), and the signature of every row (bit k: the grid's k-th candidate triggers on it).

A candidate is evaluated as the columnar replay evaluates a rule (`securebank.lab.columnar_rules.PREDICATES`, each
exact), on the columns of its option. The variants are those of the built-in catalogue: `covered` says whether a
grid is one these columns decide exactly (else the domain engine builds the history).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple, cast

import numpy as np
import polars as pl

from domain.catalogue import BUILT_IN, catalogue
from domain.merchant_risk import MerchantRisk
from domain.rule_spec import Variants
from domain.tuning import Candidate
from securebank.lab.columnar_features import CUSTOMER
from securebank.lab.columnar_rules import MAX_WINDOW_SECONDS, PREDICATES, covers

US_PER_SECOND, US_PER_DAY = 1_000_000, 86_400_000_000
ORDINAL_1970 = 719_163
"""`date(1970, 1, 1).toordinal()`: a UTC day's ordinal is this plus the days since the epoch."""
COLUMN = {"velocity_count": "velocity", "merchant_frauds": "merchant_frauds",
          "merchant_transactions": "merchant_transactions"}  # fmt: skip
"""The variant fields' columns (`columnar_features.observations`, `columnar_rows.merchant_columns`)."""
VARIED = ("velocity_check", "merchant_risk")
"""The built-in rules with variants: the columns measure these two."""


def options(rule: str) -> tuple[Any, ...]:
    """The options a rule's variants are measured at (none for a rule without variants)."""
    variants = catalogue()[rule].variants
    return () if variants is None else variants.options


def covered(grid: Mapping[str, Sequence[Candidate]]) -> bool:
    """Whether every candidate is a built-in rule the expressions decide exactly, at an option the columns measure
    (velocity windows up to the 24 h the profile keeps, merchant windows of positive length and lag >= 0)."""
    built_in = set(BUILT_IN.specs)
    for rule, candidates in grid.items():
        spec = catalogue()[rule]
        if spec not in built_in or rule not in PREDICATES or not all(covers(c.policy) for c in candidates):
            return False
        if rule == "velocity_check" and not all(0 < o <= MAX_WINDOW_SECONDS for o in options(rule)):
            return False
        if rule == "merchant_risk" and not all(w > 0 and lag >= 0 for w, lag in options(rule)):
            return False
    return True


def name(rule: str, option: int, column: str) -> str:
    return f"{rule}:{option}:{column}"


def velocity_windows(frame: pl.DataFrame, windows: Sequence[int]) -> pl.DataFrame:
    """`velocity_count` at each window (seconds) as columns: 1 + the customer's earlier rows with timestamp in
    (t - window, t], rows sorted by customer and line with timestamps in order (as `columnar_features`)."""
    if frame.is_empty():
        return frame.with_columns(pl.lit(1, pl.Int64).alias(name("velocity_check", i, "velocity"))
                                  for i in range(len(windows)))  # fmt: skip
    groups = frame.select((pl.col(CUSTOMER) != pl.col(CUSTOMER).shift(1)).fill_null(True).cast(pl.Int64).cum_sum())
    times = frame["epoch_us"].to_numpy()
    here = np.arange(frame.height)
    low, reach = int(times.min()), max(windows) * US_PER_SECOND
    key = groups.to_series().to_numpy() * (int(times.max()) - low + reach + 1) + (times - low)
    columns = {}
    for i, window in enumerate(windows):
        first = np.searchsorted(key, key - window * US_PER_SECOND, side="right")
        columns[name("velocity_check", i, "velocity")] = pl.Series(here - first + 1, dtype=pl.Int64)
    return frame.with_columns(**columns)


class ByPair(NamedTuple):
    """The merchant windows' columns per (merchant, UTC day) pair (`frame`; row 0: a merchant the feed does not
    know) and each row's pair (`where`): the merchant rule's bits are decided once per pair."""

    frame: pl.DataFrame
    where: np.ndarray


def merchant_windows(
    frame: pl.DataFrame, merchants: MerchantRisk, windows: Sequence[tuple[int, int]]
) -> tuple[pl.DataFrame, list[tuple[tuple[int, int], ...]], ByPair]:
    """`MerchantRisk.counts` of each row's merchant on its UTC day over each (window_days, lag_days), as columns
    (frauds known on the day and transactions over the days [day - lag - window, day - lag)), per row the pairs of
    every window (empty when the feed counts no transaction over any: `Labelled.merchant`), and the same columns
    per (merchant, day)."""
    names = [
        name("merchant_risk", i, c) for i in range(len(windows)) for c in ("merchant_frauds", "merchant_transactions")
    ]
    feed = {merchant: i for i, merchant in enumerate(merchants.merchants)}
    day = pl.col("epoch_us") // US_PER_DAY + ORDINAL_1970
    asked = frame.select(_m=pl.col("merchant_id").replace_strict(feed, default=-1, return_dtype=pl.Int64), _day=day)
    pairs = asked.filter(pl.col("_m") >= 0).unique().with_row_index("_q", offset=1)  # 0: no feed on the merchant
    counts = _counts(pairs, merchants, feed, windows)  # [pair][window][frauds, transactions]
    where = asked.join(pairs, on=["_m", "_day"], how="left", maintain_order="left")["_q"].fill_null(0).to_numpy()
    schema = dict.fromkeys(names, pl.Int64)
    columns = pl.DataFrame(counts[where].reshape(frame.height, len(names)), schema=schema, orient="row")
    by_pair = ByPair(pl.DataFrame(counts.reshape(len(counts), len(names)), schema=schema, orient="row"), where)
    told = cast("list[bool]", counts[:, :, 1].any(axis=1).tolist())
    frauds, transactions = counts[:, :, 0].tolist(), counts[:, :, 1].tolist()
    said = [
        tuple(zip(f, t, strict=True)) if any_ else () for f, t, any_ in zip(frauds, transactions, told, strict=True)
    ]
    return frame.with_columns(columns), [said[q] for q in where.tolist()], by_pair


def _counts(
    pairs: pl.DataFrame, merchants: MerchantRisk, feed: dict[str, int], windows: Sequence[tuple[int, int]]
) -> np.ndarray:
    """(frauds, transactions) per (merchant, day) pair (row 0: a merchant the feed does not know) and window."""
    out = np.zeros((pairs.height + 1, len(windows), 2), dtype=np.int64)
    if pairs.is_empty() or not windows:
        return out
    reach = max(w + lag for w, lag in windows)
    days = [(feed[m], d, e.transactions, e.known_from) for m, by_day in merchants.merchants.items()
            for d, e in by_day.items()]  # fmt: skip
    q_m, q_day = pairs["_m"].to_numpy(), pairs["_day"].to_numpy()
    base = min(min((d for _, d, _, _ in days), default=0), int(q_day.min()) - reach)
    span = max(max((d for _, d, _, _ in days), default=0), int(q_day.max())) - base + 2
    prefix = np.zeros((len(feed), span), dtype=np.int64)  # prefix[m, j]: transactions of days base .. base + j - 1
    for m, d, transactions, _ in days:
        prefix[m, d - base + 1] += transactions
    prefix = np.cumsum(prefix, axis=1)
    frauds = pl.DataFrame([(m, d, known) for m, d, _, known_from in days for known in known_from],
                          schema={"_m": pl.Int64, "_entry": pl.Int64, "_known": pl.Int64}, orient="row")  # fmt: skip
    near = pairs.join(frauds, on="_m", how="inner").filter(
        (pl.col("_day") - pl.col("_entry")).is_between(1, reach) & (pl.col("_known") <= pl.col("_day"))
    )
    known = np.zeros((pairs.height + 1, reach + 1), dtype=np.int64)  # known[q, k]: frauds of day - k known on day
    np.add.at(known, (near["_q"].to_numpy(), (near["_day"] - near["_entry"]).to_numpy()), 1)
    known = np.cumsum(known, axis=1)
    for i, (w, lag) in enumerate(windows):
        out[1:, i, 0] = known[1:, lag + w] - known[1:, lag]
        out[1:, i, 1] = prefix[q_m, q_day - lag - base] - prefix[q_m, q_day - lag - w - base]
    return out


def signatures(
    frame: pl.DataFrame, grid: Mapping[str, Sequence[Candidate]], by_pair: ByPair | None = None
) -> list[int]:
    """Each row's signature: bit k set when the k-th candidate of the grid (rules in policy order) triggers; the
    merchant rule's candidates (which read only the merchant window's columns) once per pair of `by_pair`."""
    groups: dict[tuple[str, int | None], list[tuple[int, Candidate]]] = {}
    position = 0
    for rule, candidates in grid.items():
        for member in candidates:
            groups.setdefault((rule, member.option), []).append((position, member))
            position += 1
    matrix = np.zeros((frame.height, max(position, 1)), dtype=np.bool_)
    for (rule, option), members in groups.items():
        per_pair = by_pair is not None and rule == "merchant_risk" and option is not None
        view, rows = (by_pair.frame, by_pair.where) if per_pair and by_pair is not None else (frame, None)
        if option is not None:
            fields = cast("Variants[Any]", catalogue()[rule].variants).fields
            view = view.with_columns(pl.col(name(rule, option, COLUMN[f])).alias(COLUMN[f]) for f in fields)
        triggered = view.select(PREDICATES[rule](m.setting).alias(str(p)) for p, m in members).to_numpy()
        matrix[:, [p for p, _ in members]] = triggered if rows is None else triggered[rows]
    packed = np.packbits(matrix, axis=1, bitorder="little")
    width, data = packed.shape[1], packed.tobytes()
    return [int.from_bytes(data[row * width : (row + 1) * width], "little") for row in range(frame.height)]
