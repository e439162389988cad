"""The signals learned models read (`domain.observation.Observation` after `merchant_frauds`), in columns, for the
customers whose history the columns follow (`columnar_features`: timestamps in order, so arrival order is time
order and each payment is received at its own timestamp).

In order, the profile's bounded memory (domain/profile.py, domain/spending.py) forgets nothing these columns read,
except in the histories `signals_need_domain` sends to the domain engine:
- more than CATEGORY_AMOUNTS_LIMIT (category, currency) pairs (the least recent pair's statistics are dropped);
- more than DAY_TOTALS_LIMIT // DAYS_KEPT currencies (day totals are kept per UTC day and currency, for the day of
  the latest payment and the DAYS_KEPT - 1 before: with two currencies at most DAY_TOTALS_LIMIT of them);
- more than RECENT_LIMIT earlier payments in the 24 h before a payment (the recent window is capped);
- an amount total of 2**53 minor units or more (then a float of an amount or a sum could be rounded twice).
Without those, the recent window holds every payment of the last 24 h (it drops only those 24 h older than the
latest), the day totals every payment of the last 7 UTC days, and the category statistics the whole history.
Merchants seen are the last MERCHANT_LIMIT distinct merchants, followed exactly (in Python, for the customers with
more distinct merchants than that). Sums are integers in minor units.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from domain.profile import HIGH_HISTORY, HIGH_MULTIPLE, MERCHANT_LIMIT, RECENT_LIMIT, RUN_LENGTH
from domain.spending import CATEGORY_AMOUNTS_LIMIT, DAY_TOTALS_LIMIT, DAYS_KEPT

CUSTOMER = "customer_id"
_US_PER_HOUR = 3_600_000_000
_US_PER_DAY = 24 * _US_PER_HOUR
_WEEK_DAYS = 7
_DAY_START_US, _DAY_END_US = 6 * _US_PER_HOUR, 22 * _US_PER_HOUR
"""domain.local_time's DAY_START and DAY_END (whole hours, asserted in domain/profile.py)."""
FLOAT_EXACT = 2**53
"""Integers below this are floats exactly."""
_KEY_LIMIT = 2**62


