"""A workload of the differential harness: the records producers put on the stream, when Kinesis received each,
and which adversarial input classes each one exercises.

The stream is consumed in waves: a wave's records are put, then drained, before the next wave arrives. Receipt
times are Kinesis' `approximateArrivalTimestamp` (whole milliseconds, non-decreasing), chosen by the workload so
that timestamps can sit exactly on a receipt bound. Both paths receive each record at the same time.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timedelta

from attrs import frozen

DESCRIBED_CHARACTERS = 300  # of a line, in a disagreement report

# Input classes, counted in the coverage table. A line may be in several.
SHARED_ID = "id shared across customers"
IDENTICAL_RESUBMISSION = "identical resubmission"
CONFLICTING_RESUBMISSION = "conflicting resubmission"
AT_BOUND = "timestamp at a receipt bound"
BEYOND_BOUND = "timestamp beyond a receipt bound"
EXTREME_INSTANT = "extreme instant (year 1 or 9999)"
OUT_OF_ORDER = "out-of-order timestamp"
BURST = "burst record (customer with >99 in a row)"
TWO_CUSTOMER_BURST = "burst record (two customers taking turns)"
TELEPORT = "same customer, same instant, elsewhere"
OFFSET_PREFIX = "offset "
CURRENCY_PREFIX = "currency "
POISON_PREFIX = "poison: "

CURRENCIES = ("USD", "EUR", "JPY")

OFFSETS = tuple(sorted({timedelta(hours=h) for h in range(-12, 15)} | {
    timedelta(hours=h, minutes=m) if h >= 0 else timedelta(hours=h, minutes=-m)
    for h, m in ((-9, 30), (-3, 30), (3, 30), (4, 30), (5, 30), (5, 45), (6, 30), (8, 45), (9, 30), (10, 30),
                 (12, 45), (13, 45))
}))  # fmt: skip
"""Every UTC offset in use, -12:00 to +14:00 (whole hours and the half and quarter hours of real zones)."""


def offset_name(offset: timedelta) -> str:
    minutes = int(offset.total_seconds()) // 60
    return f"{'-' if minutes < 0 else '+'}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


@frozen
class Line:
    """One stream record: its data as the producer wrote it, and when Kinesis received it."""

    data: bytes
    partition_key: str
    received_at: datetime
    classes: frozenset[str] = frozenset()

    def describe(self) -> str:
        text = self.data.decode("utf-8", "backslashreplace")
        if len(text) > DESCRIBED_CHARACTERS:
            text = f"{text[:DESCRIBED_CHARACTERS]}... ({len(self.data)} bytes)"
        return f"at {self.received_at.isoformat()} [{', '.join(sorted(self.classes))}] {text}"


@frozen
class Workload:
    """Waves of lines; line numbers (1-based) run across waves in stream order."""

    waves: tuple[tuple[Line, ...], ...]

    @property
    def lines(self) -> tuple[Line, ...]:
        return tuple(line for wave in self.waves for line in wave)

    def numbered(self) -> Iterator[tuple[int, Line]]:
        return enumerate(self.lines, start=1)

    def classes(self) -> Counter[str]:
        return Counter(c for line in self.lines for c in line.classes)

    def describe(self) -> str:
        out = []
        number = 0
        for index, wave in enumerate(self.waves):
            out.append(f"wave {index + 1} ({len(wave)} records)")
            for line in wave:
                number += 1
                out.append(f"  {number:4d} {line.describe()}")
        return "\n".join(out)
