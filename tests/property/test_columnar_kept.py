"""The columns' "still among the last `limit` distinct values" (`columnar_signals._kept`) equals the list the profile
keeps, followed one payment at a time."""

from __future__ import annotations

import polars as pl
from hypothesis import given
from hypothesis import strategies as st

from securebank.lab.columnar_signals import CUSTOMER, _kept


def _followed(rows: list[tuple[str, str, str]], limit: int) -> list[bool]:
    """The reference: per customer, a list most recent first, cut at `limit` (domain.spending.most_recent_first)."""
    lists: dict[str, list[tuple[str, str]]] = {}
    out = []
    for customer, *key in rows:
        recent = lists.setdefault(customer, [])
        value = (key[0], key[1])
        out.append(value in recent)
        if value in recent:
            recent.remove(value)
        recent.insert(0, value)
        del recent[limit:]
    return out


histories = st.lists(
    st.tuples(st.sampled_from(["c1", "c2", "c3"]), st.sampled_from("abcdefgh"), st.sampled_from(["EUR", "USD"])),
    max_size=120,
)


@given(histories, st.integers(1, 6))
def test_kept_values_are_those_the_profiles_list_still_holds(rows: list[tuple[str, str, str]], limit: int) -> None:
    ordered = sorted(rows, key=lambda row: row[0])  # by customer, each customer's rows in their order
    frame = pl.DataFrame(ordered, schema={CUSTOMER: pl.String, "key": pl.String, "currency": pl.String}, orient="row")
    assert _kept(frame, ["key", "currency"], limit).to_list() == _followed(ordered, limit)


@given(histories, st.integers(1, 6))
def test_kept_merchants_one_key_column_are_those_the_list_holds(rows: list[tuple[str, str, str]], limit: int) -> None:
    ordered = sorted(((c, k, "") for c, k, _ in rows), key=lambda row: row[0])
    frame = pl.DataFrame([(c, k) for c, k, _ in ordered], schema={CUSTOMER: pl.String, "key": pl.String}, orient="row")
    assert _kept(frame, ["key"], limit).to_list() == _followed(ordered, limit)
