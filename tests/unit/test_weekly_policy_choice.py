"""The weekly job tunes from the ACTIVE policy (the release record's, else the seed) and numbers its candidate after
the greatest PUBLISHED version, chosen by parsed version, never by key order; a learned policy already published is
recognised."""

from __future__ import annotations

from decimal import Decimal

import attrs
import pytest

from adapters.release_codec import release_to_json
from adapters.serialization import policy_to_json
from contracts.aws import POLICY_PREFIX, POLICY_RELEASE_KEY, policy_key, policy_report_key
from domain.policy import FraudPolicy
from domain.release import Release
from jobs.policy_versions import published, same_as_published

THREE = attrs.evolve(FraudPolicy.default(), version=3, threshold=Decimal("0.7"))
TWO = attrs.evolve(FraudPolicy.default(), version=2, threshold=Decimal("0.8"))


class Files:
    """LakeFiles' listing: the files directly under a prefix."""

    def __init__(self, objects: dict[str, str]) -> None:
        self.objects = objects

    def keys(self, prefix: str) -> list[str]:
        return sorted(k for k in self.objects if k.startswith(prefix) and "/" not in k.removeprefix(prefix))

    def read(self, key: str) -> str:
        return self.objects[key]


def _files(active: int | None = None, *, record: bool = True) -> Files:
    hotfix = attrs.evolve(FraudPolicy.default(), version=9, threshold=Decimal("100"))
    objects = {
        policy_key(2): policy_to_json(TWO),
        policy_key(3): policy_to_json(THREE),
        policy_report_key(3): "{}",
        f"{POLICY_PREFIX}zz-hotfix.json": policy_to_json(hotfix),  # sorts last; not a version key
        f"{POLICY_PREFIX}audit/20250401T000000Z-promote-abc.json": "{}",
    }
    if record:
        objects[POLICY_RELEASE_KEY] = release_to_json(
            Release(active=active, approved_by="ana") if active else Release()
        )
    return Files(objects)


def test_the_start_is_the_active_version_and_the_candidate_follows_the_newest_published_one():
    found = published(_files(active=2))

    assert found.active == TWO
    assert found.newest == 3  # not 2 (the active), not 9 (a stray key), not the report's


def test_without_a_release_record_or_an_active_version_the_seed_policy_is_the_start():
    for files in (_files(record=False), _files(active=None)):
        found = published(files)
        assert found.active == FraudPolicy.default()
        assert found.newest == 3


def test_an_empty_lake_starts_from_the_seed_and_numbers_the_first_candidate_two():
    found = published(Files({f"{POLICY_PREFIX}notes.json": "{}"}))

    assert (found.active, found.newest) == (FraudPolicy.default(), 1)


def test_a_release_record_naming_an_unpublished_version_stops_the_job():
    files = _files(active=2)
    del files.objects[policy_key(2)]

    with pytest.raises(FileNotFoundError, match="v0000000002.json"):
        published(files)


def test_a_learned_policy_equal_to_a_published_version_but_for_its_number_is_recognised():
    files = _files(active=2)
    found = published(files)

    assert same_as_published(files, found, attrs.evolve(THREE, version=4)) == 3
    assert same_as_published(files, found, attrs.evolve(THREE, version=4, threshold=Decimal("0.65"))) is None
