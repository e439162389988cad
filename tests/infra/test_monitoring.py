"""Monitoring: the seed's alarms and the forgotten ones, with the right dimensions and an encrypted SNS action."""

from __future__ import annotations

import json

import pytest

from components.billing import COST_ALLOCATION_TAG_KEYS, IDLE_MONTHLY_COST_USD, billing_alarms
from components.glue import JOBS
from contracts.aws import (
    METRIC_DETECTED_COUNT,
    METRIC_MERCHANT_RISK_SNAPSHOT_AGE,
    METRIC_PROCESSED_COUNT,
    METRICS_NAMESPACE_FRAUD,
    METRICS_NAMESPACE_TRANSACTIONS,
    ON_FAILURE_QUEUE,
    QUARANTINE_DLQ,
    QUARANTINE_QUEUE,
    SERVICE_NAME,
)
from policy.checks import REQUIRED_TAGS
from securebank.infra.mocks import mock_outputs
from tests.infra.conftest import STACKS, stack_config
from tests.infra.graph import Graph, Resource

ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
GLUE_FAILURE_RULE = "monitoring-glue-job-failed"


def _alarm(graph: Graph, name: str) -> dict:
    return graph.named(f"monitoring-{name}").inputs


def _queries(alarm: dict) -> dict[str, dict]:
    return {q["id"]: q for q in alarm["metricQueries"]}


def test_every_alarm_notifies_the_alerts_topic_and_states_missing_data(graph: Graph) -> None:
    alarms = graph.of_type(ALARM)
    assert len(alarms) >= 12
    for alarm in alarms:
        assert alarm.inputs["alarmActions"] == [f"arn:aws:sns:us-east-1:123456789012:securebank-{graph.stack}-alerts"]
        assert alarm.inputs["okActions"] == alarm.inputs["alarmActions"]
        assert alarm.inputs["treatMissingData"] in ("breaching", "notBreaching")


def test_fraud_rate_alarm_is_metric_math_over_five_minutes(graph: Graph) -> None:
    alarm = _alarm(graph, "fraud-rate")
    assert (alarm["comparisonOperator"], alarm["threshold"], alarm["evaluationPeriods"]) == (
        "GreaterThanThreshold",
        5,
        1,
    )
    queries = _queries(alarm)
    assert queries["e1"]["expression"] == "100 * m1 / m2" and queries["e1"]["returnData"] is True
    m1, m2 = queries["m1"]["metric"], queries["m2"]["metric"]
    assert (m1["namespace"], m1["metricName"], m1["period"]) == (METRICS_NAMESPACE_FRAUD, METRIC_DETECTED_COUNT, 300)
    assert (m2["namespace"], m2["metricName"]) == (METRICS_NAMESPACE_TRANSACTIONS, METRIC_PROCESSED_COUNT)
    # Only this stack's traffic: dev and prod may share an account (the EMF adapter emits both dimensions).
    assert m1["dimensions"] == m2["dimensions"] == {"service": "securebank", "stack": graph.stack}


def test_api_latency_alarm_over_100ms_for_three_periods(graph: Graph) -> None:
    alarm = _alarm(graph, "api-latency")
    assert (alarm["namespace"], alarm["metricName"]) == ("AWS/ApiGateway", "Latency")
    assert alarm["dimensions"] == {"ApiName": f"securebank-{graph.stack}", "Stage": "v1"}
    assert (alarm["threshold"], alarm["evaluationPeriods"], alarm["datapointsToAlarm"]) == (100, 3, 3)
    assert graph.one("aws:apigateway/restApi:RestApi").inputs["name"] == alarm["dimensions"]["ApiName"]


@pytest.mark.parametrize("function", ["processor", "query", "cases"])
def test_lambda_error_rate_over_1_percent_for_two_periods(graph: Graph, function: str) -> None:
    alarm = _alarm(graph, f"{function}-error-rate")
    assert (alarm["threshold"], alarm["evaluationPeriods"]) == (1, 2)
    queries = _queries(alarm)
    assert queries["m1"]["metric"]["metricName"] == "Errors"
    assert queries["m2"]["metric"]["metricName"] == "Invocations"
    name = graph.named(f"processing-{function}").inputs["name"]
    assert queries["m1"]["metric"]["dimensions"] == {"FunctionName": name}


