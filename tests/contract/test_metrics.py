"""Metrics contract: what a batch reports adds up the same in the recording fake and in the EMF adapter's output
(CloudWatch Embedded Metric Format on stdout: no CloudWatch API call)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.emf_metrics import EmfCostMetrics, EmfMetrics
from adapters.memory import RecordingMetrics
from contracts import aws
from handlers.settings import Settings

counts = st.tuples(*[st.integers(0, 100)] * 4)


def emf_totals(stdout: str) -> dict[tuple[str, str], float]:
    totals: dict[tuple[str, str], float] = {}
    for line in stdout.splitlines():
        blob = json.loads(line)
        (directive,) = blob["_aws"]["CloudWatchMetrics"]
        for metric in directive["Metrics"]:
            key = (directive["Namespace"], metric["Name"])
            value = blob[metric["Name"]]
            totals[key] = totals.get(key, 0) + sum(value if isinstance(value, list) else [value])
    return totals


@settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(batches=st.lists(counts, max_size=4))
def test_emf_output_adds_up_to_what_the_recording_fake_counts(capsys: pytest.CaptureFixture[str], batches):
    capsys.readouterr()
    recording, emf = RecordingMetrics(), EmfMetrics()
    for batch in batches:
        recording.record_batch(*batch)
        emf.record_batch(*batch)

    totals = emf_totals(capsys.readouterr().out)
    assert totals.get((aws.METRICS_NAMESPACE_TRANSACTIONS, aws.METRIC_PROCESSED_COUNT), 0) == recording.processed
    assert totals.get((aws.METRICS_NAMESPACE_FRAUD, aws.METRIC_DETECTED_COUNT), 0) == recording.flagged
    assert totals.get((aws.METRICS_NAMESPACE_TRANSACTIONS, aws.METRIC_DUPLICATE_COUNT), 0) == recording.duplicates
    assert totals.get((aws.METRICS_NAMESPACE_TRANSACTIONS, aws.METRIC_FAILED_COUNT), 0) == recording.failed


SERVICE_AND_STACK = sorted([aws.METRIC_SERVICE_DIMENSION, aws.METRIC_STACK_DIMENSION])


def _dimension_sets(blob: dict) -> list[list[str]]:
    (directive,) = blob["_aws"]["CloudWatchMetrics"]
    return [sorted(names) for names in directive["Dimensions"]]  # CloudWatch ignores the order of a set's names


def test_each_batch_is_one_emf_blob_per_namespace_with_the_service_and_stack_dimensions(
    capsys: pytest.CaptureFixture[str],
):
    capsys.readouterr()
    EmfMetrics("securebank", "prod").record_batch(processed=100, flagged=3, duplicates=0, failed=0)

    blobs = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [b["_aws"]["CloudWatchMetrics"][0]["Namespace"] for b in blobs] == [
        aws.METRICS_NAMESPACE_TRANSACTIONS, aws.METRICS_NAMESPACE_FRAUD]  # fmt: skip
    assert all(b["service"] == "securebank" and b["stack"] == "prod" for b in blobs)
    assert all(_dimension_sets(b) == [SERVICE_AND_STACK] for b in blobs)
    assert blobs[1][aws.METRIC_DETECTED_COUNT] == [3.0]


def test_every_emf_blob_carries_the_stack_and_local_runs_say_local(capsys: pytest.CaptureFixture[str]):
    """Two stacks in one account must not count each other's traffic: no blob leaves without its stack."""
    capsys.readouterr()
    dev = EmfMetrics("securebank", "dev")
    dev.record_batch(processed=1, flagged=0, duplicates=0, failed=0)
    dev.record_quarantined(2)
    dev.record_merchant_risk_age(1)
    dev.record_config_refused(aws.CONFIG_POLICY)
    EmfCostMetrics(stack="dev").record_daily_spend(datetime.now(UTC).date(), Decimal("1.25"))
    EmfMetrics().record_quarantined(1)

    blobs = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [b[aws.METRIC_STACK_DIMENSION] for b in blobs] == ["dev"] * 6 + [aws.LOCAL_STACK_NAME]
    assert all(aws.METRIC_STACK_DIMENSION in names for b in blobs for names in _dimension_sets(b))


