"""`ops stack-status`: what an operator looks at first. Alarms in ALARM, the queues' depths, the stream's iterator
age (its newest GetRecords.IteratorAgeMilliseconds maximum; unknown without a datapoint) and the fraud policies in
force, read by the processor's own policy source: the active version the lake's release record names (else the seed)
and the version in shadow, if any."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from botocore.exceptions import ClientError

from adapters.s3_policy import S3PolicySource
from securebank.ops.target import Target

ITERATOR_AGE_WINDOW = timedelta(minutes=15)
ITERATOR_AGE_PERIOD_SECONDS = 60
UNKNOWN = "unknown"


@dataclass(frozen=True)
class Alarm:
    name: str
    reason: str
    since: str


@dataclass(frozen=True)
class QueueDepth:
    name: str
    visible: int | str
    in_flight: int | str


@dataclass
class StackStatus:
    alarms: list[Alarm] = field(default_factory=list)
    queues: list[QueueDepth] = field(default_factory=list)
    iterator_age_ms: Decimal | str = UNKNOWN
    policy_version: int | None = None
    policy_threshold: Decimal | None = None
    policy_key: str | None = None
    """None while the seed policy is in force."""
    shadow_version: int | None = None
    shadow_threshold: Decimal | None = None
    approved_by: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "alarms_in_alarm": [vars(alarm) for alarm in self.alarms],
            "queues": {q.name: {"visible": q.visible, "in_flight": q.in_flight} for q in self.queues},
            "iterator_age_ms": str(self.iterator_age_ms),
            "policy": {
                "version": self.policy_version,
                "threshold": None if self.policy_threshold is None else str(self.policy_threshold),
                "key": self.policy_key or "seed (no release record accepted)",
                "approved_by": self.approved_by,
            },
            "shadow_policy": None
            if self.shadow_version is None
            else {"version": self.shadow_version, "threshold": str(self.shadow_threshold)},
        }


def stack_status(target: Target, alarm_prefix: str | None = None, now: datetime | None = None) -> StackStatus:
    names = target.names
    status = StackStatus(alarms=alarms_in_alarm(target.client("cloudwatch"), alarm_prefix))
    sqs = target.client("sqs")
    for queue in (names.quarantine_queue, names.quarantine_dlq, names.on_failure_queue):
        status.queues.append(queue_depth(sqs, target, queue))
    status.iterator_age_ms = iterator_age(target.client("cloudwatch"), names.stream, now or datetime.now(UTC))
    source = S3PolicySource(target.client("s3"), names.bucket)
    policy, shadow = source.current(), source.shadow()
    status.policy_version, status.policy_threshold, status.policy_key = policy.version, policy.threshold, source.key
    status.approved_by = None if source.release is None else source.release.approved_by
    if shadow is not None:
        status.shadow_version, status.shadow_threshold = shadow.version, shadow.threshold
    return status


def alarms_in_alarm(cloudwatch: Any, prefix: str | None = None) -> list[Alarm]:
    params: dict[str, Any] = {"StateValue": "ALARM"}
    if prefix:
        params["AlarmNamePrefix"] = prefix
    found = []
    for page in cloudwatch.get_paginator("describe_alarms").paginate(**params):
        for alarm in [*page.get("MetricAlarms", []), *page.get("CompositeAlarms", [])]:
            since = alarm.get("StateUpdatedTimestamp")
            found.append(Alarm(alarm["AlarmName"], alarm.get("StateReason", ""), since.isoformat() if since else ""))
    return sorted(found, key=lambda a: a.name)


def queue_depth(sqs: Any, target: Target, queue: str) -> QueueDepth:
    try:
        attributes = sqs.get_queue_attributes(
            QueueUrl=target.queue_url(queue),
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
    except ClientError as exc:
        return QueueDepth(queue, f"{UNKNOWN} ({exc.response['Error']['Code']})", UNKNOWN)
    return QueueDepth(
        queue, int(attributes["ApproximateNumberOfMessages"]), int(attributes["ApproximateNumberOfMessagesNotVisible"])
    )


def iterator_age(cloudwatch: Any, stream: str, now: datetime) -> Decimal | str:
    response = cloudwatch.get_metric_statistics(
        Namespace="AWS/Kinesis",
        MetricName="GetRecords.IteratorAgeMilliseconds",
        Dimensions=[{"Name": "StreamName", "Value": stream}],
        StartTime=now - ITERATOR_AGE_WINDOW,
        EndTime=now,
        Period=ITERATOR_AGE_PERIOD_SECONDS,
        Statistics=["Maximum"],
    )
    points = sorted(response.get("Datapoints", []), key=lambda p: p["Timestamp"])
    return Decimal(str(points[-1]["Maximum"])) if points else UNKNOWN
