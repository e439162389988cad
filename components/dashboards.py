"""The three CloudWatch dashboards (Operations, Business Metrics, Cost Optimization) as generated JSON bodies.

Every row of a custom (SecureBank/...) metric names the stack's `service` and `stack` dimensions, so a dashboard
shows its own stack's traffic only, even when dev and prod share an account."""

from __future__ import annotations

import json
from typing import Any

import attrs

from contracts.aws import (
    METRIC_DAILY_SPEND,
    METRIC_DETECTED_COUNT,
    METRIC_DUPLICATE_COUNT,
    METRIC_PROCESSED_COUNT,
    METRIC_QUARANTINED_COUNT,
    METRIC_SERVICE_DIMENSION,
    METRIC_STACK_DIMENSION,
    METRICS_NAMESPACE_COSTS,
    METRICS_NAMESPACE_FRAUD,
    METRICS_NAMESPACE_TRANSACTIONS,
    SERVICE_NAME,
)

WIDTH = 12
HEIGHT = 6
DAY_SECONDS = 86400  # S3 storage metrics are daily
LAKE_STORAGE_TYPES: dict[str, tuple[str, ...]] = {
    "STANDARD": ("StandardStorage",),
    "STANDARD_IA": ("StandardIAStorage", "StandardIASizeOverhead"),
    "GLACIER_IR": ("GlacierInstantRetrievalStorage", "GlacierInstantRetrievalSizeOverhead"),
}
"""The lake's storage classes (the lifecycle in components/buckets.py moves raw partitions to STANDARD_IA, then
GLACIER_IR) and the `AWS/S3` BucketSizeBytes StorageTypes that measure each; the size overheads are objects under
128 KB, billed as 128 KB in those classes. tests/infra/test_monitoring.py checks the lake's transitions against it."""


@attrs.frozen
class Charted:
    """The physical names the dashboards chart, resolved (Monitoring resolves its `pulumi.Input`s into this)."""

    api: str
    stage: str
    stream: str
    processor: str
    query: str
    transactions: str
    customers: str
    bucket: str
    queues: tuple[str, ...]


def custom_dimensions(stack: str) -> list[str]:
    """The dimension name/value pairs of a custom metric row (what adapters/emf_metrics.py emits)."""
    return [METRIC_SERVICE_DIMENSION, SERVICE_NAME, METRIC_STACK_DIMENSION, stack]


