"""`observe`'s signals against a brute-force reference: a plain loop over the customer's earlier payments.

Histories are one customer's payments in any timestamp order (over two weeks, or six hours so that the recent
window's RECENT_LIMIT binds), in three
currencies, four categories and four merchants, with redeliveries. The reference keeps the list of applied payments
and models only the bounds the profile documents: the recent window (the last RECENT_LIMIT payments, each dropped
once a later-applied payment's receipt is RECENT_HORIZON after it) for 1 h / 24 h, and the day totals (the days
from 7 before the latest applied payment's day, at most DAY_TOTALS_LIMIT, the earliest dropped first) for 7 days.
With 12 (category, currency) pairs and 4 merchants, no other bound is reached: category statistics and merchants
seen are the whole history. Runs are in arrival order.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta, timezone
from decimal import Decimal
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from domain.currency import QUANTUM
from domain.model import CustomerId, Location, Transaction, TransactionId
from domain.observation import Observation, observe
from domain.profile import RECENT_HORIZON, RECENT_LIMIT, RUN_LENGTH, CustomerProfile, apply_transaction
from domain.spending import DAY_TOTALS_LIMIT, DAYS_KEPT

START = datetime(2024, 3, 1, tzinfo=UTC)
ZONES = (UTC, timezone(timedelta(hours=5, minutes=30)), timezone(timedelta(hours=-8)))
CURRENCIES = ("USD", "EUR", "JPY")
NIGHT_START, NIGHT_END = time(22), time(6)
HIGH_MULTIPLE, HIGH_HISTORY = 2, 3
WEEK = 7


@st.composite
def histories(draw: st.DrawFn) -> list[Transaction]:
    """Payments in arrival order; some are redeliveries of an earlier one (same transaction)."""
    count = draw(st.integers(1, 100))
    minutes = st.integers(0, draw(st.sampled_from([14 * 24 * 60, 6 * 60])))  # two weeks, or RECENT_LIMIT in a day
    payments: list[Transaction] = []
    for n in range(count):
        if payments and draw(st.integers(0, 9)) == 0:
            payments.append(draw(st.sampled_from(payments)))
            continue
        currency = draw(st.sampled_from(CURRENCIES))
        when = START + timedelta(minutes=draw(minutes), seconds=draw(st.sampled_from([0, 30])))
        payments.append(Transaction(
            TransactionId(f"t{n}"), CustomerId("ann"), draw(st.integers(1, 50_000)) * QUANTUM[currency], currency,
            f"m{draw(st.integers(0, 3))}", draw(st.sampled_from(["grocery", "fuel", "travel", "online"])),
            when.astimezone(draw(st.sampled_from(ZONES))), Location(40.0, -74.0),
        ))  # fmt: skip
    return payments


class Reference:
    """The customer's applied payments, and the bounded recent window and day totals, by plain loops."""

    def __init__(self) -> None:
        self.applied: list[tuple[Transaction, bool, bool]] = []  # (payment, high, night) in arrival order
        self.recent: list[tuple[datetime, int, Transaction]] = []  # (time, arrival, payment)
        self.days: dict[tuple[int, str], list[Decimal]] = {}  # (UTC day, currency) -> [count, total]

    def seen(self, txn: Transaction) -> bool:
        return any(kept.transaction_id == txn.transaction_id for _, _, kept in self.recent)

    def observe(self, txn: Transaction) -> Observation:
        t, currency = txn.timestamp, txn.currency
        earlier = [p for p, _, _ in self.applied]
        same_currency = [p.amount for p in earlier if p.currency == currency]
        same_category = [p.amount for p in earlier
                         if p.currency == currency and p.merchant_category == txn.merchant_category]  # fmt: skip
        in_hour = [p for _, _, p in self.recent if t - timedelta(hours=1) < p.timestamp <= t]
        in_day = [p for _, _, p in self.recent if t - timedelta(hours=24) < p.timestamp <= t]
        today = _day(t)
        week = {key: value for key, value in self.days.items() if today - (WEEK - 1) <= key[0] <= today}
        last = self.applied[-RUN_LENGTH:]
        new = [not any(p.merchant_id == q.merchant_id for q, _, _ in self.applied[:i])
               for i, (p, _, _) in enumerate(self.applied)]  # fmt: skip
        latest = max(((when, arrival, p) for when, arrival, p in self.recent if t - timedelta(hours=24) < when <= t),
                     default=(None, None, None), key=lambda entry: entry[:2])[2]  # fmt: skip
        created = earlier[0].timestamp if earlier else t
        return Observation(
            txn.amount, currency, 0, len(same_currency), sum(same_currency, Decimal(0)), len(earlier), None, None,
            time(), False, 0, 0, txn.merchant_category, len(same_category), sum(same_category, Decimal(0)),
            1 + len(in_hour), 1 + len(in_day), 1 + int(sum(count for count, _ in week.values())),
            txn.amount + sum((p.amount for p in in_hour if p.currency == currency), Decimal(0)),
            txn.amount + sum((p.amount for p in in_day if p.currency == currency), Decimal(0)),
            txn.amount + sum((total for (_, c), (_, total) in week.items() if c == currency), Decimal(0)),
            sum(high for _, high, _ in last), sum(night for _, _, night in last),
            any(p.merchant_id == txn.merchant_id for p in earlier), sum(night for _, _, night in self.applied),
            max(0, (t - created).days), min((p.amount for p in in_day if p.currency == currency), default=Decimal(0)),
            sum(new[-RUN_LENGTH:]), latest.amount if latest and latest.currency == currency else Decimal(0),
            sum(new[len(new) - min(len(in_hour), RUN_LENGTH):]),
        )  # fmt: skip

    def apply(self, txn: Transaction) -> None:
        t, currency = txn.timestamp, txn.currency
        earlier = [p for p, _, _ in self.applied]
        zone = earlier[0].timestamp.tzinfo if earlier else t.tzinfo
        local = t.astimezone(zone).time()
        night = local >= NIGHT_START or local < NIGHT_END
        self.applied.append((txn, _high(txn, earlier), night))
        self.recent.append((t, len(self.applied), txn))
        self.recent = sorted(entry for entry in self.recent if entry[0] > t - RECENT_HORIZON)[-RECENT_LIMIT:]
        count_total = self.days.setdefault((_day(t), currency), [Decimal(0), Decimal(0)])
        count_total[0] += 1
        count_total[1] += txn.amount
        kept = [key for key in self.days if key[0] >= _day(t) - (DAYS_KEPT - 1)]
        kept = sorted(kept, key=lambda key: (-key[0], key[1]))[:DAY_TOTALS_LIMIT]
        self.days = {key: self.days[key] for key in kept}


