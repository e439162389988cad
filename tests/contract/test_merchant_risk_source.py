"""MerchantRiskSource contract: nothing known until a snapshot is published, then the newest day's snapshot (S3:
after the cache TTL; a bad object never replaces a good snapshot), with `published_on` its `as_of` date."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from adapters.memory import RecordingMetrics, StaticMerchantRiskSource
from adapters.merchant_risk_codec import merchant_risk_to_json
from adapters.s3_merchant_risk import S3MerchantRiskSource
from contracts import aws
from domain.merchant_risk import KNOWN, NO_MERCHANT_RISK, MerchantDay, MerchantRisk
from tests.conftest import Resources
from tests.contract.conftest import MOTO_EXAMPLES
from tests.contract.test_policy_source import Calls, Ticks

Source = tuple[Any, Callable[[MerchantRisk, date], None]]
FIRST = date(2025, 3, 1)


@pytest.fixture(params=["memory", "s3"])
def make_source(request: pytest.FixtureRequest) -> Callable[[], Source]:
    """Factory of (merchant-risk source with no caching, publish a snapshot for a day)."""
    if request.param == "memory":

        def memory() -> Source:
            source = StaticMerchantRiskSource()

            def publish(risk: MerchantRisk, day: date) -> None:
                source.risk, source.published_on = risk, day

            return source, publish

        return memory
    make_resources: Callable[[], Resources] = request.getfixturevalue("make_resources")

    def s3() -> Source:
        resources = make_resources()
        client = resources.client("s3")

        def publish(risk: MerchantRisk, day: date) -> None:
            body = merchant_risk_to_json(risk, day)
            client.put_object(Bucket=resources.bucket, Key=aws.merchant_risk_key(day), Body=body)

        return S3MerchantRiskSource(client, resources.bucket, ttl_seconds=0), publish

    return s3


def snapshot(day: date, frauds: int) -> MerchantRisk:
    return MerchantRisk({f"m{day.day}": {day.toordinal() - 1: MerchantDay(frauds + 1, (KNOWN,) * frauds)}})


def test_nothing_is_known_until_a_snapshot_is_published(make_source: Callable[[], Source]):
    source, _ = make_source()

    assert source.current() == NO_MERCHANT_RISK
    assert source.current().counts("m1", FIRST.toordinal(), 7, 0) == (0, 0)
    assert source.published_on is None


@MOTO_EXAMPLES
@given(offsets=st.lists(st.integers(0, 400), min_size=1, max_size=4, unique=True).map(sorted))
def test_the_newest_day_is_in_force(make_source: Callable[[], Source], offsets: list[int]):
    source, publish = make_source()
    days = [FIRST + timedelta(days=n) for n in offsets]
    for n, day in enumerate(days, 1):
        publish(snapshot(day, n), day)

    assert source.current() == snapshot(days[-1], len(days))
    assert source.published_on == days[-1]


def test_s3_merchant_risk_is_cached_for_the_ttl_and_a_bad_object_keeps_the_last_good_one(
    make_resources: Callable[[], Resources],
):
    resources = make_resources()
    client = resources.client("s3")
    clock = Ticks()
    source = S3MerchantRiskSource(client, resources.bucket, ttl_seconds=300, monotonic=clock)
    assert source.current() == NO_MERCHANT_RISK

    good = snapshot(FIRST, 2)
    client.put_object(
        Bucket=resources.bucket, Key=aws.merchant_risk_key(FIRST), Body=merchant_risk_to_json(good, FIRST)
    )
    clock.now = 299.0
    assert source.current() == NO_MERCHANT_RISK
    assert source.published_on is None
    clock.now = 300.0
    assert source.current() == good
    assert source.published_on == FIRST

    later = FIRST + timedelta(days=1)
    client.put_object(Bucket=resources.bucket, Key=aws.merchant_risk_key(later), Body=b'{"as_of": "2025-03-02"}')
    clock.now = 600.0
    assert source.current() == good
    assert source.published_on == FIRST  # the snapshot in force, not the newest key: its age keeps growing


def test_a_snapshot_rewritten_under_the_same_key_is_read_again(make_resources: Callable[[], Resources]):
    """A rerun of the day's job overwrites its own snapshot: warm processors must not keep the first one."""
    resources = make_resources()
    client = resources.client("s3")
    source = S3MerchantRiskSource(client, resources.bucket, ttl_seconds=0)
    key = aws.merchant_risk_key(FIRST)
    client.put_object(Bucket=resources.bucket, Key=key, Body=merchant_risk_to_json(snapshot(FIRST, 1), FIRST))
    assert source.current() == snapshot(FIRST, 1)

    client.put_object(Bucket=resources.bucket, Key=key, Body=merchant_risk_to_json(snapshot(FIRST, 3), FIRST))

    assert source.current() == snapshot(FIRST, 3)


