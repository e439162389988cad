"""A customer's habits as the profile keeps them for the learned signals: whether a payment is high for the customer
or at night in their zone, and runs of such payments as bit masks of the last RUN_LENGTH, newest in bit 0.

`domain.profile.apply_unseen` asks these of each payment against the profile before it; `domain.observation` counts
the masks' bits (`recent_high`, `recent_night`). The columnar replay (securebank/lab/columnar_signals.py) reads the
same constants.
"""

from __future__ import annotations

from datetime import datetime, time
from decimal import Decimal

from domain.local_time import DAY_END, DAY_START, is_night, zone

RUN_LENGTH = 5
"""Runs are counted over the customer's last RUN_LENGTH payments, in arrival order (the order they were applied)."""
RUN_MASK = (1 << RUN_LENGTH) - 1
HIGH_MULTIPLE = 2
HIGH_HISTORY = 3
"""A payment is high when its amount > HIGH_MULTIPLE x the customer's mean in its category and currency after
HIGH_HISTORY payments there, else x the mean in its currency after HIGH_HISTORY payments (`is_high`)."""
_NIGHT_HOURS = frozenset(hour for hour in range(24) if is_night(time(hour)))
"""The hours at night: DAY_START and DAY_END are whole hours, so a local time is at night when its hour is."""
assert DAY_START.minute == DAY_START.second == DAY_END.minute == DAY_END.second == 0


def is_high(amount: Decimal, category_count: int, category_total: Decimal, count: int, total: Decimal) -> bool:
    """Whether `amount` > HIGH_MULTIPLE x the customer's mean in its category and currency (`category_count`
    payments totalling `category_total`) when there are HIGH_HISTORY of them, else x the mean in its currency
    (`count`, `total`) when there are HIGH_HISTORY of those, else False. Exact: compared without dividing."""
    if category_count >= HIGH_HISTORY:
        return amount * category_count > HIGH_MULTIPLE * category_total
    if count >= HIGH_HISTORY:
        return amount * count > HIGH_MULTIPLE * total
    return False


def is_night_in(moment: datetime, zone_name: str) -> bool:
    """Whether `moment` is at night (`domain.local_time.is_night`) in the zone named `zone_name`."""
    return moment.astimezone(zone(zone_name)).hour in _NIGHT_HOURS


def with_run(mask: int, newest: bool) -> int:
    """The run mask after one more payment: `newest` in bit 0, the others one place older, the oldest beyond
    RUN_LENGTH dropped."""
    return ((mask << 1) | newest) & RUN_MASK
