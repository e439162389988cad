"""Columnar parsing of transaction lines: one strict regex over the canonical POST body, the domain's parser for
everything else.

A line is read in columns only when it has exactly the canonical shape: the eight keys in the order producers write
them (so no key twice and no other key), ids and the category in their charsets (no escapes possible), an amount
string or number with at most four decimals (those beyond the currency's minor units zero), a timestamp
`YYYY-MM-DDTHH:MM:SS[.f{1,6}](Z|+HH:MM)` with a real date, years 1971 to 8998 and an offset from -12:00 to +14:00,
coordinates with a fraction and no exponent, in range. Such a line is surely accepted by `adapters.records.
parse_record`, with the same values (the property test checks it). Every other line is parsed by `parse_record`
itself, so a rejection names the domain's field and reason.

A parsed transaction is a row: line, ids, `amount_minor` (the amount in the currency's minor units), `units`
(the currency's decimals), `epoch_us` (the instant in microseconds), `offset_min` (the offset it was written in),
`lat`, `lon`, and `fast` (read in columns).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

import polars as pl

from adapters.records import parse_record
from domain.currency import MINOR_UNITS
from domain.model import InvalidTransaction, Transaction

_W = r"[ \t\r\n]*"
_ID = r'"[A-Za-z0-9_-]{1,64}"'
_NUMBER = r"(?:0|[1-9][0-9]{0,12})(?:\.[0-9]{1,4})?"
_AMOUNT = f'(?:"{_NUMBER}"|{_NUMBER})'
_STAMP = r'"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]{1,6})?(?:Z|[+-][0-9]{2}:[0-9]{2})"'
_COORD = r"-?(?:0|[1-9][0-9]{0,2})\.[0-9]{1,17}"


def _key(name: str, value: str) -> str:
    return f'{_W}"{name}":{_W}{value}{_W}'


CANONICAL = (
    "^" + _W + r"\{"
    + ",".join((_key("transaction_id", _ID), _key("customer_id", _ID), _key("amount", _AMOUNT),
                _key("currency", '"[A-Z]{3}"'), _key("merchant_id", _ID),
                _key("merchant_category", '"[a-z0-9_]{1,64}"'), _key("timestamp", _STAMP),
                _key("location", r"\{" + _key("latitude", _COORD) + "," + _key("longitude", _COORD) + r"\}")))
    + r"\}" + _W + "$"
)  # fmt: skip
"""The canonical body (compact or spaced JSON). No capture group: a match is a DFA's scan."""
VALUES = ("transaction_id", "customer_id", "amount", "currency", "merchant_id", "merchant_category", "timestamp",
          "lat", "lon")  # fmt: skip
"""A canonical line's values in order. Once its quotes, braces and blanks are removed, a canonical line is
`transaction_id:X,customer_id:Y,...,location:latitude:A,longitude:B`: no value of that shape holds a comma, a quote,
a brace or a blank, so it splits on commas, and each part is its value after a known prefix."""
_PREFIXES = ("transaction_id:", "customer_id:", "amount:", "currency:", "merchant_id:", "merchant_category:",
             "timestamp:", "location:latitude:", "longitude:")  # fmt: skip
_PUNCTUATION = r'[{}" \t\r\n]'
_BLANK = r"[ \t\r]"
"""A blank, or a newline anywhere but at a line's end, in any line of a file: then every line loses its braces,
quotes and blanks (a regex pass); else only its quotes (a literal pass, three times faster), and the braces left in
three parts go with the prefixes (`_COMPACT_PREFIXES`) and the last part's end. (Checked by a one-class regex and a
count of newlines: one regex with both took ten times as long.)"""
_COMPACT_PREFIXES = ("{transaction_id:", *_PREFIXES[1:7], "location:{latitude:", "longitude:")
_S, _I, _F = pl.String, pl.Int64, pl.Float64
SCHEMA = {"line": _I, "transaction_id": _S, "customer_id": _S, "amount_minor": _I, "units": _I, "currency": _S,
          "merchant_id": _S, "merchant_category": _S, "epoch_us": _I, "offset_min": _I, "lat": _F, "lon": _F,
          "fast": pl.Boolean}  # fmt: skip
