"""PolicySource contract: the seed policy until a version is made active, then the active and shadow versions the
release record names (S3: after the cache TTL; a bad record or version never replaces a good state)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from adapters.memory import RecordingMetrics, StaticPolicySource
from adapters.policy_store import PolicyStore, S3Objects, publish_active
from adapters.release_codec import release_to_json
from adapters.s3_policy import S3PolicySource
from adapters.serialization import policy_to_json
from contracts import aws
from domain.policy import FraudPolicy
from domain.release import Release
from tests.conftest import Resources
from tests.contract.conftest import MOTO_EXAMPLES

AT = datetime(2026, 11, 30, 14, tzinfo=UTC)
# (policy source with no caching, make a policy active, put a policy in shadow)
Source = tuple[Any, Callable[[FraudPolicy], None], Callable[[FraudPolicy], None]]


@pytest.fixture(params=["memory", "s3"])
def make_source(request: pytest.FixtureRequest) -> Callable[[], Source]:
    if request.param == "memory":

        def memory() -> Source:
            source = StaticPolicySource()
            return (
                source,
                lambda policy: setattr(source, "policy", policy),
                lambda policy: setattr(source, "shadow_policy", policy),
            )

        return memory
    make_resources: Callable[[], Resources] = request.getfixturevalue("make_resources")

    def s3() -> Source:
        resources = make_resources()
        client = resources.client("s3")
        store = PolicyStore(S3Objects(client, resources.bucket))

        def shadow(policy: FraudPolicy) -> None:
            store.publish(policy)
            store.shadow(policy.version, "test")

        return (
            S3PolicySource(client, resources.bucket, ttl_seconds=0),
            lambda policy: publish_active(store.objects, policy),
            shadow,
        )

    return s3


def version(n: int) -> FraudPolicy:
    return attrs.evolve(FraudPolicy.default(), version=n)


def test_the_seed_policy_is_in_force_with_no_shadow_until_one_is_made_active(make_source: Callable[[], Source]):
    source, _, _ = make_source()

    assert (source.current(), source.shadow()) == (FraudPolicy.default(), None)


@MOTO_EXAMPLES
@given(versions=st.lists(st.integers(2, 10**6), min_size=1, max_size=4, unique=True))
def test_the_version_made_active_last_is_in_force_whatever_its_number(
    make_source: Callable[[], Source], versions: list[int]
):
    source, activate, _ = make_source()
    for n in versions:
        activate(version(n))

    assert source.current() == version(versions[-1])


def test_the_shadow_version_is_scored_beside_the_active_one(make_source: Callable[[], Source]):
    source, activate, shadow = make_source()
    activate(version(2))
    shadow(attrs.evolve(version(3), threshold=Decimal("0.5")))

    assert source.current() == version(2)
    assert source.shadow() == attrs.evolve(version(3), threshold=Decimal("0.5"))


# --- S3 only: the release record, its cache, and what is refused ---------------------------------------------------


class Ticks:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class Calls:
    """How many times the S3 client made each API call: a botocore event hook on the real (moto) client."""

    def __init__(self, client: Any) -> None:
        self.counts: dict[str, int] = {}
        client.meta.events.register("before-call.s3.*", self._count)

    def _count(self, model: Any, **_: Any) -> None:
        self.counts[model.name] = self.counts.get(model.name, 0) + 1

    def __getitem__(self, name: str) -> int:
        return self.counts.get(name, 0)


def _store(resources: Resources) -> PolicyStore:
    return PolicyStore(S3Objects(resources.client("s3"), resources.bucket), clock=lambda: AT)


def _recorded(resources: Resources, **kwargs: Any) -> tuple[S3PolicySource, RecordingMetrics, Calls]:
    metrics = RecordingMetrics()
    source = S3PolicySource(resources.client("s3"), resources.bucket, metrics=metrics, **kwargs)
    return source, metrics, Calls(source._client)


def _put(resources: Resources, key: str, body: str | bytes) -> None:
    resources.client("s3").put_object(Bucket=resources.bucket, Key=key, Body=body)


def test_a_published_candidate_stays_out_of_force_however_new(make_resources: Callable[[], Resources]):
    """The newest version key used to win: a tuner's candidate went live unreviewed within the cache TTL."""
    resources = make_resources()
    store = _store(resources)
    publish_active(store.objects, version(3))
    store.publish(version(99))
    source, _, _ = _recorded(resources, ttl_seconds=0)

    assert (source.current(), source.shadow(), source.key) == (version(3), None, aws.policy_key(3))


