"""A KYC file is validated whole: every bad line is named with its field, and a bad file yields no records."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

from domain.kyc import KycRecord
from domain.model import CustomerId, Location
from securebank.ops.kyc_file import parse

NOW = datetime(2026, 1, 10, tzinfo=UTC)


def errors_of(text: str, *, csv_format: bool = True) -> list[tuple[int, str]]:
    records, errors = parse(text.encode(), csv_format=csv_format, now=NOW)
    return [(e.line, e.field) for e in errors]


def test_a_good_csv_gives_one_record_per_row_with_blank_cells_left_as_they_are():
    text = (
        "customer_id,risk_profile,account_created,home_latitude,home_longitude,timezone\n"
        "ann,high,2019-05-01T09:00:00+02:00,48.8566,2.3522,Europe/Paris\n"
        "ben,low,,,,\n"
    )
    records, errors = parse(text.encode(), csv_format=True, now=NOW)

    assert errors == []
    created = datetime(2019, 5, 1, 9, tzinfo=timezone(timedelta(hours=2)))
    assert records == [
        KycRecord(CustomerId("ann"), "high", created, Location(48.8566, 2.3522), "Europe/Paris"),
        KycRecord(CustomerId("ben"), "low"),
    ]


def test_every_bad_csv_line_is_named_with_its_field():
    text = (
        "customer_id,risk_profile,account_created,home_latitude,home_longitude,timezone\n"
        "ann,high,,,,\n"  # line 2: good
        "b n,,,,,\n"  # 3: bad id (and nothing set is not reported on top)
        "cat,severe,,,,\n"  # 4
        "dan,,2019-05-01,,,\n"  # 5: no time, no zone
        "eve,,2099-01-01T00:00:00Z,,,\n"  # 6: in the future
        "fay,,,91,2,\n"  # 7: latitude out of range
        "gus,,,48.8,,\n"  # 8: longitude missing
        "hal,,,,,Mars/Olympus\n"  # 9
        "ivy,,,,,\n"  # 10: sets nothing
        "ann,low,,,,\n"  # 11: disagrees with line 2
        "joe,low,,,,,extra\n"  # 12: too many values
    )
    assert errors_of(text) == [
        (3, "customer_id"),
        (4, "risk_profile"),
        (5, "account_created"),
        (6, "account_created"),
        (7, "home_latitude"),
        (8, "home_longitude"),
        (9, "timezone"),
        (10, "row"),
        (11, "customer_id"),
        (12, "row"),
    ]
    records, _ = parse(text.encode(), csv_format=True, now=NOW)
    assert [r.customer_id for r in records] == ["ann", "ann"]  # what was good, never to be written alone


def test_an_unknown_column_rejects_the_header():
    assert errors_of("customer_id,risk\nann,high\n") == [(1, "header")]


def test_json_lines_name_their_lines_and_accept_numbers_and_nulls():
    lines = [
        {"customer_id": "ann", "home_latitude": 35.6762, "home_longitude": 139.6503, "timezone": None},
        {"customer_id": "ben", "risk_profile": 3},
        {"customer_id": "cat", "risk": "high"},
        "not an object",
    ]
    text = "\n".join(json.dumps(line) for line in lines) + "\n{broken\n"

    assert errors_of(text, csv_format=False) == [(2, "risk_profile"), (3, "risk"), (4, "row"), (5, "row")]


def test_an_empty_or_non_utf8_file_is_rejected():
    assert errors_of("customer_id,risk_profile\n") == [(1, "file")]
    _, errors = parse(b"\xff\xfe", csv_format=True, now=NOW)
    assert [(e.line, e.field) for e in errors] == [(1, "file")]


def test_identical_rows_for_one_customer_are_accepted():
    records, errors = parse(b"customer_id,risk_profile\nann,high\nann,high\n", csv_format=True, now=NOW)

    assert errors == [] and len(records) == 2