_MIN_YEAR, _MAX_YEAR = 1971, 8998
FEBRUARY = 2
_MAX_OFFSET_MIN, _MIN_OFFSET_MIN = 14 * 60, -12 * 60
_MAX_AMOUNT_E4 = 99_999_999_999_999_900
"""domain.model.MAX_AMOUNT in units of 0.0001."""
_US_PER_MINUTE, _US_PER_DAY = 60_000_000, 86_400_000_000
_UNITS = pl.DataFrame({"currency": list(MINOR_UNITS), "units": list(MINOR_UNITS.values())},
                      schema={"currency": pl.String, "units": pl.Int64})  # fmt: skip
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _int(name: str) -> pl.Expr:
    return pl.col(name).cast(pl.Int64)


def _days_from_civil() -> pl.Expr:
    """Days since 1970-01-01 of the proleptic Gregorian (year, month, day) (H. Hinnant's algorithm)."""
    y = _int("year") - (_int("month") <= FEBRUARY).cast(pl.Int64)
    era = y // 400
    yoe = y - era * 400
    m = _int("month")
    doy = (153 * (m + pl.when(m > FEBRUARY).then(-3).otherwise(9)) + 2) // 5 + _int("day") - 1
    return era * 146_097 + yoe * 365 + yoe // 4 - yoe // 100 + doy - 719_468


def _month_days() -> pl.Expr:
    y, m = _int("year"), _int("month")
    leap = (y % 4 == 0) & ((y % 100 != 0) | (y % 400 == 0))
    return (
        pl.when(m == FEBRUARY).then(pl.when(leap).then(29).otherwise(28))
        .when(m.is_in([4, 6, 9, 11])).then(30).otherwise(31)
    )  # fmt: skip


def _offset_minutes() -> pl.Expr:
    zone = pl.col("zone")
    sign = pl.when(zone.str.slice(0, 1) == "-").then(-1).otherwise(1)
    hours, minutes = (
        zone.str.slice(1, 2).cast(pl.Int64, strict=False),
        zone.str.slice(4, 2).cast(pl.Int64, strict=False),
    )
    return pl.when(zone == "Z").then(0).otherwise(sign * (hours * 60 + minutes))


def _columns(frame: pl.DataFrame) -> pl.DataFrame:
    """The canonical lines' values, and `fast`: whether the line is surely valid (else it is parsed again)."""
    fraction = pl.col("fraction").fill_null("").str.pad_end(4, "0").cast(pl.Int64)
    scale = pl.lit(10, pl.Int64).pow(4 - pl.col("units"))
    micros = pl.col("micros").fill_null("").str.pad_end(6, "0").cast(pl.Int64)
    clock = (_int("hour") * 3600 + _int("minute") * 60 + _int("second")) * 1_000_000 + micros
    out = frame.with_columns(offset_min=_offset_minutes(), amount_e4=_int("whole") * 10_000 + fraction).with_columns(
        amount_minor=pl.col("amount_e4") // scale,
        epoch_us=_days_from_civil() * _US_PER_DAY + clock - pl.col("offset_min") * _US_PER_MINUTE,
        lat=pl.col("lat").cast(pl.Float64),
        lon=pl.col("lon").cast(pl.Float64),
    )
    sure = (
        pl.col("units").is_not_null()
        & (pl.col("amount_e4") % scale == 0) & (pl.col("amount_e4") > 0) & (pl.col("amount_e4") <= _MAX_AMOUNT_E4)
        & _int("year").is_between(_MIN_YEAR, _MAX_YEAR) & _int("month").is_between(1, 12)
        & (_int("day") >= 1) & (_int("day") <= _month_days())
        & (_int("hour") <= 23) & (_int("minute") <= 59) & (_int("second") <= 59)  # noqa: PLR2004 clock limits
        & (pl.col("zone").str.slice(4, 2).cast(pl.Int64, strict=False).fill_null(0) <= 59)  # noqa: PLR2004
        & pl.col("offset_min").is_between(_MIN_OFFSET_MIN, _MAX_OFFSET_MIN)
        & (pl.col("lat").abs() <= 90.0) & (pl.col("lon").abs() <= 180.0)  # noqa: PLR2004 the coordinates' ranges
    )  # fmt: skip
    return out.with_columns(fast=sure.fill_null(False))


