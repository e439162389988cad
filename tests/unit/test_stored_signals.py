"""A model policy's item keeps every signal as one string in SIGNAL_ORDER, and reads back the same observation."""

from __future__ import annotations

from datetime import UTC, datetime, time
from decimal import Decimal
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from adapters.items import from_attribute_values, scored_from_item, scored_to_item, to_attribute_values
from adapters.stored_decisions import SIGNAL_ORDER, SIGNALS
from domain.model import CustomerId, Location, Transaction, TransactionId
from domain.observation import SIGNAL_FIELDS, Observation
from domain.policy import FraudPolicy
from domain.ports import ScoredTransaction
from domain.scoring import evaluate
from tests.unit.test_ensemble import MODEL as TREES

T0 = datetime(2024, 3, 1, 23, 30, tzinfo=UTC)
PAYMENT = Transaction(TransactionId("t1"), CustomerId("c1"), Decimal("250.00"), "USD", "m1", "grocery", T0,
                      Location(40.7, -74.0))  # fmt: skip
POLICY = FraudPolicy(version=7, threshold=Decimal("0.5"), model=TREES)
BASE = Observation(Decimal("250.00"), "USD", 1, 3, Decimal("90.00"), 3, 12.5, 2.0, time(23, 30), True)
counts = st.integers(min_value=0, max_value=10**6)
sums = st.decimals(min_value=0, max_value=Decimal("99999999999999999.99"), places=2)


def _round_trip(observation: Observation) -> tuple[dict[str, Any], Observation]:
    item = scored_to_item(ScoredTransaction(PAYMENT, evaluate(POLICY, observation), T0))
    return item, scored_from_item(from_attribute_values(to_attribute_values(item))).decision.observation


@given(
    category=st.sampled_from(["grocery", "", "travel_2", "two words", "-"]),
    counts=st.lists(counts, min_size=9, max_size=9),
    sums=st.lists(sums, min_size=4, max_size=4),
    seen=st.booleans(),
)
def test_any_signals_read_back_equal_with_their_exponents(
    category: str, counts: list[int], sums: list[Decimal], seen: bool
) -> None:
    ints = ("category_count", "count_1h", "count_24h", "count_7d", "recent_high", "recent_night", "night_count",
            "account_age_days", "merchant_transactions")  # fmt: skip
    decimals = ("category_total", "sum_1h", "sum_24h", "sum_7d")
    values: dict[str, Any] = dict(zip(ints, counts, strict=True)) | dict(zip(decimals, sums, strict=True))
    observation = BASE._replace(merchant_category=category, merchant_seen=seen, **values)
    item, back = _round_trip(observation)
    assert back == observation
    assert [str(getattr(back, name)) for name in decimals] == [str(value) for value in sums]
    assert (SIGNALS in item) is (category not in {"two words", "-"})  # not one word: kept in the map


def test_the_signals_are_one_string_and_the_category_is_left_out_when_it_is_the_transactions() -> None:
    observation = BASE._replace(
        merchant_category="grocery", category_count=12, category_total=Decimal("1250.40"), count_24h=3,
        sum_24h=Decimal("310.55"), merchant_seen=True, account_age_days=412,
    )  # fmt: skip
    item, back = _round_trip(observation)
    assert item[SIGNALS] == " 12 1250.40 1 3 1 0 310.55 0 0 0 1 0 412 0 0 0 0"
    assert not set(SIGNAL_FIELDS) & set(item["observation"])
    assert back == observation


def test_an_item_with_fewer_signals_reads_the_others_at_their_defaults() -> None:
    """What an item written before a signal was appended to SIGNAL_ORDER reads back as."""
    item, _ = _round_trip(BASE._replace(merchant_category="grocery", category_count=5))
    item[SIGNALS] = " 5"
    back = scored_from_item(from_attribute_values(to_attribute_values(item))).decision.observation
    assert back == BASE._replace(merchant_category="grocery", category_count=5)


def test_the_stored_order_is_the_observations_and_only_grows_at_the_end() -> None:
    assert SIGNAL_ORDER == SIGNAL_FIELDS, "append a new signal to SIGNAL_ORDER (adapters/stored_decisions.py)"
