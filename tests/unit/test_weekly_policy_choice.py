"""The weekly job starts from the policy the processor has in force: chosen by parsed version, never by key order."""

from __future__ import annotations

from decimal import Decimal

import attrs
import pytest

pytest.importorskip("pyspark")

from adapters.serialization import policy_to_json
from contracts.aws import POLICY_PREFIX, policy_key
from domain.policy import FraudPolicy
from jobs.fraud_patterns import current_policy


class Files:
    def __init__(self, objects: dict[str, str]) -> None:
        self.objects = objects

    def keys(self, prefix: str) -> list[str]:
        return sorted(k for k in self.objects if k.startswith(prefix))

    def read(self, key: str) -> str:
        return self.objects[key]


def test_a_stray_key_that_sorts_last_is_ignored_and_the_newest_version_chosen():
    three = attrs.evolve(FraudPolicy.default(), version=3, threshold=Decimal("0.7"))
    hotfix = attrs.evolve(FraudPolicy.default(), version=1, threshold=Decimal("100"))
    files = Files({policy_key(3): policy_to_json(three), f"{POLICY_PREFIX}zz-hotfix.json": policy_to_json(hotfix)})

    assert current_policy(files) == (three, 3)  # type: ignore[arg-type]


def test_without_a_published_version_the_specifications_policy_is_the_start():
    assert current_policy(Files({f"{POLICY_PREFIX}notes.json": "{}"})) == (FraudPolicy.default(), 1)  # type: ignore[arg-type]