def signals_need_domain(frame: pl.DataFrame) -> pl.Series:
    """The customers (of decided rows sorted by customer and line, timestamps in order) whose signals the columns
    cannot follow (see the module docstring)."""
    per = frame.group_by(CUSTOMER).agg(total=pl.col("amount_minor").cast(pl.Float64).sum())
    bad = per.filter(pl.col("total") >= FLOAT_EXACT)[CUSTOMER]
    rest = frame.filter(~pl.col(CUSTOMER).is_in(bad.implode()))
    if rest.is_empty():
        return bad
    groups = _groups(rest, [CUSTOMER])
    times = rest["epoch_us"].to_numpy()
    here = np.arange(rest.height)
    recent = here - _first_in_window(groups, times, _US_PER_DAY) + 1
    days = times // _US_PER_DAY
    day = rest.select(CUSTOMER, "currency", _day=pl.col("epoch_us") // _US_PER_DAY)
    kept: np.ndarray = np.cumsum(previous(day, [CUSTOMER, "_day", "currency"]) < 0)  # (day, currency) totals opened
    first = _first_in_window(groups, days, DAYS_KEPT)
    opened = kept - np.where(first > 0, kept[np.maximum(first - 1, 0)], 0)
    crowded = rest.filter(pl.Series((recent > RECENT_LIMIT + 1) | (opened > DAY_TOTALS_LIMIT)))[CUSTOMER].unique()
    return pl.concat([bad, crowded]).unique()


def _groups(frame: pl.DataFrame, by: list[str]) -> np.ndarray:
    """0, 1, 2 ... per run of equal `by` values (rows sorted by them)."""
    change = pl.any_horizontal([(pl.col(c) != pl.col(c).shift(1)).fill_null(True) for c in by])
    return frame.select(change.cast(pl.Int64).cum_sum() - 1).to_series().to_numpy()


def _first_in_window(groups: np.ndarray, times: np.ndarray, window: int) -> np.ndarray:
    """For each row, the first row of its group with time in (t - window, t] (rows sorted by group, then time):
    one sorted search over a key that keeps groups apart."""
    if len(times) == 0:
        return np.zeros(0, dtype=np.int64)
    low = int(times.min())
    span = int(times.max()) - low + window + 1
    if (int(groups.max()) + 1) * span >= _KEY_LIMIT:
        raise OverflowError("the replay's time span is too long for one sorted key")
    key = groups * span + (times - low)
    first: np.ndarray = np.searchsorted(key, key - window, side="right").astype(np.int64)
    return first


def _windows(frame: pl.DataFrame, by: list[str], value: str, sums: bool) -> dict[str, np.ndarray]:
    """Per row, over its `by` group's rows up to it (itself included): the count (or the sum of amount_minor) of
    those with epoch_us in the last hour and 24 h, and of those dated (UTC) its day or the 6 before."""
    groups = _groups(frame, by)
    times = frame["epoch_us"].to_numpy()
    days = times // _US_PER_DAY
    here = np.arange(frame.height)
    amounts = frame["amount_minor"].to_numpy()
    # the sum of the rows before, over all groups: a difference within one group is that group's sum (int64 wraps
    # modulo 2**64 past 2**63, and the difference of two wrapped sums is still exact: it is below 2**53)
    before = np.cumsum(amounts) - amounts
    out = {}
    for name, first in (
        (f"{value}_1h", _first_in_window(groups, times, _US_PER_HOUR)),
        (f"{value}_24h", _first_in_window(groups, times, _US_PER_DAY)),
        (f"{value}_7d", _first_in_window(groups, days, _WEEK_DAYS)),
    ):
        out[name] = before - before[first] + amounts if sums else here - first + 1
    return out


def _smallest_before(frame: pl.DataFrame) -> np.ndarray:
    """Per row (sorted by customer, currency, then time), the smallest amount_minor of the earlier rows of its
    customer and currency with epoch_us in the last 24 h; 0 when there is none (`Observation.min_24h`). A window holds
    at most RECENT_LIMIT earlier rows (more go to the domain engine), so a pass per earlier position is enough."""
    groups = _groups(frame, [CUSTOMER, "currency"])
    times = frame["epoch_us"].to_numpy()
    amounts = frame["amount_minor"].to_numpy()
    here = np.arange(frame.height)
    earlier = here - _first_in_window(groups, times, _US_PER_DAY)
    least = np.zeros(frame.height, dtype=amounts.dtype)
    for back in range(1, int(earlier.max(initial=0)) + 1):
        candidate = amounts[np.maximum(here - back, 0)]
        least = np.where((earlier >= back) & ((least == 0) | (candidate < least)), candidate, least)
    return least


def signals(frame: pl.DataFrame) -> pl.DataFrame:
    """The signal columns of decided rows (sorted by customer and line) of customers the columns follow, with the
    rules' columns (`columnar_features.observations`: prior_count, prior_total, history_count, local_us) present."""
    frame = frame.with_columns(pl.DataFrame(_windows(frame, [CUSTOMER], "count", sums=False)))
    order = np.argsort(group_key(frame, [CUSTOMER, "currency"]), kind="stable")  # by customer, currency, line
    by_currency = frame.select(CUSTOMER, "currency", "epoch_us", "amount_minor")[order]
    sums = {}
    by_currency_columns = _windows(by_currency, [CUSTOMER, "currency"], "sum", sums=True)
    by_currency_columns["min_24h"] = _smallest_before(by_currency)
    for name, values in by_currency_columns.items():
        sums[name] = np.empty_like(values)
        sums[name][order] = values
    frame = frame.with_columns(pl.DataFrame(sums))
    earlier = pl.col("epoch_us").shift(1).over(CUSTOMER) > pl.col("epoch_us") - _US_PER_DAY
    same = (pl.col("currency").shift(1).over(CUSTOMER) == pl.col("currency")) & earlier
    frame = frame.with_columns(
        previous_amount=pl.when(same).then(pl.col("amount_minor").shift(1).over(CUSTOMER)).otherwise(0)
    )
    pair = [CUSTOMER, "merchant_category", "currency"]
    restart = ~_kept(frame, ["merchant_category", "currency"], CATEGORY_AMOUNTS_LIMIT).to_numpy()
    count, total = _since_restart(frame, pair, restart)  # a pair's statistics since it was last (re)started
    amount = pl.col("amount_minor").cast(pl.Int128)
    frame = frame.with_columns(
        category_count=pl.Series(count),
        category_total=pl.Series(total),
        account_age_days=(pl.col("epoch_us") - pl.col("epoch_us").first().over(CUSTOMER)) // _US_PER_DAY,
        night=~pl.col("local_us").is_between(_DAY_START_US, _DAY_END_US, closed="left"),
    )
    category, prior = pl.col("category_count"), pl.col("prior_count")
    high = (
        pl.when(category >= HIGH_HISTORY)
        .then(amount * category > HIGH_MULTIPLE * pl.col("category_total").cast(pl.Int128))
        .when(prior >= HIGH_HISTORY)
        .then(amount * prior > HIGH_MULTIPLE * pl.col("prior_total").cast(pl.Int128))
        .otherwise(False)
    )
    frame = frame.with_columns(high=high)
    frame = frame.with_columns(merchant_seen=_kept(frame, ["merchant_id"], MERCHANT_LIMIT))
    frame = frame.with_columns(new=~pl.col("merchant_seen"))
    runs = {}
    for flag in ("high", "night", "new"):
        earlier = (pl.col(flag).cast(pl.Int64).cum_sum() - pl.col(flag).cast(pl.Int64)).over(CUSTOMER)
        runs[f"{flag}_before"] = earlier
    frame = frame.with_columns(**runs)
    frame = frame.with_columns(
        recent_high=pl.col("high_before") - pl.col("high_before").shift(RUN_LENGTH).over(CUSTOMER).fill_null(0),
        recent_night=pl.col("night_before") - pl.col("night_before").shift(RUN_LENGTH).over(CUSTOMER).fill_null(0),
        recent_new=pl.col("new_before") - pl.col("new_before").shift(RUN_LENGTH).over(CUSTOMER).fill_null(0),
        night_count=pl.col("night_before"),
        recent_new_1h=_new_in_hour(),
    )
    return frame.drop("high", "night", "new", "high_before", "night_before", "new_before")


def _new_in_hour() -> pl.Expr:
    """Of the customer's last RUN_LENGTH earlier rows, those with `new` set among as many as count_1h holds."""
    in_hour = pl.col("count_1h") - 1
    return pl.sum_horizontal(
        pl.when(in_hour >= back).then(pl.col("new").shift(back).over(CUSTOMER).cast(pl.Int64)).otherwise(0).fill_null(0)
        for back in range(1, RUN_LENGTH + 1)
    )


def _since_restart(frame: pl.DataFrame, by: list[str], restart: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per row, how many rows of its `by` group came before it since the group's last restart (a row that restarts
    counts from none; the group's first row always restarts), and the sum of their amount_minor."""
    order = np.argsort(group_key(frame, by), kind="stable")
    here = np.arange(frame.height)
    start = np.maximum.accumulate(np.where(restart[order], here, 0))
    amounts = frame["amount_minor"].to_numpy()[order]
    sums = np.cumsum(amounts)
    count, total = np.empty_like(here), np.empty_like(amounts)
    count[order] = here - start
    total[order] = sums - amounts - (sums[start] - amounts[start])
    return count, total


def _codes(column: pl.Series) -> np.ndarray:
    """Small non-negative integers, equal exactly where the values are: an integer's offset from the smallest, or a
    string's categorical code."""
    if column.dtype.is_integer():
        values = column.cast(pl.Int64).to_numpy()
        return values - values.min() if len(values) else values
    codes: np.ndarray = column.cast(pl.String).cast(pl.Categorical).to_physical().cast(pl.Int64).to_numpy()
    return codes


def group_key(frame: pl.DataFrame, by: list[str]) -> np.ndarray:
    """Per row, an integer equal exactly where the `by` values are."""
    key = np.zeros(frame.height, dtype=np.int64)
    for name in by:
        code = _codes(frame[name])
        size = int(code.max()) + 1 if len(code) else 1
        if int(key.max(initial=0)) >= _KEY_LIMIT // size:
            raise OverflowError("too many distinct values for one integer key")
        key = key * size + code
    return key


def previous(frame: pl.DataFrame, by: list[str]) -> np.ndarray:
    """Per row, the row before it with the same `by` values (-1 when none): one stable sort of an integer key made
    of the values' codes (a grouped shift over strings took ten times as long)."""
    key = group_key(frame, by)
    order = np.argsort(key, kind="stable")
    same = key[order[1:]] == key[order[:-1]]
    prev = np.full(frame.height, -1, dtype=np.int64)
    prev[order[1:][same]] = order[:-1][same]
    return prev


def _kept(frame: pl.DataFrame, by: list[str], limit: int) -> pl.Series:
    """Whether the row's `by` values were among the customer's last `limit` distinct ones before it (a list kept
    most recent first and cut at `limit`, as `domain.spending.most_recent_first` keeps merchants).

    A value last seen at row p is still kept at row i when fewer than `limit` distinct values came in between (each
    one seen since p stands ahead of it in the list; nothing else does). So a row without an earlier one is not
    kept, one less than `limit` rows after it is, and for the others the distinct values in between are counted,
    all rows in step: row j brings a new one when its own previous occurrence is at or before p."""
    prev = previous(frame, [CUSTOMER, *by])
    kept = prev >= 0
    far = np.flatnonzero(kept & (np.arange(len(prev)) - prev > limit))
    start, count, active, step = prev[far], np.zeros(len(far), dtype=np.int64), np.arange(len(far)), 1
    while active.size:
        row = start[active] + step
        active, row = active[row < far[active]], row[row < far[active]]  # reached row i: still kept
        count[active] += prev[row] <= start[active]
        full = count[active] >= limit
        kept[far[active[full]]] = False
        active, step = active[~full], step + 1
    return pl.Series(kept, dtype=pl.Boolean)
