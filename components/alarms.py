"""The Monitoring layer's CloudWatch alarms, as settings per alarm name (Monitoring creates them on the alerts topic).

`treat_missing_data` is explicit everywhere: `breaching` where a healthy pipeline always emits the metric (so silence
means it stopped), `notBreaching` where AWS (or the processor) only emits on activity. Custom metrics are queried with
the `stack` dimension as well as `service`, so two stacks in one account never count each other's traffic; every
description links to the alarm's runbook section (components/runbooks.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

import pulumi

from components.billing import billing_alarms
from components.naming import physical_name
from components.runbooks import described
from contracts.aws import (
    FRAUD_RATE_ALARM_PERCENT,
    METRIC_DETECTED_COUNT,
    METRIC_MERCHANT_RISK_SNAPSHOT_AGE,
    METRIC_PROCESSED_COUNT,
    METRIC_SERVICE_DIMENSION,
    METRIC_STACK_DIMENSION,
    METRICS_NAMESPACE_FRAUD,
    METRICS_NAMESPACE_TRANSACTIONS,
    SERVICE_NAME,
)

FRAUD_RATE_PERCENT = FRAUD_RATE_ALARM_PERCENT
API_LATENCY_MS = 100
LAMBDA_ERROR_RATE_PERCENT = 1
ITERATOR_AGE_MS = 60_000
STREAM_WRITE_RECORDS_PER_SECOND = 1_500
"""1.5 x the specification's sustained 1,000 a second: the on-demand stream's cost has no ceiling of its own."""
MERCHANT_RISK_MAX_AGE_DAYS = 2  # the job publishes daily at 01:15 UTC: 1 day old is normal, 2 is one missed day
Alarms = dict[str, dict[str, Any]]


class Watched(Protocol):
    """What the alarms watch: the resources MonitoringArgs names (it matches structurally, so this module need not
    import monitoring.py, which imports it)."""

    @property
    def stack(self) -> str: ...
    @property
    def budget_thresholds_usd(self) -> tuple[int, ...]: ...
    @property
    def billing_alarms(self) -> bool: ...
    @property
    def api_name(self) -> pulumi.Input[str]: ...
    @property
    def stage_name(self) -> pulumi.Input[str]: ...
    @property
    def stream_name(self) -> pulumi.Input[str]: ...
    @property
    def processor_function_name(self) -> pulumi.Input[str]: ...
    @property
    def query_function_name(self) -> pulumi.Input[str]: ...
    @property
    def cases_function_name(self) -> pulumi.Input[str]: ...
    @property
    def transactions_table_name(self) -> pulumi.Input[str]: ...
    @property
    def customers_table_name(self) -> pulumi.Input[str]: ...
    @property
    def queue_names(self) -> Mapping[str, pulumi.Input[str]]: ...


def glue_failure_rule_name(stack: str) -> str:
    return physical_name(stack, "glue-job-failed")


def custom_dimensions(stack: str) -> dict[str, str]:
    """The dimensions of every custom (EMF) metric a stack's functions emit (adapters/emf_metrics.py)."""
    return {METRIC_SERVICE_DIMENSION: SERVICE_NAME, METRIC_STACK_DIMENSION: stack}


def alarm_definitions(watched: Watched) -> Alarms:
    """Every alarm's settings, by the alarm's short name (its physical name is `securebank-<stack>-<short name>`).
    The account-wide billing alarms only in the stack whose config has `billingAlarms: true`."""
    return {
        **_pipeline_alarms(watched),
        **_function_alarms(
            {
                "processor": watched.processor_function_name,
                "query": watched.query_function_name,
                "cases": watched.cases_function_name,
            }
        ),
        **_table_alarms({"transactions": watched.transactions_table_name, "customers": watched.customers_table_name}),
        **_queue_alarms(watched.queue_names),
        **_glue_delivery_alarm(watched.stack),
        **(billing_alarms(watched.budget_thresholds_usd) if watched.billing_alarms else {}),
    }


