"""The config feeds' key layout (contracts/aws.py): what the publishers write parses back to its version or date,
and nothing else does, so a reader can select by parsed value and ignore every other key."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from contracts import aws
from domain.policy import FraudPolicy


@given(st.integers(0, 10**aws.POLICY_VERSION_DIGITS - 1))
def test_a_policy_key_parses_back_to_its_version(version: int):
    assert aws.policy_key_version(aws.policy_key(version)) == version


@given(st.dates())
def test_a_merchant_risk_key_parses_back_to_its_day(day: date):
    assert aws.merchant_risk_key_day(aws.merchant_risk_key(day)) == day


@pytest.mark.parametrize(
    "name",
    ["zz-hotfix.json", "v3.json", "v00000000003.json", "v000000003.json", "v0000000003.json.bak", "v0000000003.JSON",
     "V0000000003.json", "v000000000٣.json", "v-000000003.json", "nested/v0000000003.json", "v0000000003json"],
)  # fmt: skip
def test_only_keys_the_tuner_writes_are_policy_keys(name: str):
    assert aws.policy_key_version(f"{aws.POLICY_PREFIX}{name}") is None
    assert aws.policy_key_version(f"other/{name}") is None


def test_a_version_beyond_ten_digits_has_no_key():
    with pytest.raises(ValueError, match="10 digits"):
        aws.policy_key(10**10)
    with pytest.raises(ValueError, match="10 digits"):
        aws.policy_key(-1)


@pytest.mark.parametrize(
    "name",
    ["latest.json", "20250301.json", "2025-3-01.json", "2025-02-30.json", "2025-W09-6.json", "2025-03-01.json.tmp",
     "2025-03-01T00:00.json", "+2025-03-01.json", "٢٠٢٥-03-01.json"],
)  # fmt: skip
def test_only_iso_dates_the_job_writes_are_merchant_risk_keys(name: str):
    assert aws.merchant_risk_key_day(f"{aws.MERCHANT_RISK_PREFIX}{name}") is None


def test_a_policy_can_flag_only_while_its_threshold_is_below_the_total_weight_of_its_rules():
    policy = FraudPolicy.default()
    assert policy.total_weight == Decimal("1.0")

    assert attrs.evolve(policy, threshold=Decimal("0.99")).can_flag
    assert not attrs.evolve(policy, threshold=Decimal("1.0")).can_flag  # fraud is risk_score > threshold
    assert not attrs.evolve(policy, threshold=Decimal(100)).can_flag
    silent = attrs.evolve(policy, velocity_check=attrs.evolve(policy.velocity_check, weight=Decimal(0)))
    assert not attrs.evolve(silent, threshold=Decimal("0.6")).can_flag  # 0.3 + 0.2 + 0.1 left
