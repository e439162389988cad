"""Reading a published merchant-risk snapshot: strict dates, counts bounded, and any failure an InvalidMerchantRisk
(never RecursionError, MemoryError or a huge allocation), so that a broken or hostile snapshot cannot stop or exhaust
the processor."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

import pytest

from adapters.merchant_risk_codec import InvalidMerchantRisk, merchant_risk_from_json, merchant_risk_to_json
from contracts import aws
from domain.merchant_risk import KNOWN, MerchantDay, MerchantRisk

AS_OF = date(2025, 3, 10)
DAY = "2025-03-09"


def document(merchants: Any, as_of: Any = "2025-03-10") -> str:
    return json.dumps({"as_of": as_of, "merchants": merchants})


def test_a_snapshot_at_the_count_bounds_is_read():
    top = aws.MERCHANT_RISK_MAX_COUNT - 1
    risk, as_of = merchant_risk_from_json(document({"m": {DAY: [top, 3]}}))

    assert as_of == AS_OF
    assert risk == MerchantRisk({"m": {date(2025, 3, 9).toordinal(): MerchantDay(top, (KNOWN,) * 3)}})


@pytest.mark.parametrize(
    "counts",
    [
        [aws.MERCHANT_RISK_MAX_COUNT, 0],
        [10**18, 10**18],  # the old loader built a tuple of 10**18 entries
        [aws.MERCHANT_RISK_MAX_FRAUDS + 1, aws.MERCHANT_RISK_MAX_FRAUDS + 1],
        [-1, 0],
        [2, 3],
        [True, 0],
        [2.0, 1],
        ["2", 1],
        [2, 1, 0],
        {"transactions": 2, "frauds": 1},
    ],
)
def test_counts_out_of_bounds_or_of_the_wrong_type_are_refused(counts: Any):
    with pytest.raises(InvalidMerchantRisk, match="not a merchant-risk snapshot"):
        merchant_risk_from_json(document({"m": {DAY: counts}}))


def test_more_frauds_in_all_than_the_bound_are_refused():
    per_day = aws.MERCHANT_RISK_MAX_FRAUDS // 4 + 1
    days = {(AS_OF - timedelta(days=n)).isoformat(): [per_day, per_day] for n in range(1, 5)}

    with pytest.raises(InvalidMerchantRisk, match=f"more than {aws.MERCHANT_RISK_MAX_FRAUDS} frauds"):
        merchant_risk_from_json(document({"m": days}))


def test_more_merchants_than_the_bound_are_refused():
    merchants = {f"m{n}": {} for n in range(aws.MERCHANT_RISK_MAX_MERCHANTS + 1)}

    with pytest.raises(InvalidMerchantRisk, match=f"at most {aws.MERCHANT_RISK_MAX_MERCHANTS} merchants"):
        merchant_risk_from_json(document(merchants))


def test_more_merchant_days_than_the_bound_are_refused():
    days = [(AS_OF - timedelta(days=n)).isoformat() for n in range(1, 36)]
    merchants = {f"m{n}": {day: [1, 0] for day in days} for n in range(aws.MERCHANT_RISK_MAX_MERCHANT_DAYS // 35 + 1)}
    at_bound = dict(list(merchants.items())[: aws.MERCHANT_RISK_MAX_MERCHANT_DAYS // 35])

    merchant_risk_from_json(document(at_bound))
    with pytest.raises(InvalidMerchantRisk, match="merchant, day"):
        merchant_risk_from_json(document(merchants))


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("[" * 100_000 + "]" * 100_000, id="nested-document"),
        pytest.param(
            document("[" * 100_000 + "]" * 100_000).replace('"[', "[").replace(']"', "]"), id="nested-merchants"
        ),
        document({"m": {DAY: [1, 0]}}, as_of="20250310"),  # fromisoformat takes it; the publisher never writes it
        document({"m": {"20250309": [1, 0]}}),
        document({"m": {"2025-W10-1": [1, 0]}}),
        document({"m": {AS_OF.isoformat(): [1, 0]}}),  # a snapshot holds only the days before its date
        document({"m": {"2025-03-11": [1, 0]}}),
        document({"m": [[DAY, [1, 0]]]}),
        document({"m": {DAY: [1, 0]}}, as_of=None),
        "null",
        "",
        b"\xff\xfe",
    ],
)
def test_a_malformed_snapshot_is_refused_with_an_invalid_merchant_risk_error(text: str | bytes):
    with pytest.raises(InvalidMerchantRisk, match="not a merchant-risk snapshot"):
        merchant_risk_from_json(text)


def test_what_the_publisher_writes_reads_back():
    risk = MerchantRisk(
        {"m1": {AS_OF.toordinal() - 35: MerchantDay(9, (KNOWN,) * 2), AS_OF.toordinal() - 1: MerchantDay(4)}}
    )

    assert merchant_risk_from_json(merchant_risk_to_json(risk, AS_OF)) == (risk, AS_OF)