# --- Which snapshot is in force, and which are refused (S3 only) ---------------------------------------------------


def _recorded(resources: Resources, **kwargs: Any) -> tuple[S3MerchantRiskSource, RecordingMetrics]:
    metrics = RecordingMetrics()
    return S3MerchantRiskSource(resources.client("s3"), resources.bucket, metrics=metrics, **kwargs), metrics


def _put(resources: Resources, key: str, body: str | bytes) -> None:
    resources.client("s3").put_object(Bucket=resources.bucket, Key=key, Body=body)


def test_a_deeply_nested_snapshot_is_refused_the_last_good_kept_and_not_downloaded_again(
    make_resources: Callable[[], Resources],
):
    """It raised RecursionError out of the loader, on every invocation, and so stopped all processing."""
    resources = make_resources()
    clock = Ticks()
    good = snapshot(FIRST, 2)
    _put(resources, aws.merchant_risk_key(FIRST), merchant_risk_to_json(good, FIRST))
    source, metrics = _recorded(resources, ttl_seconds=300, monotonic=clock)
    calls = Calls(source._client)
    assert source.current() == good
    later = FIRST + timedelta(days=1)
    nested = json.dumps({"as_of": later.isoformat(), "merchants": None}).replace("null", "[" * 10**5 + "]" * 10**5)
    _put(resources, aws.merchant_risk_key(later), nested)

    clock.now = 300.0
    assert source.current() == good
    assert source.published_on == FIRST
    assert metrics.config_refused == [aws.CONFIG_MERCHANT_RISK]
    assert calls["GetObject"] == 2
    for now in (301.0, 599.0, 600.0, 900.0):  # within the TTL, then later: the same key and ETag, never again
        clock.now = now
        assert source.current() == good
    assert calls["GetObject"] == 2 and metrics.config_refused == [aws.CONFIG_MERCHANT_RISK]


def test_a_snapshot_with_counts_out_of_bounds_is_refused(make_resources: Callable[[], Resources]):
    resources = make_resources()
    good = snapshot(FIRST, 2)
    _put(resources, aws.merchant_risk_key(FIRST), merchant_risk_to_json(good, FIRST))
    source, metrics = _recorded(resources, ttl_seconds=0)
    assert source.current() == good
    later = FIRST + timedelta(days=1)
    huge = aws.MERCHANT_RISK_MAX_COUNT * 10**9  # old code built a tuple of this many entries
    body = {"as_of": later.isoformat(), "merchants": {"m": {FIRST.isoformat(): [huge, huge]}}}

    _put(resources, aws.merchant_risk_key(later), json.dumps(body))

    assert source.current() == good
    assert metrics.config_refused == [aws.CONFIG_MERCHANT_RISK]


def test_keys_that_are_not_iso_dates_are_ignored_and_the_newest_date_wins(make_resources: Callable[[], Resources]):
    resources = make_resources()
    good = snapshot(FIRST, 2)
    _put(resources, aws.merchant_risk_key(FIRST), merchant_risk_to_json(good, FIRST))
    stray = merchant_risk_to_json(snapshot(FIRST, 5), FIRST)
    for name in ("latest.json", "2025-3-09.json", "20250309.json", "2025-02-30.json", "2025-03-09.json.tmp"):
        _put(resources, f"{aws.MERCHANT_RISK_PREFIX}{name}", stray)
    source, metrics = _recorded(resources, ttl_seconds=0)

    assert source.current() == good
    assert source.published_on == FIRST
    assert metrics.config_refused == []


def test_a_snapshot_whose_as_of_is_not_its_keys_date_is_refused(make_resources: Callable[[], Resources]):
    resources = make_resources()
    later = FIRST + timedelta(days=1)
    _put(resources, aws.merchant_risk_key(later), merchant_risk_to_json(snapshot(FIRST, 2), FIRST))
    source, metrics = _recorded(resources, ttl_seconds=0)

    assert source.current() == NO_MERCHANT_RISK
    assert source.published_on is None
    assert metrics.config_refused == [aws.CONFIG_MERCHANT_RISK]


def test_a_snapshot_older_than_the_one_in_force_is_refused(make_resources: Callable[[], Resources]):
    resources = make_resources()
    client = resources.client("s3")
    later = FIRST + timedelta(days=1)
    _put(resources, aws.merchant_risk_key(FIRST), merchant_risk_to_json(snapshot(FIRST, 1), FIRST))
    _put(resources, aws.merchant_risk_key(later), merchant_risk_to_json(snapshot(later, 2), later))
    source, metrics = _recorded(resources, ttl_seconds=0)
    assert source.current() == snapshot(later, 2)

    client.delete_object(Bucket=resources.bucket, Key=aws.merchant_risk_key(later))

    assert source.current() == snapshot(later, 2)
    assert source.published_on == later
    assert metrics.config_refused == [aws.CONFIG_MERCHANT_RISK]
