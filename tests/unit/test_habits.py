"""What the profile calls high and night for a customer, and how its run masks move (domain/habits.py)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

import domain.profile
from domain.habits import HIGH_HISTORY, RUN_LENGTH, RUN_MASK, is_high, is_night_in, with_run


def test_a_run_mask_keeps_the_newest_payment_in_bit_zero_and_forgets_the_oldest_beyond_the_run_length():
    mask = 0
    for flag in (True, False, True) + (False,) * (RUN_LENGTH - 3):
        mask = with_run(mask, flag)
    assert mask == 0b101 << (RUN_LENGTH - 3)
    assert with_run(mask, True) == ((0b101 << (RUN_LENGTH - 2)) | 1) & RUN_MASK  # the first one is dropped
    assert with_run(with_run(mask, True), False).bit_count() == 2


@pytest.mark.parametrize(
    ("utc", "zone_name", "night"),
    [
        ("2025-01-06T05:59:59", "UTC", True),
        ("2025-01-06T06:00:00", "UTC", False),
        ("2025-01-06T21:59:59", "UTC", False),
        ("2025-01-06T22:00:00", "UTC", True),
        ("2025-01-06T14:30:00", "Asia/Tokyo", True),  # 23:30 in Tokyo
        ("2025-01-06T03:30:00", "-05:00", True),  # 22:30 the day before
        ("2025-01-06T11:00:00", "-05:00", False),  # 06:00
    ],
)
def test_night_is_read_on_the_customers_clock(utc: str, zone_name: str, night: bool) -> None:
    assert is_night_in(datetime.fromisoformat(utc).replace(tzinfo=UTC), zone_name) is night


def test_high_is_against_the_category_mean_once_it_has_history_else_the_currency_mean():
    few = HIGH_HISTORY - 1
    assert is_high(Decimal("21"), HIGH_HISTORY, Decimal("30"), 100, Decimal("100000"))  # 21 > 2 x 10
    assert not is_high(Decimal("20"), HIGH_HISTORY, Decimal("30"), 100, Decimal("100"))  # not above 2 x 10
    assert is_high(Decimal("3"), few, Decimal("1"), 100, Decimal("100"))  # too few in the category: 3 > 2 x 1
    assert not is_high(Decimal("1000"), few, Decimal("1"), few, Decimal("1"))  # too little history at all


def test_the_profile_still_offers_the_habits_names_it_always_did():
    assert (domain.profile.RUN_LENGTH, domain.profile.HIGH_HISTORY, domain.profile.HIGH_MULTIPLE) == (5, 3, 2)
    assert domain.profile.is_high is is_high
