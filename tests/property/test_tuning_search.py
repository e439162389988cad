"""The search's threshold sweep is the best cut there is, and a setting scores patterns as the engine sums weights."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from domain.catalogue import catalogue
from domain.policy import FraudPolicy
from domain.tuning import WEIGHTS, Counts, Search, candidate_grid

GRID = candidate_grid(FraudPolicy.default())
N = len(catalogue())
weights = st.lists(st.sampled_from(WEIGHTS), min_size=N, max_size=N)
patterns = st.dictionaries(
    st.integers(0, 2**N - 1), st.tuples(st.integers(0, 30), st.integers(0, 300)), min_size=1, max_size=40
)


def _f1(patterns, weights, threshold) -> float:
    tp = fp = fn = 0
    for pattern, (frauds, legits) in patterns.items():
        score = sum((w for i, w in enumerate(weights) if pattern >> i & 1), Decimal(0))
        if score > threshold:
            tp, fp = tp + frauds, fp + legits
        else:
            fn += frauds
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


@given(patterns, weights)
def test_the_chosen_threshold_is_at_least_as_good_as_any_other(patterns, weights):
    search = Search(GRID, [])
    search.frauds = sum(f for f, _ in patterns.values())

    best, threshold = search.best_threshold(patterns, weights)

    assert threshold >= 0
    assert abs(_f1(patterns, weights, threshold) - best) < 1e-9
    cuts = {Decimal(0), *(sum((w for i, w in enumerate(weights) if p >> i & 1), Decimal(0)) for p in patterns)}
    assert all(_f1(patterns, weights, cut) <= best + 1e-9 for cut in cuts)


@given(st.integers(0, 10**6), st.integers(0, 10**6), st.integers(0, 10**6), st.integers(0, 10**6))
def test_rates_are_the_shares_the_report_names(tp, fp, fn, tn):
    counts = Counts(tp, fp, fn, tn)
    share = Decimal("0.0001")
    assert counts.fn_rate == ((Decimal(fn) / (fn + tp)).quantize(share) if fn + tp else Decimal(0))
    assert counts.fp_rate == ((Decimal(fp) / (fp + tn)).quantize(share) if fp + tn else Decimal(0))
