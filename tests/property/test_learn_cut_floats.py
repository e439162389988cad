"""The best cut of float scores swept in numpy is `best_cut` of their Decimals: the same threshold (to the digit)
and counts, for F1 and for costs, with ties, zeros, negative scores and weighted rows."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from jobs.learn_cut import Objective, best_cut, best_float_cut

scores = st.one_of(
    st.sampled_from([0.0, -0.0, 0.25, 0.5, 0.1 + 0.2, 0.3, 1e-300, 0.75]),  # ties, zeros, neighbours in repr
    st.floats(-1, 2, allow_nan=False, allow_infinity=False),
)
rows = st.lists(st.tuples(scores, st.booleans(), st.integers(1, 9)), max_size=60)
objectives = st.one_of(
    st.just(Objective("f1")),
    st.builds(
        lambda fn, fp: Objective("cost", fn, fp),
        st.decimals(0, 50, places=2, allow_nan=False),
        st.decimals(0, 50, places=2, allow_nan=False),
    ),
)


@given(rows, objectives, st.booleans())
def test_the_float_sweep_finds_the_cut_best_cut_finds_on_the_decimals(rows, objective, weighted) -> None:
    values = [v for v, _, _ in rows]
    frauds = [f for _, f, _ in rows]
    weights = [w for _, _, w in rows] if weighted and rows else None  # best_cut fails on weights []

    cut = best_float_cut(values, frauds, objective, weights)
    expected = best_cut([Decimal(repr(v)) for v in values], frauds, objective, weights)

    assert cut == expected
    assert cut.threshold.as_tuple() == expected.threshold.as_tuple()


def test_of_many_cuts_with_f1_values_that_tie_at_four_places_the_highest_threshold_wins() -> None:
    values = [1 - n / 5000 for n in range(4000)]  # a fraud every 2 rows near the top, then every 40
    frauds = [n % 2 == 0 if n < 400 else n % 40 == 0 for n in range(4000)]

    cut = best_float_cut(values, frauds, Objective("f1"))

    assert cut == best_cut([Decimal(repr(v)) for v in values], frauds, Objective("f1"))
    assert cut.counts.tp > 0
