"""Processing: the three Lambdas, their least-privilege roles, the Kinesis mapping, the queues and the schedule."""

from __future__ import annotations

import json

import pytest

from contracts.aws import (
    COST_REPORTER_FUNCTION,
    ENV_CUSTOMERS_TABLE,
    ENV_LAKE_BUCKET,
    ENV_QUARANTINE_QUEUE_URL,
    ENV_TRANSACTIONS_TABLE,
    EVENT_SOURCE,
    MERCHANT_RISK_PREFIX,
    ON_FAILURE_QUEUE,
    POLICY_PREFIX,
    PROCESSOR_FUNCTION,
    QUARANTINE_DLQ,
    QUARANTINE_QUEUE,
    QUERY_FUNCTION,
    QUEUE_RETENTION_SECONDS,
)
from tests.infra.conftest import stack_config
from tests.infra.graph import Graph

FUNCTION = "aws:lambda/function:Function"


def _function(graph: Graph, spec) -> dict:
    return graph.named(f"processing-{spec.name}").inputs


def test_functions_are_python312_arm64_with_configured_memory_and_timeout(graph: Graph) -> None:
    config = stack_config(graph.stack)
    for spec in (PROCESSOR_FUNCTION, QUERY_FUNCTION, COST_REPORTER_FUNCTION):
        function = _function(graph, spec)
        assert function["name"] == f"securebank-{spec.name}-{graph.stack}"
        assert function["handler"] == spec.handler
        assert function["runtime"] == "python3.12"
        assert function["architectures"] == ["arm64"]
        assert function["memorySize"] == config["lambdaMemoryMb"] == 512
        assert function["timeout"] == config["lambdaTimeoutSeconds"] == 30
        assert function["tracingConfig"] == {"mode": "Active"}
        assert function["loggingConfig"]["logFormat"] == "JSON"
        assert (
            function["layers"] == [function["layers"][0]] and ":layer:securebank-dependencies-" in function["layers"][0]
        )


def test_reserved_concurrency_comes_from_config(graph: Graph) -> None:
    config = stack_config(graph.stack)
    assert _function(graph, PROCESSOR_FUNCTION)["reservedConcurrentExecutions"] == config["processorConcurrency"]
    assert _function(graph, QUERY_FUNCTION)["reservedConcurrentExecutions"] == config["queryConcurrency"]


def test_prod_reserves_1000_for_the_processor(prod: Graph) -> None:
    assert _function(prod, PROCESSOR_FUNCTION)["reservedConcurrentExecutions"] == 1000


def test_processor_and_query_run_in_the_private_subnets_with_the_lambda_group(graph: Graph) -> None:
    private = sorted(s.name for s in graph.of_type("aws:ec2/subnet:Subnet") if "-private-" in s.name)
    for spec in (PROCESSOR_FUNCTION, QUERY_FUNCTION):
        vpc = _function(graph, spec)["vpcConfig"]
        assert sorted(subnet.rsplit("-", 1)[0] for subnet in vpc["subnetIds"]) == private
        [group] = vpc["securityGroupIds"]
        assert group.startswith("network-lambda-sg-")


def test_environment_carries_the_contract_names_of_this_stack(graph: Graph) -> None:
    env = _function(graph, PROCESSOR_FUNCTION)["environment"]["variables"]
    assert set(PROCESSOR_FUNCTION.environment) <= set(env)
    assert env[ENV_TRANSACTIONS_TABLE] == f"SecureBank-Transactions-{graph.stack}"
    assert env[ENV_CUSTOMERS_TABLE] == f"SecureBank-Customers-{graph.stack}"
    assert env[ENV_LAKE_BUCKET] == f"securebank-data-lake-{graph.stack}"
    assert env[ENV_QUARANTINE_QUEUE_URL].endswith(f"/{QUARANTINE_QUEUE}-{graph.stack}")
    query_env = _function(graph, QUERY_FUNCTION)["environment"]["variables"]
    assert (
        ENV_QUARANTINE_QUEUE_URL not in query_env and query_env[ENV_TRANSACTIONS_TABLE] == env[ENV_TRANSACTIONS_TABLE]
    )


