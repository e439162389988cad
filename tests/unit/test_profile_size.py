"""The Customers item with the signals' statistics: its size for a realistic customer, pinned (domain/profile.py
states it), and a profile item written before those statistics reads back with them empty."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from adapters.items import from_attribute_values, profile_from_item, profile_to_item, to_attribute_values
from domain.model import CustomerId, Location, Transaction, TransactionId
from domain.observation import observe
from domain.profile import RECENT_LIMIT, CustomerProfile, apply_transaction
from securebank.measure.aws_calls import KB, item_size

SIGNAL_ATTRIBUTES = ("recent_amounts", "recent_currencies", "category_amounts", "day_totals", "high_bits",
                     "night_bits", "night_count", "new_bits")  # fmt: skip
CATEGORIES = ("grocery_pos", "gas_transport", "shopping_net", "shopping_pos", "food_dining", "health_fitness",
              "entertainment", "home", "kids_pets", "misc_net", "misc_pos", "personal_care", "travel")  # fmt: skip
DAYS = 60


def _uuid(rnd: random.Random) -> str:
    return str(uuid.UUID(int=rnd.getrandbits(128)))


def _customer(busy: bool) -> CustomerProfile:
    """60 days of three payments a day; a busy customer then makes RECENT_LIMIT payments in 16 hours, in 2
    currencies and 13 categories at 30 merchants (a typical one: USD only, 5 categories, 12 merchants)."""
    rnd = random.Random(7 if busy else 3)
    customer = CustomerId(_uuid(rnd))
    categories = CATEGORIES if busy else CATEGORIES[:5]
    merchants = [_uuid(rnd) for _ in range(30 if busy else 12)]
    start = datetime(2024, 1, 1, tzinfo=UTC)
    times = [
        start + timedelta(days=d, hours=8 + 4 * k, minutes=rnd.randrange(60)) for d in range(DAYS) for k in range(3)
    ]
    if busy:
        times += [times[-1] + timedelta(minutes=15 * (k + 1)) for k in range(RECENT_LIMIT)]
    profile: CustomerProfile | None = None
    for at in times:
        currency = "EUR" if busy and rnd.random() < 0.2 else "USD"
        txn = Transaction(TransactionId(_uuid(rnd)), customer, Decimal(rnd.randrange(100, 30000)) / 100, currency,
                          rnd.choice(merchants), rnd.choice(categories), at,
                          Location(40.7128 + rnd.random(), -74.0060 + rnd.random()))  # fmt: skip
        profile = apply_transaction(profile or CustomerProfile.open(txn), txn, flagged=False)
    assert profile is not None
    return profile


def _sizes(profile: CustomerProfile) -> tuple[int, int]:
    """(the item without the signals' attributes, the item)."""
    values = to_attribute_values(profile_to_item(profile))
    return item_size({k: v for k, v in values.items() if k not in SIGNAL_ATTRIBUTES}), item_size(values)


def test_a_busy_customers_item_grows_from_five_to_six_kb():
    assert _sizes(_customer(busy=True)) == (4781, 5891)  # domain/profile.py: 10 WRU to 12 per transactional write


def test_a_typical_customers_item_stays_within_two_kb():
    before, after = _sizes(_customer(busy=False))
    assert (before, after) == (1157, 1584)
    assert -(-after // KB) == -(-before // KB) == 2


def test_a_profile_item_written_before_the_signals_reads_back_with_them_empty():
    profile = _customer(busy=False)
    values = to_attribute_values(profile_to_item(profile))
    old = from_attribute_values({k: v for k, v in values.items() if k not in SIGNAL_ATTRIBUTES})

    read = profile_from_item(old)

    assert read.new_bits == 0
    assert (read.category_amounts, read.day_totals, read.high_bits, read.night_bits, read.night_count) == (
        (),
        (),
        0,
        0,
        0,
    )
    assert read.recent_currencies == ("",) * len(profile.recent_times)  # amounts unknown: no sum adds them
    assert read.recent_times == profile.recent_times and read.recent_ids == profile.recent_ids
    nxt = Transaction(TransactionId("next"), profile.customer_id, Decimal("10.00"), "USD", "m", "home",
                      profile.recent_times[-1] + timedelta(minutes=5), Location(40.7, -74.0))  # fmt: skip
    seen = observe(read, nxt)
    assert (seen.count_1h, seen.sum_1h, seen.category_count) == (
        1 + observe(profile, nxt).count_1h - 1,
        Decimal("10.00"),
        0,
    )


def test_a_profile_item_reads_back_equal_with_the_signals():
    profile = _customer(busy=True)
    assert profile_from_item(from_attribute_values(to_attribute_values(profile_to_item(profile)))) == profile