@pytest.mark.parametrize("table", ["transactions", "customers"])
def test_dynamodb_throttle_alarms_per_table(graph: Graph, table: str) -> None:
    queries = _queries(_alarm(graph, f"{table}-throttles"))
    physical = graph.named(f"storage-{table}").inputs["name"]
    assert {q["metric"]["metricName"] for q in queries.values() if "metric" in q} == {
        "ReadThrottleEvents",
        "WriteThrottleEvents",
    }
    assert all(q["metric"]["dimensions"] == {"TableName": physical} for q in queries.values() if "metric" in q)


def test_the_account_billing_alarms_are_prods_alone_in_us_east_1_above_the_idle_cost(graphs: dict[str, Graph]) -> None:
    billing = {
        stack: [a.inputs for a in g.of_type(ALARM) if a.inputs.get("namespace") == "AWS/Billing"]
        for stack, g in graphs.items()
    }
    assert billing["dev"] == []  # billingAlarms: false; one stack of the account owns them
    assert sorted(a["threshold"] for a in billing["prod"]) == [500, 1000, 2000]
    assert min(a["threshold"] for a in billing["prod"]) > IDLE_MONTHLY_COST_USD
    for alarm in billing["prod"]:
        assert (alarm["region"], alarm["dimensions"], alarm["metricName"]) == (
            "us-east-1",
            {"Currency": "USD"},
            "EstimatedCharges",
        )
        assert alarm["tags"] == {
            "project": "securebank",
            "stack": "prod",
            "component": "monitoring",
        }
    assert [stack for stack in STACKS if stack_config(stack)["billingAlarms"]] == ["prod"]


def test_a_billing_threshold_at_or_below_the_idle_cost_is_refused() -> None:
    with pytest.raises(ValueError, match="would fire every month"):
        billing_alarms([IDLE_MONTHLY_COST_USD, 2 * IDLE_MONTHLY_COST_USD])
    assert set(billing_alarms([IDLE_MONTHLY_COST_USD + 1])) == {f"billing-{IDLE_MONTHLY_COST_USD + 1}usd"}


def test_the_billing_stack_activates_the_component_tags_for_cost_allocation(graphs: dict[str, Graph]) -> None:
    tag = "aws:costexplorer/costAllocationTag:CostAllocationTag"
    assert graphs["dev"].of_type(tag) == []
    active = {t.inputs["tagKey"]: t.inputs["status"] for t in graphs["prod"].of_type(tag)}
    assert active == dict.fromkeys(COST_ALLOCATION_TAG_KEYS, "Active")
    # The very keys every component puts on its resources (and the policy pack requires).
    assert set(COST_ALLOCATION_TAG_KEYS) == set(REQUIRED_TAGS)
    assert set(graphs["prod"].named("storage-transactions").inputs["tags"]) == set(COST_ALLOCATION_TAG_KEYS)


def test_iterator_age_alarm_treats_silence_as_breaching(graph: Graph) -> None:
    alarm = _alarm(graph, "iterator-age")
    stream = graph.one("aws:kinesis/stream:Stream").inputs["name"]
    assert alarm["dimensions"] == {"StreamName": stream}
    assert alarm["metricName"] == "GetRecords.IteratorAgeMilliseconds"
    assert alarm["treatMissingData"] == "breaching"


def test_stream_write_throughput_alarm_bounds_the_on_demand_stream(graph: Graph) -> None:
    """1,500 records a second (1.5 x the specification's 1,000) over one-minute sums, on this stack's stream."""
    alarm = _alarm(graph, "stream-write-throughput")
    stream = graph.one("aws:kinesis/stream:Stream").inputs["name"]
    assert alarm["dimensions"] == {"StreamName": stream}
    assert (alarm["namespace"], alarm["metricName"], alarm["statistic"]) == ("AWS/Kinesis", "IncomingRecords", "Sum")
    assert (alarm["period"], alarm["threshold"]) == (60, 90_000)


@pytest.mark.parametrize(
    ("key", "queue"),
    [("quarantine", QUARANTINE_QUEUE), ("quarantine-dlq", QUARANTINE_DLQ), ("on-failure", ON_FAILURE_QUEUE)],
)
def test_queue_depth_alarms(graph: Graph, key: str, queue: str) -> None:
    alarm = _alarm(graph, f"{key}-depth")
    assert alarm["dimensions"] == {"QueueName": f"{queue}-{graph.stack}"}
    assert (alarm["metricName"], alarm["threshold"]) == ("ApproximateNumberOfMessagesVisible", 0)
    assert any(q.inputs["name"] == f"{queue}-{graph.stack}" for q in graph.of_type("aws:sqs/queue:Queue"))


