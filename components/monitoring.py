"""Monitoring layer: the alerts topic, the seed's alarms plus the ones it forgot, Glue failure alerts, dashboards."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import attrs
import pulumi
import pulumi_aws as aws

from components import dashboards
from components.common import component_opts, deny_insecure_transport, policy_document
from components.naming import physical_name
from contracts.aws import (
    METRIC_DETECTED_COUNT,
    METRIC_MERCHANT_RISK_SNAPSHOT_AGE,
    METRIC_PROCESSED_COUNT,
    METRIC_SERVICE_DIMENSION,
    METRICS_NAMESPACE_FRAUD,
    METRICS_NAMESPACE_TRANSACTIONS,
    SERVICE_NAME,
)

BILLING_REGION = "us-east-1"  # AWS/Billing metrics exist only there
FRAUD_RATE_PERCENT = 5
API_LATENCY_MS = 100
LAMBDA_ERROR_RATE_PERCENT = 1
ITERATOR_AGE_MS = 60_000
MERCHANT_RISK_MAX_AGE_DAYS = 2  # the job publishes daily at 01:15 UTC: 1 day old is normal, 2 is one missed day
# Glue Job State Change states that mean a run ended without output (SUCCEEDED and STOPPED, a manual stop, do not).
GLUE_FAILURE_STATES = ("FAILED", "TIMEOUT", "ERROR")


@attrs.frozen
class MonitoringArgs:
    stack: str
    region: str
    account_id: pulumi.Input[str]
    queues_key_arn: pulumi.Input[str]
    alarm_email: pulumi.Input[str]
    budget_thresholds_usd: tuple[int, ...]
    names: dict[
        str, Any
    ]  # physical names: api, stage, stream, processor, query, transactions, customers, queues, bucket
    glue_job_names: Sequence[pulumi.Input[str]]  # the scheduled Glue jobs whose failed runs are alerted


class Monitoring(pulumi.ComponentResource):
    topic: aws.sns.Topic
    glue_failure_rule: aws.cloudwatch.EventRule
    alarms: dict[str, aws.cloudwatch.MetricAlarm]
    dashboards: dict[str, aws.cloudwatch.Dashboard]

    def __init__(self, name: str, args: MonitoringArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("securebank:pipeline:Monitoring", name, None, component_opts(opts, args.stack, "monitoring"))
        if args.region != BILLING_REGION:
            raise ValueError(f"billing alarms and their topic need the primary region {BILLING_REGION}")
        child = pulumi.ResourceOptions(parent=self)
        self.topic = aws.sns.Topic(
            f"{name}-alerts",
            name=physical_name(args.stack, "alerts"),
            kms_master_key_id=args.queues_key_arn,
            opts=child,
        )
        self.glue_failure_rule = aws.cloudwatch.EventRule(
            f"{name}-glue-job-failed",
            name=glue_failure_rule_name(args.stack),
            description="A scheduled SecureBank Glue job run failed, timed out or errored",
            event_pattern=glue_failure_pattern(args.glue_job_names),
            opts=child,
        )
        topic_policy = aws.sns.TopicPolicy(
            f"{name}-alerts-policy",
            arn=self.topic.arn,
            policy=policy_document(
                deny_insecure_transport("sns:Publish", [self.topic.arn]),
                {
                    "Sid": "CloudWatchAlarmsOfThisAccountPublish",
                    "Effect": "Allow",
                    "Principal": {"Service": "cloudwatch.amazonaws.com"},
                    "Action": "sns:Publish",
                    "Resource": self.topic.arn,
                    "Condition": {"StringEquals": {"aws:SourceAccount": args.account_id}},
                },
                {
                    "Sid": "GlueFailureRulePublishes",
                    "Effect": "Allow",
                    "Principal": {"Service": "events.amazonaws.com"},
                    "Action": "sns:Publish",
                    "Resource": self.topic.arn,
                    "Condition": {
                        "ArnEquals": {"aws:SourceArn": self.glue_failure_rule.arn},
                        "StringEquals": {"aws:SourceAccount": args.account_id},
                    },
                },
            ),
            opts=child,
        )
        aws.cloudwatch.EventTarget(
            f"{name}-glue-job-failed-alert",
            rule=self.glue_failure_rule.name,
            arn=self.topic.arn,
            input_transformer={
                "input_paths": {
                    "job": "$.detail.jobName",
                    "state": "$.detail.state",
                    "run": "$.detail.jobRunId",
                    "time": "$.time",
                },
                "input_template": (
                    f'"SecureBank {args.stack}: Glue job <job> ended in state <state> at <time> (run <run>). '
                    "Until a rerun succeeds, its output is stale (merchant-risk: the processor keeps the previous "
                    'snapshot)."'
                ),
            },
            opts=pulumi.ResourceOptions(parent=self, depends_on=[topic_policy]),
        )
        aws.sns.TopicSubscription(
            f"{name}-alerts-email", topic=self.topic.arn, protocol="email", endpoint=args.alarm_email, opts=child
        )
        self.alarms = {}
        for alarm_name, settings in alarm_definitions(args).items():
            self.alarms[alarm_name] = aws.cloudwatch.MetricAlarm(
                f"{name}-{alarm_name}",
                name=physical_name(args.stack, alarm_name),
                alarm_actions=[self.topic.arn],
                ok_actions=[self.topic.arn],
                actions_enabled=True,
                opts=child,
                **settings,
            )
        names = args.names
        bodies = {
            "operations": dashboards.operations(args.region, names),
            "business": dashboards.business(args.region),
            "cost": dashboards.cost(args.region, names),
        }
        titles = {"operations": "Operations", "business": "Business-Metrics", "cost": "Cost-Optimization"}
        self.dashboards = {
            key: aws.cloudwatch.Dashboard(
                f"{name}-{key}-dashboard",
                dashboard_name=physical_name(args.stack, titles[key], base="SecureBank"),
                dashboard_body=body,
                opts=child,
            )
            for key, body in bodies.items()
        }
        self.register_outputs(
            {
                "topic_arn": self.topic.arn,
                "glue_failure_rule": self.glue_failure_rule.name,
                "dashboards": [dashboard.dashboard_name for dashboard in self.dashboards.values()],
            }
        )


def glue_failure_rule_name(stack: str) -> str:
    return physical_name(stack, "glue-job-failed")


def glue_failure_pattern(job_names: Sequence[pulumi.Input[str]]) -> pulumi.Output[str]:
    """The EventBridge pattern matching a failed, timed-out or errored run of exactly these Glue jobs."""
    if not job_names:
        raise ValueError("the Glue failure rule needs at least one job name")
    return pulumi.Output.json_dumps(
        {
            "source": ["aws.glue"],
            "detail-type": ["Glue Job State Change"],
            "detail": {"jobName": list(job_names), "state": list(GLUE_FAILURE_STATES)},
        }
    )


def _metric(
    query_id: str, namespace: str, metric: str, dimensions: dict[str, str], stat: str = "Sum"
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


def alarm_definitions(args: MonitoringArgs) -> dict[str, dict[str, Any]]:
    """Every alarm's settings. `treat_missing_data` is explicit everywhere; `breaching` where a healthy pipeline
    always emits the metric (so silence means it stopped), `notBreaching` where AWS (or the processor) only emits
    on activity."""
    names = args.names
    service = {METRIC_SERVICE_DIMENSION: SERVICE_NAME}
    alarms: dict[str, dict[str, Any]] = {
        "fraud-rate": {
            "alarm_description": f"Fraud rate over {FRAUD_RATE_PERCENT}% of processed transactions in 5 minutes",
            "comparison_operator": "GreaterThanThreshold",
            "threshold": FRAUD_RATE_PERCENT,
            "evaluation_periods": 1,
            "treat_missing_data": "notBreaching",
            "metric_queries": _rate(
                "100 * m1 / m2",
                "fraud rate (%)",
                _metric("m1", METRICS_NAMESPACE_FRAUD, METRIC_DETECTED_COUNT, service),
                _metric("m2", METRICS_NAMESPACE_TRANSACTIONS, METRIC_PROCESSED_COUNT, service),
            ),
        },
        "api-latency": {
            "alarm_description": f"API p99 latency over {API_LATENCY_MS} ms for 3 consecutive minutes",
            "namespace": "AWS/ApiGateway",
            "metric_name": "Latency",
            "dimensions": {"ApiName": names["api"], "Stage": names["stage"]},
            "extended_statistic": "p99",
            "period": 60,
            "evaluation_periods": 3,
            "datapoints_to_alarm": 3,
            "comparison_operator": "GreaterThanThreshold",
            "threshold": API_LATENCY_MS,
            "treat_missing_data": "notBreaching",
        },
        "iterator-age": {
            "alarm_description": "Processor falling behind the stream (iterator age over 1 minute)",
            "namespace": "AWS/Kinesis",
            "metric_name": "GetRecords.IteratorAgeMilliseconds",
            "dimensions": {"StreamName": names["stream"]},
            "statistic": "Maximum",
            "period": 60,
            "evaluation_periods": 5,
            "datapoints_to_alarm": 3,
            "comparison_operator": "GreaterThanThreshold",
            "threshold": ITERATOR_AGE_MS,
            "treat_missing_data": "breaching",
        },
        # The processor emits the age of the merchant-risk snapshot in force only while the rule is on, so silence
        # is not breaching; a daily job that stops publishing (or publishes under an old date) is caught here.
        "merchant-risk-stale": {
            "alarm_description": (
                f"Merchant-risk snapshot in force more than {MERCHANT_RISK_MAX_AGE_DAYS} days old (999: none loaded)"
            ),
            "namespace": METRICS_NAMESPACE_FRAUD,
            "metric_name": METRIC_MERCHANT_RISK_SNAPSHOT_AGE,
            "dimensions": service,
            "statistic": "Maximum",
            "period": 3600,
            "evaluation_periods": 1,
            "comparison_operator": "GreaterThanThreshold",
            "threshold": MERCHANT_RISK_MAX_AGE_DAYS,
            "treat_missing_data": "notBreaching",
        },
    }
    for function in ("processor", "query"):
        dims = {"FunctionName": names[function]}
        alarms[f"{function}-error-rate"] = {
            "alarm_description": f"{function} Lambda error rate over {LAMBDA_ERROR_RATE_PERCENT}% for 2 minutes",
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
    for table in ("transactions", "customers"):
        dims = {"TableName": names[table]}
        alarms[f"{table}-throttles"] = {
            "alarm_description": f"DynamoDB {table} table throttled requests",
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
    for key, queue in names["queue_alarms"].items():
        alarms[f"{key}-depth"] = {
            "alarm_description": f"Messages waiting in {queue}: records that need a human",
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
    # EventBridge could not deliver a Glue failure to the alerts topic (topic policy, the queues key's grant to
    # events.amazonaws.com, throttling): without this alarm such a failure is as silent as the job failure itself.
    # Its only action is the same topic, which this alarm reaches through cloudwatch.amazonaws.com (its own topic
    # policy statement and key grant), so it still mails when EventBridge's own permissions are what broke. If the
    # topic itself is broken or deleted, no action can deliver; the alarm then only shows as ALARM in the console.
    alarms["glue-failure-delivery"] = {
        "alarm_description": "EventBridge failed to deliver a Glue job failure alert to the alerts topic",
        "namespace": "AWS/Events",
        "metric_name": "FailedInvocations",
        "dimensions": {"RuleName": glue_failure_rule_name(args.stack)},
        "statistic": "Sum",
        "period": 300,
        "evaluation_periods": 1,
        "comparison_operator": "GreaterThanThreshold",
        "threshold": 0,
        "treat_missing_data": "notBreaching",  # EventBridge emits FailedInvocations only when the rule matched
    }
    for threshold in args.budget_thresholds_usd:
        alarms[f"billing-{threshold}usd"] = {
            "alarm_description": f"Estimated monthly charges over ${threshold}",
            "namespace": "AWS/Billing",
            "metric_name": "EstimatedCharges",
            "dimensions": {"Currency": "USD"},
            "statistic": "Maximum",
            "period": 21600,
            "evaluation_periods": 1,
            "comparison_operator": "GreaterThanThreshold",
            "threshold": threshold,
            "treat_missing_data": "notBreaching",
            "region": BILLING_REGION,
        }
    return alarms