def test_the_release_record_is_read_once_a_ttl_with_one_get_and_no_listing(make_resources: Callable[[], Resources]):
    resources = make_resources()
    clock = Ticks()
    source, _, calls = _recorded(resources, ttl_seconds=300, monotonic=clock)
    assert source.current() == FraudPolicy.default()

    store = _store(resources)
    publish_active(store.objects, version(7))
    store.publish(version(8))
    store.shadow(8, "ann")
    clock.now = 299.0
    assert (source.current(), source.shadow()) == (FraudPolicy.default(), None)
    clock.now = 300.0
    assert (source.current(), source.shadow()) == (version(7), version(8))
    assert (calls["GetObject"], calls["ListObjectsV2"]) == (4, 0)  # twice the record, once each version
    clock.now = 600.0
    source.current()
    assert calls["GetObject"] == 5  # the record again (answered 304: unchanged), no version


def test_a_version_is_downloaded_once_however_often_the_record_names_it(make_resources: Callable[[], Resources]):
    resources = make_resources()
    store = _store(resources)
    publish_active(store.objects, version(2))
    store.publish(version(3))
    store.shadow(3, "ann")
    gets: list[str] = []
    resources.session.events.register(
        "provide-client-params.s3.GetObject", lambda params, **_: gets.append(params["Key"])
    )
    source, _, _ = _recorded(resources, ttl_seconds=0)
    assert (source.current(), source.shadow()) == (version(2), version(3))

    store.promote(3, "bob")
    assert (source.current(), source.shadow()) == (version(3), None)
    store.rollback("carol", "precision fell")
    assert (source.current(), source.shadow()) == (version(2), None)

    assert sorted(set(gets)) == [aws.POLICY_RELEASE_KEY, aws.policy_key(2), aws.policy_key(3)]
    assert (gets.count(aws.policy_key(2)), gets.count(aws.policy_key(3))) == (1, 1)


def test_a_rollback_to_an_earlier_version_is_accepted(make_resources: Callable[[], Resources]):
    resources = make_resources()
    store = _store(resources)
    publish_active(store.objects, version(4))
    publish_active(store.objects, version(5))
    source, metrics, _ = _recorded(resources, ttl_seconds=0)
    assert source.current() == version(5)

    store.rollback("ann")

    assert source.current() == version(4) and metrics.config_refused == []


def test_a_deleted_release_record_is_the_seed_policy(make_resources: Callable[[], Resources]):
    resources = make_resources()
    publish_active(_store(resources).objects, version(4))
    source, metrics, _ = _recorded(resources, ttl_seconds=0)
    assert source.current() == version(4)

    resources.client("s3").delete_object(Bucket=resources.bucket, Key=aws.POLICY_RELEASE_KEY)

    assert (source.current(), source.key, metrics.config_refused) == (FraudPolicy.default(), None, [])


def _refused_keeps_the_state(resources: Resources, put_bad: Callable[[], None]) -> tuple[S3PolicySource, Any]:
    store = _store(resources)
    publish_active(store.objects, version(3))
    store.publish(version(4))
    store.shadow(4, "ann")
    source, metrics, calls = _recorded(resources, ttl_seconds=0)
    assert (source.current(), source.shadow()) == (version(3), version(4))

    put_bad()

    assert (source.current(), source.shadow()) == (version(3), version(4))
    assert metrics.config_refused == [aws.CONFIG_POLICY]
    return source, calls


def _record(active: int | None, shadow: int | None = None) -> str:
    release = Release(active=active, approved_by="x", approved_at=AT, shadow=shadow) if active else Release()
    return release_to_json(release)


