"""`ops stack-status` on moto: alarms in ALARM, queue depths, the iterator age (moto has no datapoint) and the
fraud policy in force."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from decimal import Decimal

import attrs

from adapters.policy_store import PolicyStore, S3Objects, publish_active
from contracts.aws import policy_key
from domain.policy import FraudPolicy
from securebank.cli.ops import configure, run
from securebank.ops.status import UNKNOWN, stack_status
from tests.integration.test_ops_stack import OpsStack, make_stack

__all__ = ["make_stack"]


def alarm(stack: OpsStack, name: str, state: str) -> None:
    cloudwatch = stack.client("cloudwatch")
    cloudwatch.put_metric_alarm(
        AlarmName=name, Namespace="SecureBank/Transactions", MetricName="QuarantinedCount", Statistic="Sum",
        Period=300, EvaluationPeriods=1, Threshold=1, ComparisonOperator="GreaterThanOrEqualToThreshold",
    )  # fmt: skip
    cloudwatch.set_alarm_state(AlarmName=name, StateValue=state, StateReason=f"test: {state}")


def test_stack_status_reports_the_alarms_in_alarm_the_queue_depths_and_the_seed_policy(
    make_stack: Callable[[], OpsStack],
):
    stack = make_stack()
    alarm(stack, "securebank-dev-quarantine", "ALARM")
    alarm(stack, "securebank-dev-dlq", "OK")
    for n in range(2):
        stack.client("sqs").send_message(QueueUrl=stack.resources.quarantine_queue_url, MessageBody=str(n))

    status = stack_status(stack.target)

    assert [(a.name, a.reason) for a in status.alarms] == [("securebank-dev-quarantine", "test: ALARM")]
    depths = {q.name: (q.visible, q.in_flight) for q in status.queues}
    assert depths[stack.resources.quarantine_queue_url] == (2, 0)
    assert depths[stack.resources.on_failure_queue_url] == (0, 0)
    assert status.iterator_age_ms == UNKNOWN
    assert (status.policy_version, status.policy_key) == (FraudPolicy.default().version, None)


def test_stack_status_names_the_active_and_shadow_policies_and_prints_json(make_stack: Callable[[], OpsStack], capsys):
    stack = make_stack()
    version = FraudPolicy.default().version + 6
    policy = attrs.evolve(FraudPolicy.default(), version=version)
    store = PolicyStore(S3Objects(stack.client("s3"), stack.resources.bucket))
    publish_active(store.objects, policy, approved_by="ann")
    shadow = attrs.evolve(policy, version=version + 1, threshold=Decimal("0.6"))
    store.publish(shadow)
    store.publish(attrs.evolve(policy, version=version + 2))  # a newer candidate: neither active nor shadow
    store.shadow(shadow.version, "bob")
    names = stack.target.names
    argv = ["stack-status", "--json", "--bucket", names.bucket, "--stream", names.stream,
            "--quarantine-queue", names.quarantine_queue, "--quarantine-dlq", names.quarantine_dlq,
            "--on-failure-queue", names.on_failure_queue, "--region", stack.target.region]  # fmt: skip
    parser = argparse.ArgumentParser()
    configure(parser)

    assert run(parser.parse_args(argv)) == 0

    printed = json.loads(capsys.readouterr().out)
    assert printed["policy"] == {
        "version": version,
        "threshold": str(policy.threshold),
        "key": policy_key(version),
        "approved_by": "ann",
    }
    assert printed["shadow_policy"] == {"version": version + 1, "threshold": "0.6"}
    assert printed["iterator_age_ms"] == UNKNOWN
    assert printed["alarms_in_alarm"] == []
