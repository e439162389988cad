"""Local time: a customer's zone by name, the offset a first payment brings, and what counts as night."""

from __future__ import annotations

from datetime import datetime, time, timedelta, tzinfo
from datetime import timezone as dt_timezone
from functools import cache
from zoneinfo import ZoneInfo

DAY_START, DAY_END = time(6), time(22)
"""Night is local time outside [DAY_START, DAY_END): the specification's day hours."""


def is_night(local_time: time) -> bool:
    """Whether a local time is outside the day hours [DAY_START, DAY_END)."""
    return not DAY_START <= local_time < DAY_END


@cache
def zone(name: str) -> tzinfo:
    """An IANA zone name, or a fixed offset written "+HH:MM" / "-HH:MM"."""
    if name[:1] in "+-":
        hours, minutes = int(name[1:3]), int(name[4:6])
        delta = timedelta(hours=hours, minutes=minutes)
        return dt_timezone(-delta if name[0] == "-" else delta)
    return ZoneInfo(name)


def offset_name(moment: datetime) -> str:
    """ "UTC" or a fixed offset such as "+09:00" or "-05:30"."""
    offset = moment.utcoffset()
    if not offset:
        return "UTC"
    minutes = int(offset.total_seconds()) // 60
    sign = "-" if minutes < 0 else "+"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"
