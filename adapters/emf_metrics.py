"""Batch metrics as CloudWatch Embedded Metric Format printed to stdout: zero CloudWatch API calls.

Powertools `Metrics` instances share one metric set per process, so each namespace gets its own EphemeralMetrics,
created per flush: nothing is kept between invocations. Powertools is imported by the first flush, not at import
(its package imports its logger, metrics and tracer: a tenth of the processor's cold import).

Every blob carries the dimensions `service` and `stack` (the function's Pulumi stack, ENV_STACK_NAME), so stacks
sharing an account (dev, prod) never count each other's traffic; the alarms and dashboards query both.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from contracts.aws import (
    LOCAL_STACK_NAME,
    METRIC_CONFIG_DIMENSION,
    METRIC_CONFIG_REFUSED_COUNT,
    METRIC_CONFLICT_COUNT,
    METRIC_DAILY_SPEND,
    METRIC_DETECTED_COUNT,
    METRIC_DUPLICATE_COUNT,
    METRIC_FAILED_COUNT,
    METRIC_MERCHANT_RISK_SNAPSHOT_AGE,
    METRIC_PROCESSED_COUNT,
    METRIC_QUARANTINED_COUNT,
    METRIC_SHADOW_AGREEMENT_COUNT,
    METRIC_SHADOW_FLAGGED_COUNT,
    METRIC_SHADOW_SCORED_COUNT,
    METRIC_STACK_DIMENSION,
    METRICS_NAMESPACE_COSTS,
    METRICS_NAMESPACE_FRAUD,
    METRICS_NAMESPACE_TRANSACTIONS,
    SERVICE_NAME,
)

if TYPE_CHECKING:
    from aws_lambda_powertools.metrics import EphemeralMetrics


def _metrics(namespace: str, service: str, stack: str) -> EphemeralMetrics:
    from aws_lambda_powertools.metrics import EphemeralMetrics

    metrics = EphemeralMetrics(namespace=namespace, service=service)
    # A plain dimension, not `default_dimensions`: the instance lives for one flush, and Powertools 3.19 re-adds its
    # defaults when a flush clears the set, warning "Dimension 'stack' has already been added" on every flush.
    metrics.add_dimension(name=METRIC_STACK_DIMENSION, value=stack)
    return metrics


COUNT, NO_UNIT = "Count", "NoUnit"
"""Names of Powertools' MetricUnit, which add_metric takes as they are (written as "Count" and "None")."""


class EmfMetrics:
    def __init__(self, service: str = SERVICE_NAME, stack: str = LOCAL_STACK_NAME) -> None:
        self._service, self._stack = service, stack

    def record_batch(self, processed: int, flagged: int, duplicates: int, failed: int, conflicts: int = 0) -> None:
        self._flush(
            METRICS_NAMESPACE_TRANSACTIONS,
            {
                METRIC_PROCESSED_COUNT: processed,
                METRIC_DUPLICATE_COUNT: duplicates,
                METRIC_FAILED_COUNT: failed,
                METRIC_CONFLICT_COUNT: conflicts,
            },
        )
        self._flush(METRICS_NAMESPACE_FRAUD, {METRIC_DETECTED_COUNT: flagged})

    def record_shadow(self, scored: int, agreed: int, flagged: int) -> None:
        """`SecureBank/Fraud` ShadowScoredCount, ShadowAgreementCount and ShadowFlaggedCount of one batch, in the same
        blob as every other count: no extra AWS call (agreement and shadow flag rate are their ratios)."""
        self._flush(
            METRICS_NAMESPACE_FRAUD,
            {
                METRIC_SHADOW_SCORED_COUNT: scored,
                METRIC_SHADOW_AGREEMENT_COUNT: agreed,
                METRIC_SHADOW_FLAGGED_COUNT: flagged,
            },
        )

    def record_quarantined(self, count: int) -> None:
        self._flush(METRICS_NAMESPACE_TRANSACTIONS, {METRIC_QUARANTINED_COUNT: count})

    def record_merchant_risk_age(self, days: int) -> None:
        """`SecureBank/Fraud` MerchantRiskSnapshotAgeDays: days between the batch and the snapshot in force."""
        metrics = _metrics(METRICS_NAMESPACE_FRAUD, self._service, self._stack)
        metrics.add_metric(name=METRIC_MERCHANT_RISK_SNAPSHOT_AGE, unit=NO_UNIT, value=days)
        metrics.flush_metrics()

    def record_config_refused(self, config: str) -> None:
        """`SecureBank/Fraud` ConfigRefusedCount 1, dimensions `service`, `stack` and `config` (policy or
        merchant-risk): a published object the processor refused, keeping the value in force."""
        metrics = _metrics(METRICS_NAMESPACE_FRAUD, self._service, self._stack)
        metrics.add_dimension(name=METRIC_CONFIG_DIMENSION, value=config)
        metrics.add_metric(name=METRIC_CONFIG_REFUSED_COUNT, unit=COUNT, value=1)
        metrics.flush_metrics()

    def _flush(self, namespace: str, values: dict[str, int]) -> None:
        metrics = _metrics(namespace, self._service, self._stack)
        for name, value in values.items():
            metrics.add_metric(name=name, unit=COUNT, value=value)
        metrics.flush_metrics()


class EmfCostMetrics:
    """`SecureBank/Costs` DailySpend (USD), timestamped at the start of the day it measures."""

    def __init__(self, service: str = SERVICE_NAME, stack: str = LOCAL_STACK_NAME) -> None:
        self._service, self._stack = service, stack

    def record_daily_spend(self, day: date, amount: Decimal) -> None:
        metrics = _metrics(METRICS_NAMESPACE_COSTS, self._service, self._stack)
        metrics.add_metric(name=METRIC_DAILY_SPEND, unit=NO_UNIT, value=float(amount))
        metrics.set_timestamp(datetime(day.year, day.month, day.day, tzinfo=UTC))
        metrics.flush_metrics()