def _widget(
    index: int, title: str, region: str, metrics: list[list[Any]], stat: str = "Sum", **extra: Any
) -> dict[str, Any]:
    return {
        "type": "metric",
        "x": (index % 2) * WIDTH,
        "y": (index // 2) * HEIGHT,
        "width": WIDTH,
        "height": HEIGHT,
        "properties": {"title": title, "region": region, "metrics": metrics, "stat": stat, "period": 300, **extra},
    }


Widget = tuple[str, list[list[Any]], str] | tuple[str, list[list[Any]], str, dict[str, Any]]


def _body(region: str, widgets: list[Widget]) -> str:
    """Widgets as (title, metric rows, stat[, extra properties]), laid out two a row."""
    return json.dumps(
        {
            "widgets": [
                _widget(i, title, region, metrics, stat, **(rest[0] if rest else {}))
                for i, (title, metrics, stat, *rest) in enumerate(widgets)
            ]
        },
        sort_keys=True,
    )


def operations(region: str, names: Charted) -> str:
    api, stage, stream = names.api, names.stage, names.stream
    functions = [names.processor, names.query]
    return _body(
        region,
        [
            (
                "API requests and errors",
                [["AWS/ApiGateway", m, "ApiName", api, "Stage", stage] for m in ("Count", "4XXError", "5XXError")],
                "Sum",
            ),
            (
                "API latency p99 (ms)",
                [["AWS/ApiGateway", "Latency", "ApiName", api, "Stage", stage, {"stat": "p99"}]],
                "p99",
            ),
            (
                "Lambda errors and throttles",
                [["AWS/Lambda", m, "FunctionName", f] for f in functions for m in ("Errors", "Throttles")],
                "Sum",
            ),
            (
                "Lambda duration p99 (ms)",
                [["AWS/Lambda", "Duration", "FunctionName", f, {"stat": "p99"}] for f in functions],
                "p99",
            ),
            ("Kinesis records in", [["AWS/Kinesis", "IncomingRecords", "StreamName", stream]], "Sum"),
            (
                "Kinesis iterator age (ms)",
                [["AWS/Kinesis", "GetRecords.IteratorAgeMilliseconds", "StreamName", stream]],
                "Maximum",
            ),
            (
                "DynamoDB throttles",
                [
                    ["AWS/DynamoDB", m, "TableName", t]
                    for t in (names.transactions, names.customers)
                    for m in ("ReadThrottleEvents", "WriteThrottleEvents")
                ],
                "Sum",
            ),
            (
                "Queue depth",
                [["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", q] for q in names.queues],
                "Maximum",
            ),
        ],
    )


def business(region: str, stack: str) -> str:
    dims = custom_dimensions(stack)
    fraud_rate: list[list[Any]] = [
        [{"expression": "100 * detected / processed", "label": "fraud rate", "id": "rate"}],
        [METRICS_NAMESPACE_FRAUD, METRIC_DETECTED_COUNT, *dims, {"id": "detected", "visible": False}],
        [METRICS_NAMESPACE_TRANSACTIONS, METRIC_PROCESSED_COUNT, *dims, {"id": "processed", "visible": False}],
    ]
    return _body(
        region,
        [
            ("Transactions processed", [[METRICS_NAMESPACE_TRANSACTIONS, METRIC_PROCESSED_COUNT, *dims]], "Sum"),
            ("Fraud detected", [[METRICS_NAMESPACE_FRAUD, METRIC_DETECTED_COUNT, *dims]], "Sum"),
            ("Fraud rate (%)", fraud_rate, "Sum"),
            (
                "Quarantined and duplicates",
                [
                    [METRICS_NAMESPACE_TRANSACTIONS, m, *dims]
                    for m in (METRIC_QUARANTINED_COUNT, METRIC_DUPLICATE_COUNT)
                ],
                "Sum",
            ),
        ],
    )


def cost(region: str, stack: str, names: Charted) -> str:
    return _body(
        region,
        [
            (
                "Daily spend (USD)",
                [[METRICS_NAMESPACE_COSTS, METRIC_DAILY_SPEND, *custom_dimensions(stack)]],
                "Maximum",
            ),
            (
                "Estimated charges this month, whole account (USD)",
                [["AWS/Billing", "EstimatedCharges", "Currency", "USD", {"region": "us-east-1"}]],
                "Maximum",
            ),
            (
                "Lambda GB-seconds driver: duration (ms)",
                [["AWS/Lambda", "Duration", "FunctionName", f] for f in (names.processor, names.query)],
                "Sum",
            ),
            (
                "DynamoDB consumed capacity",
                [
                    ["AWS/DynamoDB", m, "TableName", t]
                    for t in (names.transactions, names.customers)
                    for m in ("ConsumedReadCapacityUnits", "ConsumedWriteCapacityUnits")
                ],
                "Sum",
            ),
            ("Kinesis bytes in", [["AWS/Kinesis", "IncomingBytes", "StreamName", names.stream]], "Sum"),
            (
                "Lake size by storage class (bytes)",
                [
                    ["AWS/S3", "BucketSizeBytes", "BucketName", names.bucket, "StorageType", storage_type]
                    for storage_types in LAKE_STORAGE_TYPES.values()
                    for storage_type in storage_types
                ],
                "Average",
                {"period": DAY_SECONDS, "stacked": True},
            ),
        ],
    )