def _day(moment: datetime) -> int:
    return (moment.astimezone(UTC).date() - datetime(1970, 1, 1).date()).days


def _high(txn: Transaction, earlier: list[Transaction]) -> bool:
    def mean(amounts: list[Decimal]) -> Fraction:
        return sum(map(Fraction, amounts), Fraction(0)) / len(amounts)

    same = [p.amount for p in earlier if p.currency == txn.currency]
    category = [p.amount for p in earlier if p.currency == txn.currency
                and p.merchant_category == txn.merchant_category]  # fmt: skip
    if len(category) >= HIGH_HISTORY:
        return Fraction(txn.amount) > HIGH_MULTIPLE * mean(category)
    if len(same) >= HIGH_HISTORY:
        return Fraction(txn.amount) > HIGH_MULTIPLE * mean(same)
    return False


SIGNALS = ("prior_count", "prior_total", "history_count", "merchant_category", "category_count", "category_total",
           "count_1h", "count_24h", "count_7d", "sum_1h", "sum_24h", "sum_7d", "recent_high", "recent_night",
           "merchant_seen", "night_count", "account_age_days", "min_24h", "recent_new", "previous_amount",
           "recent_new_1h")  # fmt: skip


@settings(max_examples=100, deadline=None)
@given(history=histories())
def test_observe_computes_every_signal_as_the_brute_force_reference_does(history: list[Transaction]):
    profile: CustomerProfile | None = None
    reference = Reference()
    for txn in history:
        if reference.seen(txn):
            assert profile is not None
            assert apply_transaction(profile, txn, flagged=False) is profile  # a redelivery changes nothing
            continue
        observed, expected = observe(profile, txn), reference.observe(txn)
        assert {n: getattr(observed, n) for n in SIGNALS} == {n: getattr(expected, n) for n in SIGNALS}
        profile = apply_transaction(profile or CustomerProfile.open(txn), txn, flagged=False)
        reference.apply(txn)


@settings(deadline=None)
@given(history=histories())
def test_the_recent_window_stays_parallel_and_the_bounds_hold(history: list[Transaction]):
    profile: CustomerProfile | None = None
    for txn in history:
        profile = apply_transaction(profile or CustomerProfile.open(txn), txn, flagged=False)
        assert len(profile.recent_amounts) == len(profile.recent_currencies) == len(profile.recent_times)
        assert len(profile.day_totals) <= DAY_TOTALS_LIMIT
        assert profile.high_bits < 1 << RUN_LENGTH and profile.night_bits < 1 << RUN_LENGTH
        days = [(-total.day, total.currency) for total in profile.day_totals]
        assert days == sorted(set(days))  # latest day first, one total per day and currency
