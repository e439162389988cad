"""PolicySource contract: the seed policy until one is published, then the newest published version (S3: after the
cache TTL; a bad object never replaces a good policy)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from adapters.memory import RecordingMetrics, StaticPolicySource
from adapters.s3_policy import S3PolicySource
from adapters.serialization import policy_to_json
from contracts import aws
from domain.policy import FraudPolicy
from tests.conftest import Resources
from tests.contract.conftest import MOTO_EXAMPLES

Source = tuple[Any, Callable[[FraudPolicy], None]]


@pytest.fixture(params=["memory", "s3"])
def make_source(request: pytest.FixtureRequest) -> Callable[[], Source]:
    """Factory of (policy source with no caching, publish a policy)."""
    if request.param == "memory":

        def memory() -> Source:
            source = StaticPolicySource()
            return source, lambda policy: setattr(source, "policy", policy)

        return memory
    make_resources: Callable[[], Resources] = request.getfixturevalue("make_resources")

    def s3() -> Source:
        resources = make_resources()
        client = resources.client("s3")

        def publish(policy: FraudPolicy) -> None:
            client.put_object(Bucket=resources.bucket, Key=aws.policy_key(policy.version), Body=policy_to_json(policy))

        return S3PolicySource(client, resources.bucket, ttl_seconds=0), publish

    return s3


def version(n: int) -> FraudPolicy:
    return attrs.evolve(FraudPolicy.default(), version=n)


def test_the_seed_policy_is_in_force_until_one_is_published(make_source: Callable[[], Source]):
    source, _ = make_source()

    assert source.current() == FraudPolicy.default()


@MOTO_EXAMPLES
@given(versions=st.lists(st.integers(2, 10**6), min_size=1, max_size=4, unique=True).map(sorted))
def test_the_newest_published_version_is_in_force(make_source: Callable[[], Source], versions: list[int]):
    source, publish = make_source()
    for n in versions:
        publish(version(n))

    assert source.current() == version(versions[-1])


class Ticks:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_s3_policy_is_cached_for_the_ttl(make_resources: Callable[[], Resources]):
    resources = make_resources()
    client = resources.client("s3")
    clock = Ticks()
    source = S3PolicySource(client, resources.bucket, ttl_seconds=300, monotonic=clock)
    assert source.current() == FraudPolicy.default()

    client.put_object(Bucket=resources.bucket, Key=aws.policy_key(7), Body=policy_to_json(version(7)))
    clock.now = 299.0
    assert source.current() == FraudPolicy.default()
    clock.now = 300.0
    assert source.current() == version(7)


def test_a_bad_policy_object_keeps_the_policy_in_force(make_resources: Callable[[], Resources]):
    resources = make_resources()
    client = resources.client("s3")
    client.put_object(Bucket=resources.bucket, Key=aws.policy_key(3), Body=policy_to_json(version(3)))
    source = S3PolicySource(client, resources.bucket, ttl_seconds=0)
    assert source.current() == version(3)

    client.put_object(Bucket=resources.bucket, Key=aws.policy_key(4), Body=b'{"version": "four"}')
    client.put_object(Bucket=resources.bucket, Key=aws.policy_key(5), Body=b"not json")

    assert source.current() == version(3)


def test_an_unreadable_bucket_falls_back_to_the_seed(make_resources: Callable[[], Resources]):
    resources = make_resources()
    source = S3PolicySource(resources.client("s3"), "no-such-bucket-anywhere", ttl_seconds=0)

    assert source.current() == FraudPolicy.default()


# --- Which object is in force, and which are refused (S3 only: the static fake has no published objects) ----------


class Calls:
    """How many times the S3 client made each API call: a botocore event hook on the real (moto) client."""

    def __init__(self, client: Any) -> None:
        self.counts: dict[str, int] = {}
        client.meta.events.register("before-call.s3.*", self._count)

    def _count(self, model: Any, **_: Any) -> None:
        self.counts[model.name] = self.counts.get(model.name, 0) + 1

    def __getitem__(self, name: str) -> int:
        return self.counts.get(name, 0)


def _recorded(resources: Resources, **kwargs: Any) -> tuple[S3PolicySource, RecordingMetrics]:
    metrics = RecordingMetrics()
    return S3PolicySource(resources.client("s3"), resources.bucket, metrics=metrics, **kwargs), metrics


def _put(resources: Resources, key: str, body: str | bytes) -> None:
    resources.client("s3").put_object(Bucket=resources.bucket, Key=key, Body=body)


STRAY_POLICY_NAMES = ("zz-hotfix.json", "v3.json", "v00000000099.json", "v0000000009.json.bak", "v0000000009.JSON")


def test_a_key_the_publisher_does_not_write_is_ignored_and_logged_once(
    make_resources: Callable[[], Resources], caplog: pytest.LogCaptureFixture
):
    """The lexically last key used to win: `zz-hotfix.json` (version 1, threshold 100) flagged nothing at all."""
    resources = make_resources()
    _put(resources, aws.policy_key(3), policy_to_json(version(3)))
    hotfix = attrs.evolve(FraudPolicy.default(), version=1, threshold=Decimal(100))
    strays = [f"{aws.POLICY_PREFIX}{name}" for name in STRAY_POLICY_NAMES]
    for key in strays:
        _put(resources, key, policy_to_json(hotfix))
    source, metrics = _recorded(resources, ttl_seconds=0)

    with caplog.at_level(logging.WARNING):
        assert source.current() == version(3)
        assert source.current() == version(3)

    messages = [r.getMessage() for r in caplog.records]
    assert [sum(f"ignoring {key}," in m for m in messages) for key in strays] == [1] * len(strays)  # listed twice
    assert metrics.config_refused == []  # ignored, not refused: never downloaded


def test_the_newest_version_is_chosen_by_number_whatever_order_the_keys_are_listed_in(
    make_resources: Callable[[], Resources],
):
    resources = make_resources()
    for n in (9, 10, 11, 100):  # as unpadded names these would sort 10, 100, 11, 9
        _put(resources, aws.policy_key(n), policy_to_json(version(n)))
    source, _ = _recorded(resources, ttl_seconds=0)

    assert source.current() == version(100)


@pytest.mark.parametrize("above", [Decimal(0), Decimal("0.01"), Decimal(99)])
def test_a_threshold_no_risk_score_can_exceed_is_refused(make_resources: Callable[[], Resources], above: Decimal):
    resources = make_resources()
    _put(resources, aws.policy_key(3), policy_to_json(version(3)))
    source, metrics = _recorded(resources, ttl_seconds=0)
    assert source.current() == version(3)
    blind = attrs.evolve(version(4), threshold=version(4).total_weight + above)
    assert not blind.can_flag

    _put(resources, aws.policy_key(4), policy_to_json(blind))

    assert source.current() == version(3)
    assert metrics.config_refused == [aws.CONFIG_POLICY]


def test_a_threshold_just_below_the_total_weight_is_accepted(make_resources: Callable[[], Resources]):
    resources = make_resources()
    barely = attrs.evolve(version(4), threshold=version(4).total_weight - Decimal("0.01"))
    _put(resources, aws.policy_key(4), policy_to_json(barely))
    source, metrics = _recorded(resources, ttl_seconds=0)

    assert source.current() == barely and barely.can_flag
    assert metrics.config_refused == []


def test_a_version_going_backwards_is_refused(make_resources: Callable[[], Resources]):
    resources = make_resources()
    client = resources.client("s3")
    _put(resources, aws.policy_key(4), policy_to_json(version(4)))
    _put(resources, aws.policy_key(5), policy_to_json(version(5)))
    source, metrics = _recorded(resources, ttl_seconds=0)
    assert source.current() == version(5)

    client.delete_object(Bucket=resources.bucket, Key=aws.policy_key(5))  # v4 is the newest key now

    assert source.current() == version(5)
    assert metrics.config_refused == [aws.CONFIG_POLICY]


def test_a_published_version_below_the_seeds_is_refused(make_resources: Callable[[], Resources]):
    resources = make_resources()
    _put(resources, aws.policy_key(0), policy_to_json(version(0)))
    source, metrics = _recorded(resources, ttl_seconds=0)

    assert source.current() == FraudPolicy.default()
    assert metrics.config_refused == [aws.CONFIG_POLICY]


def test_a_file_whose_version_is_not_its_keys_is_refused(make_resources: Callable[[], Resources]):
    resources = make_resources()
    _put(resources, aws.policy_key(3), policy_to_json(version(3)))
    source, metrics = _recorded(resources, ttl_seconds=0)
    assert source.current() == version(3)

    _put(resources, aws.policy_key(9), policy_to_json(version(7)))

    assert source.current() == version(3)
    assert metrics.config_refused == [aws.CONFIG_POLICY]


def test_a_refused_object_is_not_downloaded_again_until_it_changes(make_resources: Callable[[], Resources]):
    resources = make_resources()
    clock = Ticks()
    source, metrics = _recorded(resources, ttl_seconds=300, monotonic=clock)
    calls = Calls(source._client)
    _put(resources, aws.policy_key(2), b'{"version": "two"}')

    assert source.current() == FraudPolicy.default()
    assert (calls["ListObjectsV2"], calls["GetObject"], metrics.config_refused) == (1, 1, [aws.CONFIG_POLICY])
    clock.now = 299.0
    source.current()  # within the TTL: no S3 call at all
    clock.now = 300.0
    source.current()  # a TTL later: listed again, but the same key and ETag are not downloaded again
    clock.now = 600.0
    source.current()
    assert (calls["ListObjectsV2"], calls["GetObject"], metrics.config_refused) == (3, 1, [aws.CONFIG_POLICY])

    _put(resources, aws.policy_key(2), policy_to_json(version(2)))  # fixed in place: a new ETag
    clock.now = 900.0
    assert source.current() == version(2)
    assert (calls["ListObjectsV2"], calls["GetObject"], metrics.config_refused) == (4, 2, [aws.CONFIG_POLICY])


def test_an_object_larger_than_the_limit_is_refused_unread(make_resources: Callable[[], Resources]):
    resources = make_resources()
    _put(resources, aws.policy_key(2), b" " * (aws.CONFIG_MAX_OBJECT_BYTES + 1))
    source, metrics = _recorded(resources, ttl_seconds=0)
    calls = Calls(source._client)

    assert source.current() == FraudPolicy.default()
    assert calls["GetObject"] == 0 and metrics.config_refused == [aws.CONFIG_POLICY]


def test_a_failing_listing_backs_off_for_the_ttl(make_resources: Callable[[], Resources]):
    resources = make_resources()
    clock = Ticks()
    metrics = RecordingMetrics()
    source = S3PolicySource(
        resources.client("s3"), "no-such-bucket-anywhere", ttl_seconds=300, monotonic=clock, metrics=metrics
    )
    calls = Calls(source._client)

    for now in (0.0, 1.0, 299.0):
        clock.now = now
        assert source.current() == FraudPolicy.default()
    assert calls["ListObjectsV2"] == 1
    clock.now = 300.0
    source.current()
    assert calls["ListObjectsV2"] == 2
    assert metrics.config_refused == []  # an S3 error is not the object's fault: logged and retried, not counted
