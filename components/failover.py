"""DNS failover of the API's custom domain from the primary stack's region to its DR stack's (Route 53).

The DR stack owns the domain's failover record set, because it is the stack that knows both regions: an alias `A`
record PRIMARY to the primary's regional API domain (read from the primary's exports) and one SECONDARY to its own,
each guarded by a health check of its region. Route 53 answers with the primary while its check is healthy and with
the secondary otherwise.

A health check watches a CloudWatch alarm on its region's API (share of requests answered 5XX over three minutes)
rather than probing a URL: with the TLS 1.2 custom domain the default execute-api endpoint is disabled, and the
regional domain target answers only for the custom domain's name, which DNS resolves to whichever region is active.
A region that goes silent (no requests, so no 5XX) keeps its last state; the operator then fails over by inverting
the primary's health check (docs/infrastructure.md, "Failover to the second region").
"""

from __future__ import annotations

from typing import Literal

import attrs
import pulumi
import pulumi_aws as aws

from components.common import component_opts
from components.ingestion import STAGE
from components.naming import physical_name

FailoverRole = Literal["PRIMARY", "SECONDARY"]
ERROR_SHARE = 0.05  # a region is unhealthy when more than 5% of its API requests answer 5XX ...
PERIOD_SECONDS = 60
EVALUATION_PERIODS = 3  # ... for three consecutive minutes
RUNBOOK = "docs/runbooks.md#region-health"  # the failover steps themselves: docs/infrastructure.md


@attrs.frozen
class Region:
    """One side of the failover: a region's API and where its regional custom domain answers."""

    role: FailoverRole
    region: str
    api_name: pulumi.Input[str]
    stage_name: pulumi.Input[str]
    target_domain_name: pulumi.Input[str]
    """The custom domain's regional target there (`d-….execute-api.<region>.amazonaws.com`)."""
    target_zone_id: pulumi.Input[str]
    alarm_topic_arn: pulumi.Input[str]
    """An SNS topic in that region (alarm actions stay in the alarm's region)."""


def primary_region(reference: pulumi.StackReference, primary_stack: str, region: str) -> Region:
    """The primary's side, from its exports (`api_domain_target`, `api_domain_zone_id`, `alerts_topic_arn`) and its
    API's name and stage (components/ingestion.py names them)."""

    def export(name: str) -> pulumi.Output[str]:
        return pulumi.Output.from_input(reference.require_output(name)).apply(str)

    return Region(
        "PRIMARY",
        region,
        physical_name(primary_stack),
        STAGE,
        export("api_domain_target"),
        export("api_domain_zone_id"),
        export("alerts_topic_arn"),
    )


@attrs.frozen
class FailoverArgs:
    stack: str
    hosted_zone_id: str
    domain_name: pulumi.Input[str]
    primary: Region
    secondary: Region


class Failover(pulumi.ComponentResource):
    alarms: dict[FailoverRole, aws.cloudwatch.MetricAlarm]
    health_checks: dict[FailoverRole, aws.route53.HealthCheck]
    records: dict[FailoverRole, aws.route53.Record]

    def __init__(self, name: str, args: FailoverArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("securebank:pipeline:Failover", name, None, component_opts(opts, args.stack, "failover"))
        self.alarms, self.health_checks, self.records = {}, {}, {}
        for side in (args.primary, args.secondary):
            self._side(f"{name}-{side.role.lower()}", args, side)
        self.register_outputs({role: check.id for role, check in self.health_checks.items()})

    def _side(self, name: str, args: FailoverArgs, side: Region) -> None:
        child = pulumi.ResourceOptions(parent=self)
        alarm = aws.cloudwatch.MetricAlarm(
            f"{name}-api-errors",
            name=physical_name(args.stack, side.role.lower(), "region-health"),
            alarm_description=(
                f"{side.role} region {side.region}: over {ERROR_SHARE:.0%} of API requests answered 5XX for "
                f"{EVALUATION_PERIODS} minutes; Route 53 answers for the API's domain from the other region. "
                f"Runbook: {RUNBOOK}"
            ),
            namespace="AWS/ApiGateway",
            metric_name="5XXError",
            dimensions={"ApiName": side.api_name, "Stage": side.stage_name},
            statistic="Average",  # 5XXError is 0 or 1 per request: its average is the share of 5XX answers
            period=PERIOD_SECONDS,
            evaluation_periods=EVALUATION_PERIODS,
            threshold=ERROR_SHARE,
            comparison_operator="GreaterThanThreshold",
            treat_missing_data="notBreaching",
            alarm_actions=[side.alarm_topic_arn],
            ok_actions=[side.alarm_topic_arn],
            region=side.region,
            opts=child,
        )
        check = aws.route53.HealthCheck(
            f"{name}-health",
            type="CLOUDWATCH_METRIC",
            cloudwatch_alarm_name=alarm.name,
            cloudwatch_alarm_region=side.region,
            insufficient_data_health_status="LastKnownStatus",
            reference_name=physical_name(args.stack, side.role.lower()),
            opts=child,
        )
        self.records[side.role] = aws.route53.Record(
            f"{name}-record",
            zone_id=args.hosted_zone_id,
            name=args.domain_name,
            type="A",
            set_identifier=side.region,
            failover_routing_policies=[{"type": side.role}],
            health_check_id=check.id,
            aliases=[
                {"name": side.target_domain_name, "zone_id": side.target_zone_id, "evaluate_target_health": False}
            ],
            opts=child,
        )
        self.alarms[side.role], self.health_checks[side.role] = alarm, check
