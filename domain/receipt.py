"""When the pipeline received a transaction, and how far from that its own timestamp may be.

A client's timestamp is data, not a clock: it may be wrong or hostile. Every record carries the time the pipeline
received it (Kinesis' `approximateArrivalTimestamp`, the same on every redelivery), and a timestamp too far from it
is refused. The profile's memory is anchored on receipt times too, never on the newest client timestamp.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import NamedTuple

from attrs import frozen

from domain.model import InvalidTransaction, Transaction

DEFAULT_MAX_AHEAD = timedelta(days=1)
"""A timestamp may be at most this far after its receipt (clock skew, a terminal's wrong time zone)."""
DEFAULT_MAX_BEHIND = timedelta(days=30)
"""A timestamp may be at most this far before its receipt (offline terminals that upload late)."""


@frozen
class TimeBounds:
    max_ahead: timedelta = DEFAULT_MAX_AHEAD
    max_behind: timedelta = DEFAULT_MAX_BEHIND

    def check(self, txn: Transaction, received_at: datetime) -> None:
        """Raise InvalidTransaction("timestamp", ...) when the timestamp is out of bounds around `received_at`."""
        lag = received_at - txn.timestamp  # aware minus aware: exact, and never overflows
        if lag < -self.max_ahead:
            raise InvalidTransaction("timestamp", f"must be at most {_span(self.max_ahead)} after it was received")
        if lag > self.max_behind:
            raise InvalidTransaction("timestamp", f"must be at most {_span(self.max_behind)} before it was received")


class Received(NamedTuple):
    """A transaction and when the pipeline received it. A history replay receives each at its own timestamp.

    A NamedTuple: one is built per transaction on the replay's hot path."""

    transaction: Transaction
    at: datetime


def _span(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    if seconds % 86400 == 0:
        days = seconds // 86400
        return f"{days} day" + ("s" if days != 1 else "")
    if seconds % 3600 == 0:
        return f"{seconds // 3600} hours"
    return f"{seconds} seconds"
