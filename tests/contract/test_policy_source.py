"""PolicySource contract: the seed policy until one is published, then the newest published version (S3: after the
cache TTL; a bad object never replaces a good policy)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from adapters.memory import StaticPolicySource
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