def test_event_source_mapping_follows_the_contract_settings(graph: Graph) -> None:
    mapping = graph.one("aws:lambda/eventSourceMapping:EventSourceMapping").inputs
    assert (
        mapping["eventSourceArn"]
        == f"arn:aws:kinesis:us-east-1:123456789012:stream/SecureBank-Transactions-Stream-{graph.stack}"
    )
    assert mapping["functionName"].endswith(f":function:securebank-processor-{graph.stack}")
    assert mapping["batchSize"] == EVENT_SOURCE.batch_size == 100
    assert mapping["startingPosition"] == "TRIM_HORIZON"
    assert mapping["bisectBatchOnFunctionError"] is True
    assert 0 < mapping["maximumRetryAttempts"] == EVENT_SOURCE.maximum_retry_attempts
    assert 0 < mapping["maximumRecordAgeInSeconds"] == EVENT_SOURCE.maximum_record_age_seconds
    assert mapping["functionResponseTypes"] == ["ReportBatchItemFailures"]
    assert mapping["destinationConfig"]["onFailure"]["destinationArn"].endswith(f":{ON_FAILURE_QUEUE}-{graph.stack}")


@pytest.mark.parametrize("queue", [QUARANTINE_QUEUE, QUARANTINE_DLQ, ON_FAILURE_QUEUE])
def test_queues_are_kms_encrypted_and_keep_messages_14_days(graph: Graph, queue: str) -> None:
    [found] = [q for q in graph.of_type("aws:sqs/queue:Queue") if q.inputs["name"] == f"{queue}-{graph.stack}"]
    assert found.inputs["messageRetentionSeconds"] == QUEUE_RETENTION_SECONDS == 14 * 24 * 3600
    assert found.inputs["kmsMasterKeyId"].startswith("arn:aws:kms:us-east-1:")


def test_quarantine_queue_has_its_own_dead_letter_queue(graph: Graph) -> None:
    redrive = json.loads(graph.named("processing-quarantine").inputs["redrivePolicy"])
    assert redrive["deadLetterTargetArn"].endswith(f":{QUARANTINE_DLQ}-{graph.stack}")
    assert redrive["maxReceiveCount"] > 0


def test_cost_reporter_runs_daily_on_a_schedule(graph: Graph) -> None:
    rule = graph.named("processing-cost-report-schedule").inputs
    assert rule["scheduleExpression"] == "cron(0 6 * * ? *)"
    target = graph.named("processing-cost-report-target").inputs
    assert target["arn"].endswith(f":function:securebank-cost-reporter-{graph.stack}")
    permission = graph.named("processing-cost-report-invoke").inputs
    assert permission["principal"] == "events.amazonaws.com" and permission["sourceArn"]


def _actions(graph: Graph, policy: str) -> dict[str, list[str]]:
    """action -> resources, over every Allow statement of a role policy."""
    granted: dict[str, list[str]] = {}
    for statement in graph.named(policy).statements():
        for action in statement["Action"]:
            granted.setdefault(action, []).extend(statement["Resource"])
    return granted


def test_processor_role_grants_exactly_what_the_processor_does(graph: Graph) -> None:
    granted = _actions(graph, "processing-processor-policy")
    stream = f"arn:aws:kinesis:us-east-1:123456789012:stream/SecureBank-Transactions-Stream-{graph.stack}"
    assert granted["kinesis:GetRecords"] == [stream]
    assert set(granted["dynamodb:PutItem"]) == {
        f"arn:aws:dynamodb:us-east-1:123456789012:table/SecureBank-{t}-{graph.stack}"
        for t in ("Transactions", "Customers")
    }
    assert granted["s3:PutObject"] == [f"arn:aws:s3:::securebank-data-lake-{graph.stack}/raw/transactions/*"]
    assert granted["s3:GetObject"] == [
        f"arn:aws:s3:::securebank-data-lake-{graph.stack}/{prefix}*" for prefix in (POLICY_PREFIX, MERCHANT_RISK_PREFIX)
    ]
    assert len(granted["sqs:SendMessage"]) == 2
    assert granted["dynamodb:BatchGetItem"] == [
        f"arn:aws:dynamodb:us-east-1:123456789012:table/SecureBank-Customers-{graph.stack}"
    ]
    assert {a for a in granted if a.startswith("dynamodb:")} == {"dynamodb:BatchGetItem", "dynamodb:PutItem"}
    assert not any(a.startswith(("s3:Delete", "kinesis:Put")) for a in granted)


