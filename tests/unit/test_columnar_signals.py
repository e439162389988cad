"""A model policy stays in columns where the profile's bounds are followed exactly (more merchants and (category,
currency) pairs than it keeps), and goes to the domain engine where they are not (a burst past the recent window,
three currencies a day past the day totals); both ways, decisions equal the domain engine's."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import attrs
import polars as pl

from adapters.serialization import decision_to_dict
from domain.ensemble import LEAF, Tree, TreeModel
from domain.policy import FraudPolicy
from securebank.lab.backtest import Backtest
from securebank.lab.columnar import ColumnarBacktest
from securebank.lab.columnar_model import risk_score
from securebank.lab.columnar_signals import _windows

START = datetime(2024, 3, 1, 12, tzinfo=UTC)
FEATURES = ("recent_night", "amount_vs_category", "merchant_seen", "count_24h", "count_7d", "sum_24h_vs_mean")


def _stump(feature: int, threshold: float, low: str, high: str) -> Tree:
    return Tree((feature, LEAF, LEAF), (threshold, -2.0, -2.0), (True, False, False), (1, LEAF, LEAF),
                (2, LEAF, LEAF), (Decimal(0), Decimal(low), Decimal(high)))  # fmt: skip


MODEL = TreeModel(FEATURES, Decimal("0.01"), tuple(
    _stump(i, threshold, "0.000001", "0.2") for i, threshold in enumerate((1.5, 1.9, 0.5, 6.5, 30.5, 4.0))
))  # fmt: skip
POLICY = attrs.evolve(FraudPolicy.default(), threshold=Decimal("0.3"), model=MODEL)


def _line(n: int, seconds: float, merchant: str, category: str, currency: str = "USD", amount: int = 10) -> str:
    at = (START + timedelta(seconds=seconds)).isoformat().replace("+00:00", "Z")
    return json.dumps({"transaction_id": f"t{n}", "customer_id": "c1", "amount": str(amount), "currency": currency,
                       "merchant_id": merchant, "merchant_category": category, "timestamp": at,
                       "location": {"latitude": 40.7, "longitude": -74.0}})  # fmt: skip


def _replay(texts: list[str]) -> ColumnarBacktest:
    lines = [(n, text + "\n") for n, text in enumerate(texts, start=1)]
    domain = Backtest(POLICY).run(lines)
    columnar = ColumnarBacktest(POLICY).run(lines)
    expected = [(s.transaction.key, decision_to_dict(s.decision)) for s in domain.decisions]
    assert [((c, t), decision_to_dict(d)) for c, t, d in columnar.decisions()] == expected
    assert columnar.flagged == domain.flagged
    return columnar


def test_more_merchants_and_category_pairs_than_the_profile_keeps_stay_in_columns() -> None:
    texts = [_line(n, n * 5000.0, f"m{n % 13}", f"k{n % 19}", ("USD", "EUR")[n % 2], 10 + n % 7 * 40)
             for n in range(300)]  # fmt: skip
    columnar = _replay(texts)
    assert columnar.by_domain == []
    assert columnar.columns.height == len(texts)
    assert columnar.flagged > 0


def test_a_burst_past_the_recent_window_goes_to_the_domain_engine() -> None:
    texts = [_line(n, n * 60.0, "m1", "grocery") for n in range(80)]
    columnar = _replay(texts)
    assert len(columnar.by_domain) == len(texts)


def test_three_currencies_a_day_past_the_day_totals_go_to_the_domain_engine() -> None:
    texts = [_line(n, n * 9000.0, "m1", "grocery", ("USD", "EUR", "GBP")[n % 3]) for n in range(90)]
    columnar = _replay(texts)
    assert len(columnar.by_domain) == len(texts)


def test_a_risk_score_keeps_the_exponent_of_the_domains_sum() -> None:
    assert risk_score(1_230_000, -2, -6).as_tuple() == Decimal("1.23").as_tuple()
    assert risk_score(0, -3, -6).as_tuple() == Decimal("0.000").as_tuple()
    assert risk_score(-5, -6, -6) == Decimal("-0.000005")


def test_window_sums_stay_exact_when_the_running_sum_over_all_customers_passes_int64() -> None:
    """Each customer's total stays below 2**53, but 1,100 of them add up past 2**63: the windows' sums are
    differences within one customer, exact through int64's wrap-around."""
    customers = [f"c{i:04d}" for i in range(1_100) for _ in range(2)]
    frame = pl.DataFrame({"customer_id": customers, "epoch_us": [10**15 + (i % 2) * 10**6 for i in range(2_200)],
                          "amount_minor": [2**52 - 1 - i for i in range(2_200)]})  # fmt: skip
    sums = _windows(frame, ["customer_id"], "sum", sums=True)
    amounts = frame["amount_minor"].to_list()
    expected = [amounts[i] + (amounts[i - 1] if i % 2 else 0) for i in range(2_200)]
    assert sum(amounts) > 2**63
    assert sums["sum_1h"].tolist() == sums["sum_7d"].tolist() == expected
