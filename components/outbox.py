"""The outbox relay: an EventBridge Pipe from the Transactions table's stream to the fraud bus.

The flagged item is the outbox: the processor commits it with review_status = open in the same TransactWriteItems
as the rest of the batch, and the table's stream carries the INSERT. The pipe keeps the INSERTs of an open case
(contracts FLAGGED_STREAM_FILTER: the filter runs before billing), hands at most 10 records a batch to the
enrichment function (handlers/flag_events.py: NewImage to the TransactionFlagged Detail), and puts what it returns
on the fraud bus with one PutEvents (Source FLAGGED_EVENT_SOURCE, DetailType FLAGGED_DETAIL_TYPE). So an event
exists iff its item was committed, at least once: a failed batch is retried, bisected, and after its last retry
sent to the pipe's encrypted dead-letter queue. An EventBridge outage delays the events; it no longer fails the
processor's invocations.

The pipe's role: read that stream, invoke that function, put events on that bus, send to its DLQ, and use the
tables key (the stream is encrypted with the table's key) through DynamoDB and the queues key (the bus's and the
DLQ's) through EventBridge and SQS. It is trusted by pipes.amazonaws.com for this account only.
"""

from __future__ import annotations

import json

import attrs
import pulumi
import pulumi_aws as aws

from components.common import deny_insecure_transport, policy_document, role_policy, statement
from components.naming import physical_name
from contracts.aws import (
    CASES_QUEUE,
    FLAGGED_DETAIL_TYPE,
    FLAGGED_EVENT_SOURCE,
    FLAGGED_PIPE_BATCH_SIZE,
    FLAGGED_STREAM_FILTER,
    FRAUD_EVENT_BUS,
    QUEUE_RETENTION_SECONDS,
)

PIPES_PRINCIPAL = "pipes.amazonaws.com"
STREAM_READ_ACTIONS = [
    "dynamodb:DescribeStream",
    "dynamodb:GetRecords",
    "dynamodb:GetShardIterator",
    "dynamodb:ListStreams",
]
MAX_RETRY_ATTEMPTS = 10
"""Retries of a failing batch (each bisected) before its records go to the pipe's DLQ."""
MAX_RECORD_AGE_SECONDS = 24 * 3600
"""A record older than this goes to the DLQ instead: the stream keeps records 24 hours."""


@attrs.frozen
class OutboxArgs:
    stack: str
    region: str
    account_id: pulumi.Input[str]
    stream_arn: pulumi.Input[str]
    enrichment_arn: pulumi.Input[str]
    bus_arn: pulumi.Input[str]
    tables_key_arn: pulumi.Input[str]
    queues_key_arn: pulumi.Input[str]


@attrs.frozen
class Outbox:
    pipe: aws.pipes.Pipe
    dlq: aws.sqs.Queue
    role: aws.iam.Role


def outbox_dlq_name(stack: str) -> str:
    """The pipe's dead-letter queue: flags it could not deliver (Monitoring alarms on its depth)."""
    return physical_name(stack, "outbox-dlq", base=CASES_QUEUE)


def outbox_pipe(name: str, args: OutboxArgs, parent: pulumi.Resource, bus: pulumi.Resource) -> Outbox:
    """The pipe and its DLQ and role, children of `parent`; the pipe waits for `bus` (its target, named by ARN)."""
    child = pulumi.ResourceOptions(parent=parent)
    dlq = aws.sqs.Queue(
        f"{name}-outbox-dlq",
        name=outbox_dlq_name(args.stack),
        kms_master_key_id=args.queues_key_arn,
        kms_data_key_reuse_period_seconds=300,
        message_retention_seconds=QUEUE_RETENTION_SECONDS,
        opts=child,
    )
    aws.sqs.QueuePolicy(
        f"{name}-outbox-dlq-policy",
        queue_url=dlq.url,
        policy=policy_document(deny_insecure_transport("sqs:*", [dlq.arn])),
        opts=child,
    )
    role = aws.iam.Role(
        f"{name}-outbox-role",
        name=physical_name(args.stack, "outbox-role", base=FRAUD_EVENT_BUS),
        assume_role_policy=pipes_trust(args.account_id),
        opts=child,
    )
    policy = role_policy(f"{name}-outbox-policy", role, policy_document(*pipe_statements(args, dlq.arn)), parent)
    pipe = aws.pipes.Pipe(
        f"{name}-outbox",
        name=physical_name(args.stack, "outbox", base=FRAUD_EVENT_BUS),
        description="New cases on the Transactions table's stream, as TransactionFlagged events on the fraud bus",
        role_arn=role.arn,
        source=args.stream_arn,
        source_parameters=aws.pipes.PipeSourceParametersArgs(
            dynamodb_stream_parameters=aws.pipes.PipeSourceParametersDynamodbStreamParametersArgs(
                starting_position="LATEST",
                batch_size=FLAGGED_PIPE_BATCH_SIZE,
                maximum_retry_attempts=MAX_RETRY_ATTEMPTS,
                maximum_record_age_in_seconds=MAX_RECORD_AGE_SECONDS,
                on_partial_batch_item_failure="AUTOMATIC_BISECT",
                dead_letter_config=aws.pipes.PipeSourceParametersDynamodbStreamParametersDeadLetterConfigArgs(
                    arn=dlq.arn
                ),
            ),
            filter_criteria=aws.pipes.PipeSourceParametersFilterCriteriaArgs(
                filters=[
                    aws.pipes.PipeSourceParametersFilterCriteriaFilterArgs(pattern=json.dumps(FLAGGED_STREAM_FILTER))
                ]
            ),
        ),
        enrichment=args.enrichment_arn,
        target=args.bus_arn,
        target_parameters=aws.pipes.PipeTargetParametersArgs(
            eventbridge_event_bus_parameters=aws.pipes.PipeTargetParametersEventbridgeEventBusParametersArgs(
                detail_type=FLAGGED_DETAIL_TYPE, source=FLAGGED_EVENT_SOURCE
            )
        ),
        opts=pulumi.ResourceOptions(parent=parent, depends_on=[policy, bus]),
    )
    return Outbox(pipe, dlq, role)


def pipes_trust(account_id: pulumi.Input[str]) -> pulumi.Output[str]:
    return policy_document(
        {
            "Effect": "Allow",
            "Principal": {"Service": PIPES_PRINCIPAL},
            "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"aws:SourceAccount": account_id}},
        }
    )


def _via(*services: str, region: str) -> dict[str, object]:
    return {"StringEquals": {"kms:ViaService": [f"{service}.{region}.amazonaws.com" for service in services]}}


def pipe_statements(args: OutboxArgs, dlq_arn: pulumi.Input[str]) -> list[dict[str, object]]:
    return [
        statement(STREAM_READ_ACTIONS, [args.stream_arn], sid="ReadTransactionsTableStream"),
        statement(
            ["kms:Decrypt"],
            [args.tables_key_arn],
            sid="DecryptStreamThroughDynamoDb",
            condition=_via("dynamodb", region=args.region),
        ),
        statement(["lambda:InvokeFunction"], [args.enrichment_arn], sid="InvokeEnrichment"),
        statement(["events:PutEvents"], [args.bus_arn], sid="PutFlaggedEvents"),
        statement(["sqs:SendMessage"], [dlq_arn], sid="SendFailedBatchesToDlq"),
        statement(
            ["kms:Decrypt", "kms:GenerateDataKey"],
            [args.queues_key_arn],
            sid="UseQueuesKeyThroughEventsAndSqs",
            condition=_via("events", "sqs", region=args.region),
        ),
    ]