def test_processor_lists_only_the_merchant_risk_prefix_and_reads_the_policies_by_key(graph: Graph) -> None:
    """The release record names the versions in force: the processor gets them by key and never lists the policies."""
    bucket = f"arn:aws:s3:::securebank-data-lake-{graph.stack}"
    statements = graph.named("processing-processor-policy").statements()
    lists = [s for s in statements if "s3:ListBucket" in s["Action"]]
    assert all(s["Action"] == ["s3:ListBucket"] and s["Resource"] == [bucket] for s in lists)
    prefixes = sorted(p for s in lists for p in s["Condition"]["StringLike"]["s3:prefix"])
    assert prefixes == [f"{MERCHANT_RISK_PREFIX}*"] == ["config/merchant-risk/*"]
    [policy] = [s for s in statements if f"{bucket}/{POLICY_PREFIX}*" in s["Resource"]]
    assert policy["Action"] == ["s3:GetObject"] and policy["Resource"] == [f"{bucket}/config/fraud-policy/*"]
    [risk] = [s for s in statements if f"{bucket}/config/merchant-risk/*" in s["Resource"]]
    assert risk["Action"] == ["s3:GetObject"] and risk["Resource"] == [f"{bucket}/config/merchant-risk/*"]
    [lake_key] = [s for s in statements if s.get("Sid") == "UseLakeKeyThroughS3"]
    assert "kms:Decrypt" in lake_key["Action"]  # the snapshots are SSE-KMS objects of the lake, like the policy


def test_query_role_reads_by_transaction_id_only(graph: Graph) -> None:
    granted = _actions(graph, "processing-query-policy")
    table = f"arn:aws:dynamodb:us-east-1:123456789012:table/SecureBank-Transactions-{graph.stack}"
    assert granted["dynamodb:Query"] == [f"{table}/index/TransactionIdIndex"]
    assert {a for a in granted if a.startswith("dynamodb:")} == {"dynamodb:Query"}
    assert not any(a.startswith(("dynamodb:Put", "dynamodb:Update", "s3:", "sqs:")) for a in granted)


def test_star_resources_only_for_actions_without_resource_level_permissions(graph: Graph) -> None:
    from components.roles import UNSCOPED_ACTIONS

    for policy in graph.of_type("aws:iam/policy:Policy"):
        for statement in policy.statements():
            assert not any(a == "*" or a.endswith(":*") for a in statement["Action"]), policy.name
            if "*" in statement["Resource"]:
                assert set(statement["Action"]) <= UNSCOPED_ACTIONS, (policy.name, statement["Action"])


def test_every_policy_is_attached_to_exactly_one_role_of_this_stack(graph: Graph) -> None:
    attachments = graph.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
    roles = {r.inputs.get("name") or r.name for r in graph.of_type("aws:iam/role:Role")}
    for policy in graph.of_type("aws:iam/policy:Policy"):
        arn = f"arn:aws:iam::123456789012:policy/{policy.name}"
        [attachment] = [a for a in attachments if a.inputs["policyArn"] == arn]
        assert attachment.inputs["role"] in roles


def test_cost_reporter_async_failures_go_to_its_dead_letter_queue(graph: Graph) -> None:
    config = graph.one("aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig").inputs
    assert config["functionName"] == f"securebank-cost-reporter-{graph.stack}"
    assert config["destinationConfig"]["onFailure"]["destination"].endswith(
        f":securebank-cost-reporter-dlq-{graph.stack}"
    )
