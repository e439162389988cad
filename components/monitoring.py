"""Monitoring layer: the alerts topic, the specification's alarms plus the ones it forgot (components/alarms.py),
Glue failure alerts, the three dashboards (components/dashboards.py) and, in the one stack of the account whose config
has `billingAlarms: true`, the account-wide billing alarms and cost-allocation tags (components/billing.py)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import attrs
import pulumi
import pulumi_aws as aws

from components import dashboards
from components.alarms import alarm_definitions, glue_failure_rule_name
from components.billing import BILLING_REGION, COST_ALLOCATION_TAG_KEYS
from components.cases import high_risk_rule_arn
from components.common import component_opts, deny_insecure_transport, policy_document
from components.naming import physical_name

# Glue Job State Change states that mean a run ended without output (SUCCEEDED and STOPPED, a manual stop, do not).
GLUE_FAILURE_STATES = ("FAILED", "TIMEOUT", "ERROR")
DASHBOARD_TITLES = {"operations": "Operations", "business": "Business-Metrics", "cost": "Cost-Optimization"}


@attrs.frozen
class MonitoringArgs:
    stack: str
    region: str
    account_id: pulumi.Input[str]
    queues_key_arn: pulumi.Input[str]
    alarm_email: pulumi.Input[str]
    budget_thresholds_usd: tuple[int, ...]
    billing_alarms: bool  # this stack owns the account's billing alarms and cost-allocation tags (one stack does)
    # The watched resources, by their physical names (the resources' own outputs).
    api_name: pulumi.Input[str]
    stage_name: pulumi.Input[str]
    stream_name: pulumi.Input[str]
    processor_function_name: pulumi.Input[str]
    query_function_name: pulumi.Input[str]
    cases_function_name: pulumi.Input[str]
    transactions_table_name: pulumi.Input[str]
    customers_table_name: pulumi.Input[str]
    lake_bucket_name: pulumi.Input[str]
    queue_names: Mapping[str, pulumi.Input[str]]  # alarm key -> queue: each gets a depth alarm and a dashboard line
    glue_job_names: Sequence[pulumi.Input[str]]  # the scheduled Glue jobs whose failed runs are alerted


class Monitoring(pulumi.ComponentResource):
    topic: aws.sns.Topic
    glue_failure_rule: aws.cloudwatch.EventRule
    alarms: dict[str, aws.cloudwatch.MetricAlarm]
    dashboards: dict[str, aws.cloudwatch.Dashboard]
    cost_allocation_tags: list[aws.costexplorer.CostAllocationTag]

    def __init__(self, name: str, args: MonitoringArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("securebank:pipeline:Monitoring", name, None, component_opts(opts, args.stack, "monitoring"))
        if args.billing_alarms and args.region != BILLING_REGION:
            raise ValueError(f"billing alarms and their topic need the primary region {BILLING_REGION}")
        self.topic = aws.sns.Topic(
            f"{name}-alerts",
            name=physical_name(args.stack, "alerts"),
            kms_master_key_id=args.queues_key_arn,
            opts=pulumi.ResourceOptions(parent=self),
        )
        aws.sns.TopicSubscription(
            f"{name}-alerts-email",
            topic=self.topic.arn,
            protocol="email",
            endpoint=args.alarm_email,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.glue_failure_rule = self._glue_failure_alerts(name, args)
        self.alarms = self._alarms(name, args)
        self.dashboards = self._dashboards(name, args)
        self.cost_allocation_tags = [
            aws.costexplorer.CostAllocationTag(
                f"{name}-cost-allocation-tag-{key}",
                tag_key=key,
                status="Active",
                opts=pulumi.ResourceOptions(parent=self),
            )
            for key in (COST_ALLOCATION_TAG_KEYS if args.billing_alarms else ())
        ]
        self.register_outputs(
            {
                "topic_arn": self.topic.arn,
                "glue_failure_rule": self.glue_failure_rule.name,
                "dashboards": [dashboard.dashboard_name for dashboard in self.dashboards.values()],
            }
        )

    def _glue_failure_alerts(self, name: str, args: MonitoringArgs) -> aws.cloudwatch.EventRule:
        """An EventBridge rule on failed runs of the Glue jobs, mailing a one-line message through the topic, which
        lets it (and this account's alarms) publish."""
        rule = aws.cloudwatch.EventRule(
            f"{name}-glue-job-failed",
            name=glue_failure_rule_name(args.stack),
            description="A scheduled SecureBank Glue job run failed, timed out or errored",
            event_pattern=glue_failure_pattern(args.glue_job_names),
            opts=pulumi.ResourceOptions(parent=self),
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
                        "ArnEquals": {"aws:SourceArn": rule.arn},
                        "StringEquals": {"aws:SourceAccount": args.account_id},
                    },
                },
                {
                    "Sid": "HighRiskCaseRulePublishes",  # components/cases.py: flags at or above the alert score
                    "Effect": "Allow",
                    "Principal": {"Service": "events.amazonaws.com"},
                    "Action": "sns:Publish",
                    "Resource": self.topic.arn,
                    "Condition": {
                        "ArnEquals": {"aws:SourceArn": high_risk_rule_arn(args.region, args.account_id, args.stack)},
                        "StringEquals": {"aws:SourceAccount": args.account_id},
                    },
                },
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        aws.cloudwatch.EventTarget(
            f"{name}-glue-job-failed-alert",
            rule=rule.name,
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
        return rule

    def _alarms(self, name: str, args: MonitoringArgs) -> dict[str, aws.cloudwatch.MetricAlarm]:
        return {
            alarm_name: aws.cloudwatch.MetricAlarm(
                f"{name}-{alarm_name}",
                name=physical_name(args.stack, alarm_name),
                alarm_actions=[self.topic.arn],
                ok_actions=[self.topic.arn],
                actions_enabled=True,
                opts=pulumi.ResourceOptions(parent=self),
                **settings,
            )
            for alarm_name, settings in alarm_definitions(args).items()
        }

    def _dashboards(self, name: str, args: MonitoringArgs) -> dict[str, aws.cloudwatch.Dashboard]:
        charted = charted_names(args)
        bodies: dict[str, pulumi.Input[str]] = {
            "operations": charted.apply(lambda names: dashboards.operations(args.region, names)),
            "business": dashboards.business(args.region, args.stack),
            "cost": charted.apply(lambda names: dashboards.cost(args.region, args.stack, names)),
        }
        return {
            key: aws.cloudwatch.Dashboard(
                f"{name}-{key}-dashboard",
                dashboard_name=physical_name(args.stack, DASHBOARD_TITLES[key], base="SecureBank"),
                dashboard_body=body,
                opts=pulumi.ResourceOptions(parent=self),
            )
            for key, body in bodies.items()
        }


def charted_names(args: MonitoringArgs) -> pulumi.Output[dashboards.Charted]:
    """The watched resources' names, resolved for the dashboards' JSON bodies."""
    names = pulumi.Output.all(
        api=args.api_name,
        stage=args.stage_name,
        stream=args.stream_name,
        processor=args.processor_function_name,
        query=args.query_function_name,
        transactions=args.transactions_table_name,
        customers=args.customers_table_name,
        bucket=args.lake_bucket_name,
        queues=list(args.queue_names.values()),
    )
    return names.apply(lambda resolved: dashboards.Charted(**{**resolved, "queues": tuple(resolved["queues"])}))


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
