"""`read_labels` reads the common label line by one regular expression (`PLAIN_LABEL`), not the JSON parser: every
line it matches is one the parser reads as a transaction id and a verdict with no customer id or labelled_at (so
the label is the same, and nothing is rejected that the parser would reject), on lines built near that shape:
escapes, quotes, non-ASCII and control characters in the strings, blanks, other and repeated keys, other values."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.serialization import loads
from domain.labels import Label, Labels
from domain.model import CustomerId, TransactionId
from securebank.lab.backtest import PLAIN_LABEL, read_labels

BLANKS = st.sampled_from(("", " ", "\n", "\r\n", "\t", "\x0b", "\u00a0"))
STRINGS = st.one_of(
    st.sampled_from(("t1", "tx_11_000000001", "", "a\\u0041", "\\ud800", 'q"', "x\\\\y", "é", "\x7f", "\t")),
    st.text(alphabet=st.characters(codec="ascii"), max_size=6),
    st.text(max_size=4),
)
KEYS = st.sampled_from(("transaction_id", "is_fraud", "pattern", "customer_id", "labelled_at", "other"))
VALUES = st.one_of(
    STRINGS.map(lambda s: f'"{s}"'),
    st.sampled_from(("true", "false", "null", "1", "0", "1.5", '"true"', "True", "[]", "{}")),
)


@st.composite
def label_lines(draw: st.DrawFn) -> str:
    """A label line: the common shape or one near it (a JSON object or not)."""
    if draw(st.booleans()):  # the common shape, some part perhaps changed
        pairs = [("transaction_id", f'"{draw(STRINGS)}"'), ("is_fraud", draw(st.sampled_from(("true", "false"))))]
        if draw(st.booleans()):
            pairs.append(("pattern", f'"{draw(STRINGS)}"'))
        if draw(st.booleans()):
            pairs[draw(st.integers(0, len(pairs) - 1))] = (draw(KEYS), draw(VALUES))
        if draw(st.integers(0, 4)) == 0:
            pairs.append((draw(KEYS), draw(VALUES)))
    else:
        pairs = draw(st.lists(st.tuples(KEYS, VALUES), max_size=4))
    separator = draw(st.sampled_from((",", ", ", ",,", ",\n")))
    body = separator.join(f'"{key}":{value}' for key, value in pairs)
    return f"{draw(BLANKS)}{{{body}}}{draw(BLANKS)}"


@settings(max_examples=500)
@given(label_lines())
def test_a_line_read_without_the_parser_is_the_label_the_parser_reads(text: str) -> None:
    matched = PLAIN_LABEL.fullmatch(text)
    if matched is None:
        return
    row = loads(text)  # raises for a line the parser rejects: a match must never be one
    assert set(row) <= {"transaction_id", "is_fraud", "pattern"}
    assert type(row["transaction_id"]) is str and type(row["is_fraud"]) is bool
    assert type(row.get("pattern", "")) is str
    assert (row["transaction_id"], row["is_fraud"]) == (matched[1], matched[2] == "true")
    expected = Labels()
    expected.add(TransactionId(row["transaction_id"]), None, Label(row["is_fraud"], None))
    labels, rejections = read_labels([(1, text)])
    assert not rejections and vars(labels) == vars(expected)


def test_the_generators_label_lines_are_read_without_the_parser() -> None:
    lines = [json.dumps({"transaction_id": "tx_11_000000000", "is_fraud": True, "pattern": "unusual_time"},
                        separators=(",", ":")) + "\n", '{"transaction_id":"t2","is_fraud":false}']  # fmt: skip
    assert all(PLAIN_LABEL.fullmatch(line) for line in lines)
    labels, rejections = read_labels(enumerate(lines, start=1))
    assert not rejections and labels.get(_key("c", "tx_11_000000000")) is True
    assert labels.get(_key("c", "t2")) is False


def test_lines_the_regex_leaves_are_read_by_the_parser_as_before() -> None:
    lines = ['{"transaction_id":"t1","is_fraud":true,"customer_id":"c1"}', '{"transaction_id":"t\\u0032","is_fraud":1}',
             '{"transaction_id":"t3","is_fraud":true,"is_fraud":false}']  # fmt: skip
    assert not any(PLAIN_LABEL.fullmatch(line) for line in lines)
    labels, rejections = read_labels(enumerate(lines, start=1))
    assert labels.get(_key("c1", "t1")) is True and len(labels) == 1
    assert [(r.line, r.field) for r in rejections] == [(2, "is_fraud"), (3, "label")]


def _key(customer: str, transaction: str) -> tuple[CustomerId, TransactionId]:
    return CustomerId(customer), TransactionId(transaction)