@pytest.mark.parametrize("key", ["cases-dlq", "outbox-dlq"])
def test_the_fraud_operations_dead_letter_queues_are_watched(graph: Graph, key: str) -> None:
    """The rules' DLQ and the outbox pipe's DLQ, named by the functions their components name them with (Cases
    comes after Monitoring): an alarm on a queue that does not exist would never fire."""
    alarm = _alarm(graph, f"{key}-depth")
    [queue] = [q.inputs["name"] for q in graph.of_type("aws:sqs/queue:Queue") if q.name.endswith(f"-{key}")]
    assert alarm["dimensions"] == {"QueueName": queue}
    assert (alarm["metricName"], alarm["threshold"]) == ("ApproximateNumberOfMessagesVisible", 0)


def test_alerts_topic_is_encrypted_tls_only_and_mailed(graph: Graph) -> None:
    topic = graph.one("aws:sns/topic:Topic").inputs
    assert topic["kmsMasterKeyId"].startswith("arn:aws:kms:us-east-1:")
    statements = graph.one("aws:sns/topicPolicy:TopicPolicy").statements()
    assert any(
        s["Effect"] == "Deny" and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}} for s in statements
    )
    subscription = graph.one("aws:sns/topicSubscription:TopicSubscription").inputs
    assert subscription["protocol"] == "email"
    assert subscription["endpoint"] == "[secret]"  # require_secret config stays secret, even in a plan


def test_three_dashboards_with_generated_bodies_naming_real_resources(graph: Graph) -> None:
    dashboards = {
        d.inputs["dashboardName"]: json.loads(d.inputs["dashboardBody"])
        for d in graph.of_type("aws:cloudwatch/dashboard:Dashboard")
    }
    assert set(dashboards) == {
        f"SecureBank-{graph.stack}-{t}" for t in ("Operations", "Business-Metrics", "Cost-Optimization")
    }
    operations = json.dumps(dashboards[f"SecureBank-{graph.stack}-Operations"])
    for name in (
        graph.one("aws:kinesis/stream:Stream").inputs["name"],
        f"securebank-processor-{graph.stack}",
        f"SecureBank-Transactions-{graph.stack}",
    ):
        assert name in operations
    assert METRIC_DETECTED_COUNT in json.dumps(dashboards[f"SecureBank-{graph.stack}-Business-Metrics"])
    assert all(w["properties"]["metrics"] for d in dashboards.values() for w in d["widgets"])


def _arn(resource: Resource) -> str:
    """The ARN the plan's mocks gave a resource (what other resources' inputs reference)."""
    return mock_outputs(resource.type, resource.name, resource.inputs, "us-east-1")[1]["arn"]


def test_glue_failure_rule_matches_exactly_the_glue_jobs_and_failure_states(graph: Graph) -> None:
    rule = graph.named(GLUE_FAILURE_RULE)
    assert (rule.type, rule.parent) == ("aws:cloudwatch/eventRule:EventRule", "monitoring")
    jobs = sorted(j.inputs["name"] for j in graph.of_type("aws:glue/job:Job"))
    assert len(JOBS) >= 3 and jobs == sorted(f"securebank-{graph.stack}-{job}" for job in JOBS)
    pattern = json.loads(rule.inputs["eventPattern"])
    detail = pattern.pop("detail")
    assert pattern == {"source": ["aws.glue"], "detail-type": ["Glue Job State Change"]}
    assert set(detail) == {"jobName", "state"}
    assert sorted(detail["jobName"]) == jobs and len(detail["jobName"]) == len(jobs)
    assert sorted(detail["state"]) == ["ERROR", "FAILED", "TIMEOUT"]
    assert "scheduleExpression" not in rule.inputs


