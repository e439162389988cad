"""The columnar reader vouches only for lines the domain's parser accepts, with the same values: on canonical
bodies and on bodies with a character inserted, deleted or replaced anywhere."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.records import parse_record
from domain.model import InvalidTransaction
from securebank.lab.columnar_parse import SCHEMA, read_fast, to_row

ZONES = tuple(timezone(timedelta(minutes=m)) for m in (0, 330, -480, 840, -720, 60))
NOISE = '0123456789.:-+ZTe ,{}"\\\t\u00e9\udcffaA_'


@st.composite
def canonical(draw: st.DrawFn) -> str:
    currency = draw(st.sampled_from(("USD", "JPY", "BHD", "UYW", "XXX")))
    units = {"USD": 2, "JPY": 0, "BHD": 3, "UYW": 4, "XXX": 2}[currency]
    whole, fraction = draw(st.integers(0, 10**13)), draw(st.integers(0, 10**units - 1)) if units else 0
    amount = f"{whole}.{fraction:0{units}d}" if units and draw(st.booleans()) else str(whole)
    if draw(st.booleans()):  # trailing zeros beyond the currency's decimals are the same amount ("5000.00" JPY)
        amount += ("" if "." in amount else ".") + "0" * draw(st.integers(1, 3))
    at = datetime(draw(st.integers(1969, 9001)), 1, 1, tzinfo=UTC) + timedelta(
        days=draw(st.integers(0, 365)), microseconds=draw(st.integers(0, 86_400 * 10**6))
    )
    stamp = at.astimezone(draw(st.sampled_from(ZONES))).isoformat(
        timespec=draw(st.sampled_from(("seconds", "milliseconds", "microseconds")))
    )
    body = {
        "transaction_id": draw(st.sampled_from(("t1", "T-9_x", "a" * 64, "a" * 65, ""))),
        "customer_id": "c1",
        "amount": amount,
        "currency": currency,
        "merchant_id": "m1",
        "merchant_category": draw(st.sampled_from(("grocery", "Grocery", "fuel_2"))),
        "timestamp": stamp.replace("+00:00", "Z") if draw(st.booleans()) else stamp,
        "location": {"latitude": draw(st.floats(-91, 91)), "longitude": draw(st.floats(-181, 181))},
    }
    text = json.dumps(body, separators=draw(st.sampled_from(((",", ":"), (", ", ": ")))))
    if draw(st.booleans()):
        text = text.replace(f'"amount": "{amount}"', f'"amount": {amount}').replace(
            f'"amount":"{amount}"', f'"amount":{amount}'
        )
    return text


@st.composite
def near_canonical(draw: st.DrawFn) -> str:
    text = draw(canonical())
    for _ in range(draw(st.integers(0, 2))):
        at = draw(st.integers(0, len(text)))
        edit = draw(st.sampled_from(("insert", "delete", "replace")))
        char = draw(st.sampled_from(NOISE))
        if edit == "insert":
            text = text[:at] + char + text[at:]
        elif edit == "delete":
            text = text[:at] + text[at + 1 :]
        else:
            text = text[:at] + char + text[at + 1 :]
    return text


@settings(max_examples=400, deadline=None)
@given(st.lists(near_canonical(), min_size=1, max_size=8))
def test_a_line_read_in_columns_is_one_the_domain_accepts_with_the_same_values(texts: list[str]) -> None:
    frame = read_fast(list(range(len(texts))), texts)
    for row, text in zip(frame.iter_rows(named=True), texts, strict=True):
        if not row["fast"]:
            continue
        try:
            txn = parse_record(text)
        except InvalidTransaction as exc:
            raise AssertionError(f"read in columns but rejected by the domain ({exc}): {text!r}") from None
        assert row == to_row(row["line"], txn) | {"fast": True}


def _compact(text: str) -> bool:
    return not any(blank in text for blank in " \t\r\n")


@settings(max_examples=300, deadline=None)
@given(st.lists(near_canonical().filter(_compact), min_size=1, max_size=8), st.booleans())
def test_a_file_of_compact_lines_is_read_with_the_domains_values(texts: list[str], newline: bool) -> None:
    """Without a blank but the final newline, the reader removes only quotes (its faster pass): the same values."""
    texts = [text + "\n" if newline else text for text in texts]
    frame = read_fast(list(range(len(texts))), texts)
    for row, text in zip(frame.iter_rows(named=True), texts, strict=True):
        if row["fast"]:
            assert row == to_row(row["line"], parse_record(text)) | {"fast": True}


def test_the_producers_layouts_are_read_in_columns() -> None:
    body = {"transaction_id": "t1", "customer_id": "c1", "amount": "12.5", "currency": "USD", "merchant_id": "m1",
            "merchant_category": "grocery", "timestamp": "2024-02-29T23:59:59.5-05:30",
            "location": {"latitude": -33.8688, "longitude": 151.2093}}  # fmt: skip
    texts = [json.dumps(body), json.dumps(body, separators=(",", ":")) + "\n"]
    frame = read_fast([1, 2], texts)
    assert frame["fast"].to_list() == [True, True]
    assert frame.row(0, named=True) == to_row(1, parse_record(texts[0])) | {"fast": True}
    assert frame["amount_minor"].to_list() == [1250, 1250]
    assert list(frame.schema) == list(SCHEMA)
    compact = read_fast([2], texts[1:])  # no blank in the file: the reader's quote-only pass
    assert compact.row(0, named=True) == frame.row(1, named=True)
    broken = texts[1].replace("{", "{\n", 1)  # a newline inside a line: every blank is removed again
    assert read_fast([2], [broken]).row(0, named=True) == frame.row(1, named=True)