def _metric(
    query_id: str, namespace: str, metric: str, dimensions: Mapping[str, pulumi.Input[str]], stat: str = "Sum"
) -> dict[str, Any]:
    return {
        "id": query_id,
        "return_data": False,
        "metric": {
            "namespace": namespace,
            "metric_name": metric,
            "dimensions": dimensions,
            "period": 60 if namespace.startswith("AWS/") else 300,
            "stat": stat,
        },
    }


def _rate(expression: str, label: str, *metrics: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"id": "e1", "expression": expression, "label": label, "return_data": True}, *metrics]


def _pipeline_alarms(watched: Watched) -> Alarms:
    custom = custom_dimensions(watched.stack)
    return {
        "fraud-rate": {
            "alarm_description": described(
                f"Fraud rate over {FRAUD_RATE_PERCENT}% of processed transactions in 5 minutes", "fraud-rate"
            ),
            "comparison_operator": "GreaterThanThreshold",
            "threshold": FRAUD_RATE_PERCENT,
            "evaluation_periods": 1,
            "treat_missing_data": "notBreaching",
            "metric_queries": _rate(
                "100 * m1 / m2",
                "fraud rate (%)",
                _metric("m1", METRICS_NAMESPACE_FRAUD, METRIC_DETECTED_COUNT, custom),
                _metric("m2", METRICS_NAMESPACE_TRANSACTIONS, METRIC_PROCESSED_COUNT, custom),
            ),
        },
        "api-latency": {
            "alarm_description": described(
                f"API p99 latency over {API_LATENCY_MS} ms for 3 consecutive minutes", "api-latency"
            ),
            "namespace": "AWS/ApiGateway",
            "metric_name": "Latency",
            "dimensions": {"ApiName": watched.api_name, "Stage": watched.stage_name},
            "extended_statistic": "p99",
            "period": 60,
            "evaluation_periods": 3,
            "datapoints_to_alarm": 3,
            "comparison_operator": "GreaterThanThreshold",
            "threshold": API_LATENCY_MS,
            "treat_missing_data": "notBreaching",
        },
        "iterator-age": {
            "alarm_description": described(
                "Processor falling behind the stream (iterator age over 1 minute)", "iterator-age"
            ),
            "namespace": "AWS/Kinesis",
            "metric_name": "GetRecords.IteratorAgeMilliseconds",
            "dimensions": {"StreamName": watched.stream_name},
            "statistic": "Maximum",
            "period": 60,
            "evaluation_periods": 5,
            "datapoints_to_alarm": 3,
            "comparison_operator": "GreaterThanThreshold",
            "threshold": ITERATOR_AGE_MS,
            "treat_missing_data": "breaching",
        },
        "stream-write-throughput": {
            "alarm_description": described(
                f"Stream writes over {STREAM_WRITE_RECORDS_PER_SECOND:,} records a second for 3 of 5 minutes "
                "(the design rate, and the on-demand stream's cost)",
                "stream-write-throughput",
            ),
            "namespace": "AWS/Kinesis",
            "metric_name": "IncomingRecords",
            "dimensions": {"StreamName": watched.stream_name},
            "statistic": "Sum",
            "period": 60,
            "evaluation_periods": 5,
            "datapoints_to_alarm": 3,
            "comparison_operator": "GreaterThanThreshold",
            "threshold": STREAM_WRITE_RECORDS_PER_SECOND * 60,
            "treat_missing_data": "notBreaching",
        },
        # The processor emits the age of the merchant-risk snapshot in force only while the rule is on, so silence
        # is not breaching; a daily job that stops publishing (or publishes under an old date) is caught here.
        "merchant-risk-stale": {
            "alarm_description": described(
                f"Merchant-risk snapshot in force more than {MERCHANT_RISK_MAX_AGE_DAYS} days old (999: none loaded)",
                "merchant-risk-stale",
            ),
            "namespace": METRICS_NAMESPACE_FRAUD,
            "metric_name": METRIC_MERCHANT_RISK_SNAPSHOT_AGE,
            "dimensions": custom,
            "statistic": "Maximum",
            "period": 3600,
            "evaluation_periods": 1,
            "comparison_operator": "GreaterThanThreshold",
            "threshold": MERCHANT_RISK_MAX_AGE_DAYS,
            "treat_missing_data": "notBreaching",
        },
    }