def test_glue_failure_rule_targets_the_alerts_topic_with_a_readable_message(graph: Graph) -> None:
    rule = graph.named(GLUE_FAILURE_RULE).inputs
    targets = [
        t.inputs for t in graph.of_type("aws:cloudwatch/eventTarget:EventTarget") if t.inputs["rule"] == rule["name"]
    ]
    [target] = targets
    assert target["arn"] == f"arn:aws:sns:us-east-1:123456789012:securebank-{graph.stack}-alerts"
    transformer = target["inputTransformer"]
    assert transformer["inputPaths"] == {
        "job": "$.detail.jobName",
        "state": "$.detail.state",
        "run": "$.detail.jobRunId",
        "time": "$.time",
    }
    message = json.loads(transformer["inputTemplate"])  # a JSON string: SNS mails it as plain text
    assert all(f"<{placeholder}>" in message for placeholder in ("job", "state", "run"))


def test_alerts_topic_policy_lets_eventbridge_publish_only_from_the_glue_failure_and_high_risk_rules(
    graph: Graph,
) -> None:
    topic_arn = f"arn:aws:sns:us-east-1:123456789012:securebank-{graph.stack}-alerts"
    statements = graph.one("aws:sns/topicPolicy:TopicPolicy").statements()
    events = {s["Sid"]: s for s in statements if s.get("Principal") == {"Service": "events.amazonaws.com"}}
    assert set(events) == {
        "GlueFailureRulePublishes",
        "HighRiskCaseRulePublishes",
    }  # the latter: tests/infra/test_cases.py
    grant = events["GlueFailureRulePublishes"]
    assert (grant["Effect"], grant["Action"], grant["Resource"]) == ("Allow", "sns:Publish", topic_arn)
    assert grant["Condition"] == {
        "ArnEquals": {"aws:SourceArn": _arn(graph.named(GLUE_FAILURE_RULE))},
        "StringEquals": {"aws:SourceAccount": "123456789012"},
    }
    # No other statement lets EventBridge (or anyone unconditioned) publish.
    for statement in statements:
        if statement["Effect"] == "Allow":
            assert "Condition" in statement and statement["Principal"] != "*"


def test_glue_failure_deliveries_that_eventbridge_could_not_make_raise_an_alarm(graph: Graph) -> None:
    rule = graph.named(GLUE_FAILURE_RULE).inputs
    alarm = _alarm(graph, "glue-failure-delivery")
    assert alarm["name"] == f"securebank-{graph.stack}-glue-failure-delivery"
    assert (alarm["namespace"], alarm["metricName"]) == ("AWS/Events", "FailedInvocations")
    assert alarm["dimensions"] == {"RuleName": rule["name"]}
    assert (alarm["statistic"], alarm["period"], alarm["evaluationPeriods"]) == ("Sum", 300, 1)
    assert (alarm["comparisonOperator"], alarm["threshold"]) == ("GreaterThanThreshold", 0)
    assert alarm["treatMissingData"] == "notBreaching"
    # Its action is the topic, published by CloudWatch (its own topic-policy statement), not by EventBridge.
    assert alarm["alarmActions"] == [f"arn:aws:sns:us-east-1:123456789012:securebank-{graph.stack}-alerts"]
    statements = graph.one("aws:sns/topicPolicy:TopicPolicy").statements()
    assert any(s.get("Principal") == {"Service": "cloudwatch.amazonaws.com"} for s in statements)


def test_a_stale_merchant_risk_snapshot_raises_an_alarm_on_the_metric_the_processor_emits(graph: Graph) -> None:
    alarm = _alarm(graph, "merchant-risk-stale")
    assert alarm["name"] == f"securebank-{graph.stack}-merchant-risk-stale"
    # Exactly what adapters/emf_metrics.EmfMetrics.record_merchant_risk_age prints (namespace, name, dimension).
    assert (alarm["namespace"], alarm["metricName"]) == (METRICS_NAMESPACE_FRAUD, METRIC_MERCHANT_RISK_SNAPSHOT_AGE)
    assert alarm["dimensions"] == {"service": SERVICE_NAME, "stack": graph.stack}
    assert (alarm["statistic"], alarm["period"], alarm["evaluationPeriods"]) == ("Maximum", 3600, 1)
    assert (alarm["comparisonOperator"], alarm["threshold"]) == ("GreaterThanThreshold", 2)
    assert alarm["treatMissingData"] == "notBreaching"  # emitted only while the merchant rule is on
    assert alarm["alarmActions"] == [f"arn:aws:sns:us-east-1:123456789012:securebank-{graph.stack}-alerts"]
