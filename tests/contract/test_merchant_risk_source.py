"""MerchantRiskSource contract: nothing known until a snapshot is published, then the newest day's snapshot (S3:
after the cache TTL; a bad object never replaces a good snapshot), with `published_on` its `as_of` date."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from adapters.memory import StaticMerchantRiskSource
from adapters.s3_merchant_risk import S3MerchantRiskSource
from adapters.serialization import merchant_risk_to_json
from contracts import aws
from domain.merchant_risk import KNOWN, NO_MERCHANT_RISK, MerchantDay, MerchantRisk
from tests.conftest import Resources
from tests.contract.conftest import MOTO_EXAMPLES
from tests.contract.test_policy_source import Ticks

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