def test_settings_read_the_stack_from_its_contract_variable() -> None:
    assert Settings.from_env({aws.ENV_STACK_NAME: "prod"}).stack == "prod"
    assert Settings.from_env({}).stack == Settings.from_env({aws.ENV_STACK_NAME: ""}).stack == aws.LOCAL_STACK_NAME


def test_the_merchant_risk_snapshot_age_is_one_fraud_namespace_blob_with_the_service_dimension(
    capsys: pytest.CaptureFixture[str],
):
    capsys.readouterr()
    recording = RecordingMetrics()
    recording.record_merchant_risk_age(3)
    EmfMetrics("securebank").record_merchant_risk_age(3)

    (blob,) = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    (directive,) = blob["_aws"]["CloudWatchMetrics"]
    assert directive["Namespace"] == aws.METRICS_NAMESPACE_FRAUD
    assert _dimension_sets(blob) == [SERVICE_AND_STACK] and blob["service"] == "securebank"
    assert [m["Name"] for m in directive["Metrics"]] == [aws.METRIC_MERCHANT_RISK_SNAPSHOT_AGE]
    assert aws.METRIC_MERCHANT_RISK_SNAPSHOT_AGE == "MerchantRiskSnapshotAgeDays"
    assert blob[aws.METRIC_MERCHANT_RISK_SNAPSHOT_AGE] == [3.0] and recording.merchant_risk_ages == [3]


@pytest.mark.parametrize("config", [aws.CONFIG_POLICY, aws.CONFIG_MERCHANT_RISK])
def test_a_refused_config_object_is_one_fraud_namespace_count_with_the_service_and_config_dimensions(
    capsys: pytest.CaptureFixture[str], config: str
):
    capsys.readouterr()
    recording = RecordingMetrics()
    recording.record_config_refused(config)
    EmfMetrics("securebank").record_config_refused(config)

    (blob,) = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    (directive,) = blob["_aws"]["CloudWatchMetrics"]
    assert directive["Namespace"] == aws.METRICS_NAMESPACE_FRAUD
    (dimensions,) = directive["Dimensions"]  # one set; CloudWatch ignores the order of its names
    assert sorted(dimensions) == sorted([*SERVICE_AND_STACK, aws.METRIC_CONFIG_DIMENSION])
    assert blob["service"] == "securebank" and blob[aws.METRIC_CONFIG_DIMENSION] == config
    assert [m["Name"] for m in directive["Metrics"]] == [aws.METRIC_CONFIG_REFUSED_COUNT] == ["ConfigRefusedCount"]
    assert blob[aws.METRIC_CONFIG_REFUSED_COUNT] == [1.0] and recording.config_refused == [config]


@settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(batches=st.lists(st.tuples(*[st.integers(0, 100)] * 3), max_size=4))
def test_shadow_counts_add_up_the_same_in_emf_and_in_the_recording_fake(capsys: pytest.CaptureFixture[str], batches):
    capsys.readouterr()
    recording, emf = RecordingMetrics(), EmfMetrics(stack="dev")
    for batch in batches:
        recording.record_shadow(*batch)
        emf.record_shadow(*batch)

    out = capsys.readouterr().out
    totals = emf_totals(out)
    fraud = aws.METRICS_NAMESPACE_FRAUD
    assert totals.get((fraud, aws.METRIC_SHADOW_SCORED_COUNT), 0) == recording.shadow_scored
    assert totals.get((fraud, aws.METRIC_SHADOW_AGREEMENT_COUNT), 0) == recording.shadow_agreed
    assert totals.get((fraud, aws.METRIC_SHADOW_FLAGGED_COUNT), 0) == recording.shadow_flagged
    for line in out.splitlines():
        assert json.loads(line)[aws.METRIC_STACK_DIMENSION] == "dev"