@pytest.mark.parametrize(
    "what",
    ["not json", "unknown key", "unpublished active", "unpublished shadow", "version not its key's", "too large"],
)
def test_a_bad_release_record_keeps_the_last_good_state_and_is_counted(
    make_resources: Callable[[], Resources], what: str
):
    resources = make_resources()

    def put_bad() -> None:
        if what == "version not its key's":
            _put(resources, aws.policy_key(9), policy_to_json(version(7)))
        bodies = {
            "not json": "{",
            "unknown key": _record(3)[:-2] + ', "extra": 1}',
            "unpublished active": _record(42),
            "unpublished shadow": _record(3, shadow=42),
            "version not its key's": _record(9),
            "too large": " " * (aws.CONFIG_MAX_OBJECT_BYTES + 1),
        }
        _put(resources, aws.POLICY_RELEASE_KEY, bodies[what])

    _refused_keeps_the_state(resources, put_bad)


@pytest.mark.parametrize("above", [Decimal(0), Decimal("0.01"), Decimal(99)])
def test_an_active_threshold_no_risk_score_can_exceed_is_refused(
    make_resources: Callable[[], Resources], above: Decimal
):
    resources = make_resources()
    blind = attrs.evolve(version(5), threshold=version(5).total_weight + above)
    assert not blind.can_flag

    def put_bad() -> None:
        _put(resources, aws.policy_key(5), policy_to_json(blind))  # behind the store's back: it refuses to promote it
        _put(resources, aws.POLICY_RELEASE_KEY, _record(5))

    _refused_keeps_the_state(resources, put_bad)


def test_a_threshold_just_below_the_total_weight_is_accepted(make_resources: Callable[[], Resources]):
    resources = make_resources()
    barely = attrs.evolve(version(4), threshold=version(4).total_weight - Decimal("0.01"))
    publish_active(_store(resources).objects, barely)
    source, metrics, _ = _recorded(resources, ttl_seconds=0)

    assert source.current() == barely and barely.can_flag
    assert metrics.config_refused == []


def test_a_refused_record_is_not_downloaded_again_until_it_changes(
    make_resources: Callable[[], Resources], caplog: pytest.LogCaptureFixture
):
    resources = make_resources()
    clock = Ticks()
    _put(resources, aws.POLICY_RELEASE_KEY, b'{"active": "two"}')
    source, metrics, calls = _recorded(resources, ttl_seconds=300, monotonic=clock)

    with caplog.at_level(logging.ERROR):
        assert source.current() == FraudPolicy.default()
    assert "release record refused" in caplog.text
    for now in (300.0, 600.0):
        clock.now = now
        source.current()  # a TTL later: asked again, answered 304 (unchanged): not parsed, not counted again
    assert (calls["GetObject"], metrics.config_refused) == (3, [aws.CONFIG_POLICY])

    _store(resources).publish(version(2))
    _put(resources, aws.POLICY_RELEASE_KEY, _record(2))  # fixed in place: a new ETag
    clock.now = 900.0
    assert source.current() == version(2)
    assert metrics.config_refused == [aws.CONFIG_POLICY]


def test_an_unreadable_bucket_keeps_the_seed_and_retries_after_the_ttl_uncounted(
    make_resources: Callable[[], Resources],
):
    resources = make_resources()
    clock = Ticks()
    metrics = RecordingMetrics()
    source = S3PolicySource(
        resources.client("s3"), "no-such-bucket-anywhere", ttl_seconds=300, monotonic=clock, metrics=metrics
    )
    calls = Calls(source._client)

    for now in (0.0, 1.0, 299.0):
        clock.now = now
        assert (source.current(), source.shadow()) == (FraudPolicy.default(), None)
    assert calls["GetObject"] == 1
    clock.now = 300.0
    source.current()
    assert calls["GetObject"] == 2
    assert metrics.config_refused == []  # an S3 error is not the record's fault: logged and retried, not counted


def test_an_outage_reading_a_version_keeps_the_last_good_state_and_retries(make_resources: Callable[[], Resources]):
    resources = make_resources()
    store = _store(resources)
    publish_active(store.objects, version(2))
    source, metrics, _ = _recorded(resources, ttl_seconds=0)
    assert source.current() == version(2)
    publish_active(store.objects, version(3))
    failing = {"on": True}

    def outage(params: dict[str, Any], **_: Any) -> None:
        if failing["on"] and params["Key"] == aws.policy_key(3):
            params["Bucket"] = "no-such-bucket-anywhere"  # NoSuchBucket: an S3 error, not the record's fault

    source._client.meta.events.register("provide-client-params.s3.GetObject", outage)
    assert source.current() == version(2)
    failing["on"] = False
    assert source.current() == version(3)
    assert metrics.config_refused == []