def _values(frame: pl.DataFrame) -> pl.DataFrame:
    """The values of canonical lines, split as the fields `_columns` reads (null on other lines)."""
    text = pl.col("text")
    newlines = text.str.count_matches("\n", literal=True) - text.str.ends_with("\n").cast(pl.UInt32)
    compact = not frame.select((text.str.contains(_BLANK) | (newlines > 0)).any()).item()
    flat = text.str.replace_all('"', "", literal=True) if compact else text.str.replace_all(_PUNCTUATION, "")
    parts = pl.when(text.str.contains(CANONICAL)).then(flat).str.split_exact(",", len(VALUES) - 1)
    values = frame.select("line", parts.struct.rename_fields(list(VALUES))).unnest("text")
    prefixes = zip(VALUES, _COMPACT_PREFIXES if compact else _PREFIXES, strict=True)
    values = values.with_columns(pl.col(n).str.strip_prefix(p) for n, p in prefixes)
    if compact:
        values = values.with_columns(pl.col("lon").str.strip_chars_end("}\n"))
    stamp = pl.col("timestamp")
    zone = pl.when(stamp.str.ends_with("Z")).then(pl.lit("Z")).otherwise(stamp.str.slice(-6))
    rest = stamp.str.len_bytes() - 19 - zone.str.len_bytes()  # "" or "." and the fraction's digits
    amount = pl.col("amount").str.split_exact(".", 1).struct.rename_fields(["whole", "fraction"])
    return values.with_columns(
        year=stamp.str.slice(0, 4), month=stamp.str.slice(5, 2), day=stamp.str.slice(8, 2),
        hour=stamp.str.slice(11, 2), minute=stamp.str.slice(14, 2), second=stamp.str.slice(17, 2),
        micros=pl.when(rest > 0).then(stamp.str.slice(20, rest - 1)), zone=zone, amount=amount,
    ).unnest("amount")  # fmt: skip


def read_fast(numbers: list[int], texts: list[str]) -> pl.DataFrame:
    """Every line with the columns of SCHEMA; `fast` is False for a line the regex cannot vouch for."""
    try:
        frame = pl.DataFrame({"line": numbers, "text": texts}, schema={"line": pl.Int64, "text": pl.String})
    except UnicodeEncodeError:  # a line kept with surrogates (bytes that are not UTF-8) is never canonical
        ascii_only = [text if text.isascii() else "" for text in texts]
        frame = pl.DataFrame({"line": numbers, "text": ascii_only}, schema={"line": pl.Int64, "text": pl.String})
    values = _values(frame).join(_UNITS, on="currency", how="left", maintain_order="left")
    return _columns(values).select(list(SCHEMA))


def to_row(number: int, txn: Transaction) -> dict[str, object]:
    """A transaction parsed by the domain, as a row of SCHEMA (`fast` False)."""
    t = txn.timestamp
    offset = t.utcoffset()
    units = MINOR_UNITS[txn.currency]
    delta = t - _EPOCH
    return {
        "line": number, "transaction_id": txn.transaction_id, "customer_id": txn.customer_id,
        "amount_minor": int(txn.amount.scaleb(units)), "units": units, "currency": txn.currency,
        "merchant_id": txn.merchant_id, "merchant_category": txn.merchant_category,
        "epoch_us": (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds,
        "offset_min": None if offset is None or offset.total_seconds() % 60 else int(offset.total_seconds()) // 60,
        "lat": txn.location.latitude, "lon": txn.location.longitude, "fast": False,
    }  # fmt: skip


def parse_lines(lines: Iterable[tuple[int, str]]) -> tuple[pl.DataFrame, list[tuple[int, str, str]]]:
    """The transactions of numbered lines, in line order, and the (line, field, reason) of each rejected line.

    `offset_min` is null for a domain-parsed timestamp whose offset is not whole minutes (its customer is then
    replayed by the domain engine)."""
    pairs = list(lines)
    numbers, texts = ([number for number, _ in pairs], [text for _, text in pairs])
    frame = read_fast(numbers, texts)
    fast = frame.filter(pl.col("fast"))
    slow_rows, rejected = [], []
    for position in frame.select(pl.arg_where(~pl.col("fast"))).to_series().to_list():
        number = numbers[position]
        try:
            slow_rows.append(to_row(number, parse_record(texts[position])))
        except InvalidTransaction as exc:
            rejected.append((number, exc.field, exc.reason))
    if slow_rows:
        fast = pl.concat([fast, pl.DataFrame(slow_rows, schema=SCHEMA)]).sort("line")
    return fast, rejected