def _function_alarms(functions: Mapping[str, pulumi.Input[str]]) -> Alarms:
    alarms: Alarms = {}
    for function, function_name in functions.items():
        dims = {"FunctionName": function_name}
        alarms[f"{function}-error-rate"] = {
            "alarm_description": described(
                f"{function} Lambda error rate over {LAMBDA_ERROR_RATE_PERCENT}% for 2 minutes",
                f"{function}-error-rate",
            ),
            "comparison_operator": "GreaterThanThreshold",
            "threshold": LAMBDA_ERROR_RATE_PERCENT,
            "evaluation_periods": 2,
            "datapoints_to_alarm": 2,
            "treat_missing_data": "notBreaching",
            "metric_queries": _rate(
                "100 * m1 / MAX([m2, 1])",
                "error rate (%)",
                _metric("m1", "AWS/Lambda", "Errors", dims),
                _metric("m2", "AWS/Lambda", "Invocations", dims),
            ),
        }
    return alarms


def _table_alarms(tables: Mapping[str, pulumi.Input[str]]) -> Alarms:
    alarms: Alarms = {}
    for table, table_name in tables.items():
        dims = {"TableName": table_name}
        alarms[f"{table}-throttles"] = {
            "alarm_description": described(f"DynamoDB {table} table throttled requests", f"{table}-throttles"),
            "comparison_operator": "GreaterThanThreshold",
            "threshold": 0,
            "evaluation_periods": 1,
            "treat_missing_data": "notBreaching",
            "metric_queries": _rate(
                "m1 + m2",
                "throttle events",
                _metric("m1", "AWS/DynamoDB", "ReadThrottleEvents", dims),
                _metric("m2", "AWS/DynamoDB", "WriteThrottleEvents", dims),
            ),
        }
    return alarms


def _queue_alarms(queues: Mapping[str, pulumi.Input[str]]) -> Alarms:
    return {
        f"{key}-depth": {
            "alarm_description": pulumi.Output.concat(
                "Messages waiting in ", queue, described(": records that need a human", f"{key}-depth")
            ),
            "namespace": "AWS/SQS",
            "metric_name": "ApproximateNumberOfMessagesVisible",
            "dimensions": {"QueueName": queue},
            "statistic": "Maximum",
            "period": 300,
            "evaluation_periods": 1,
            "comparison_operator": "GreaterThanThreshold",
            "threshold": 0,
            "treat_missing_data": "notBreaching",
        }
        for key, queue in queues.items()
    }


def _glue_delivery_alarm(stack: str) -> Alarms:
    """EventBridge could not deliver a Glue failure to the alerts topic (topic policy, the queues key's grant to
    events.amazonaws.com, throttling): without this alarm such a failure is as silent as the job failure itself.
    Its only action is the same topic, which this alarm reaches through cloudwatch.amazonaws.com (its own topic
    policy statement and key grant), so it still mails when EventBridge's own permissions are what broke. If the
    topic itself is broken or deleted, no action can deliver; the alarm then only shows as ALARM in the console."""
    return {
        "glue-failure-delivery": {
            "alarm_description": described(
                "EventBridge failed to deliver a Glue job failure alert to the alerts topic", "glue-failure-delivery"
            ),
            "namespace": "AWS/Events",
            "metric_name": "FailedInvocations",
            "dimensions": {"RuleName": glue_failure_rule_name(stack)},
            "statistic": "Sum",
            "period": 300,
            "evaluation_periods": 1,
            "comparison_operator": "GreaterThanThreshold",
            "threshold": 0,
            "treat_missing_data": "notBreaching",  # EventBridge emits FailedInvocations only when the rule matched
        }
    }
