"""Least-privilege IAM statements of the Lambda roles and of the analyst role: named actions only, resource ARNs
wherever AWS allows one."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

import pulumi

from components.common import PARTITION, assume_role_policy, statement
from contracts.aws import (
    LABEL_PATH_SUFFIX,
    LABELS_PREFIX,
    MERCHANT_RISK_PREFIX,
    POLICY_PREFIX,
    RAW_TRANSACTIONS_PREFIX,
    REVIEW_INDEX,
    REVIEWS_PATH,
    TRANSACTION_ID_INDEX,
    TRANSACTIONS_PATH,
)

# Actions AWS only authorises on "*" (no resource-level permissions). Every other statement names ARNs.
XRAY_ACTIONS = ["xray:PutTelemetryRecords", "xray:PutTraceSegments"]
ENI_DESCRIBE_ACTIONS = ["ec2:DescribeNetworkInterfaces"]
COST_EXPLORER_ACTIONS = ["ce:GetCostAndUsage"]
PUT_METRIC_ACTIONS = ["cloudwatch:PutMetricData"]  # scoped by a cloudwatch:namespace condition instead
UNSCOPED_ACTIONS = frozenset(XRAY_ACTIONS + ENI_DESCRIBE_ACTIONS + COST_EXPLORER_ACTIONS + PUT_METRIC_ACTIONS)


class Grants(Protocol):
    """What the Lambda roles are granted on: the resources Processing is given (`ProcessingArgs` matches this
    structurally, so this module need not import processing.py, which imports it)."""

    @property
    def stack(self) -> str: ...
    @property
    def region(self) -> str: ...
    @property
    def account_id(self) -> pulumi.Input[str]: ...
    @property
    def keys(self) -> Mapping[str, pulumi.Input[str]]: ...  # KMS key ARN per security domain
    @property
    def subnet_ids(self) -> Sequence[pulumi.Input[str]]: ...
    @property
    def security_group_id(self) -> pulumi.Input[str]: ...
    @property
    def stream_arn(self) -> pulumi.Input[str]: ...
    @property
    def transactions_table_arn(self) -> pulumi.Input[str]: ...
    @property
    def customers_table_arn(self) -> pulumi.Input[str]: ...
    @property
    def lake_bucket_arn(self) -> pulumi.Input[str]: ...


def lambda_trust(account_id: pulumi.Input[str]) -> pulumi.Output[str]:
    return assume_role_policy("lambda.amazonaws.com", account_id)


def _arn(service: str, args: Grants, resource: str) -> pulumi.Output[str]:
    return pulumi.Output.concat("arn:aws:", service, ":", args.region, ":", args.account_id, ":", resource)


def _via(service: str, region: str) -> dict[str, Any]:
    return {"StringEquals": {"kms:ViaService": f"{service}.{region}.amazonaws.com"}}


def common_statements(args: Grants, log_group_arn: pulumi.Input[str], in_vpc: bool) -> list[dict[str, Any]]:
    statements = [
        statement(
            ["logs:CreateLogStream", "logs:PutLogEvents"],
            [pulumi.Output.concat(log_group_arn, ":*")],
            sid="WriteOwnLogGroup",
        ),
        statement(XRAY_ACTIONS, ["*"], sid="XRayHasNoResourceLevelPermissions"),
        statement(["kms:Decrypt"], [args.keys["functions"]], sid="DecryptEnvironment"),
    ]
    if in_vpc:
        statements += [
            statement(ENI_DESCRIBE_ACTIONS, ["*"], sid="DescribeHasNoResourceLevelPermissions"),
            statement(
                [
                    "ec2:AssignPrivateIpAddresses",
                    "ec2:CreateNetworkInterface",
                    "ec2:DeleteNetworkInterface",
                    "ec2:UnassignPrivateIpAddresses",
                ],
                [
                    _arn("ec2", args, "network-interface/*"),
                    *(pulumi.Output.concat(_arn("ec2", args, "subnet/"), subnet) for subnet in args.subnet_ids),
                    pulumi.Output.concat(_arn("ec2", args, "security-group/"), args.security_group_id),
                ],
                sid="ManageOwnNetworkInterfaces",
            ),
        ]
    return statements


def processor_statements(args: Grants, queue_arns: Sequence[pulumi.Input[str]]) -> list[dict[str, Any]]:
    """The processor's grants; `queue_arns` are the quarantine and on-failure queues it sends to. No events grant:
    its flags leave through the Transactions table's stream (the outbox pipe, components/outbox.py)."""
    return [
        statement(
            [
                "kinesis:DescribeStream",
                "kinesis:DescribeStreamSummary",
                "kinesis:GetRecords",
                "kinesis:GetShardIterator",
                "kinesis:ListShards",
            ],
            [args.stream_arn],
            sid="ReadTransactionStream",
        ),
        statement(["kms:Decrypt"], [args.keys["stream"]], sid="DecryptStream", condition=_via("kinesis", args.region)),
        statement(["dynamodb:BatchGetItem"], [args.customers_table_arn], sid="ReadProfilesInOneCall"),
        statement(
            ["dynamodb:PutItem"],  # TransactWriteItems of conditional Puts (transaction + profile version)
            [args.transactions_table_arn, args.customers_table_arn],
            sid="StoreTransactionsAndProfiles",
        ),
        statement(
            ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey"],
            [args.keys["tables"]],
            sid="UseTablesKeyThroughDynamoDb",
            condition=_via("dynamodb", args.region),
        ),
        statement(
            ["s3:PutObject"],
            [pulumi.Output.concat(args.lake_bucket_arn, "/", RAW_TRANSACTIONS_PREFIX, "*")],
            sid="ArchiveRawBatches",
        ),
        statement(
            ["s3:GetObject"],
            [pulumi.Output.concat(args.lake_bucket_arn, "/", POLICY_PREFIX, "*")],
            sid="ReadFraudPolicy",  # the release record, then the versions it names: GetObject only, no listing
        ),
        # The merchant-risk snapshots the daily Glue job publishes: cached like the policy, newest key first.
        statement(
            ["s3:GetObject"],
            [pulumi.Output.concat(args.lake_bucket_arn, "/", MERCHANT_RISK_PREFIX, "*")],
            sid="ReadMerchantRisk",
        ),
        statement(
            ["s3:ListBucket"],
            [args.lake_bucket_arn],
            sid="FindNewestMerchantRisk",
            condition={"StringLike": {"s3:prefix": [f"{MERCHANT_RISK_PREFIX}*"]}},
        ),
        statement(
            ["kms:Decrypt", "kms:GenerateDataKey"],
            [args.keys["lake"]],
            sid="UseLakeKeyThroughS3",
            condition=_via("s3", args.region),
        ),
        statement(
            ["sqs:GetQueueAttributes", "sqs:SendMessage"],
            list(queue_arns),
            sid="QuarantineAndOnFailure",
        ),
        statement(
            ["kms:Decrypt", "kms:GenerateDataKey"],
            [args.keys["queues"]],
            sid="UseQueuesKeyThroughSqs",
            condition=_via("sqs", args.region),
        ),
    ]


def query_statements(args: Grants) -> list[dict[str, Any]]:
    return [
        statement(
            ["dynamodb:Query"],
            [pulumi.Output.concat(args.transactions_table_arn, "/index/", TRANSACTION_ID_INDEX.name)],
            sid="QueryByTransactionId",
        ),
        statement(
            ["kms:Decrypt", "kms:DescribeKey"],
            [args.keys["tables"]],
            sid="UseTablesKeyThroughDynamoDb",
            condition=_via("dynamodb", args.region),
        ),
    ]


def cases_statements(args: Grants) -> list[dict[str, Any]]:
    """The review queue and label function: page the ReviewIndex, read and label one transaction item, and append
    labels to the lake's labels/ (nothing else of the lake)."""
    return [
        statement(
            ["dynamodb:Query"],
            [pulumi.Output.concat(args.transactions_table_arn, "/index/", REVIEW_INDEX.name)],
            sid="PageOpenCases",
        ),
        statement(
            ["dynamodb:GetItem", "dynamodb:UpdateItem"], [args.transactions_table_arn], sid="LabelOneTransaction"
        ),
        statement(
            ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey"],
            [args.keys["tables"]],
            sid="UseTablesKeyThroughDynamoDb",
            condition=_via("dynamodb", args.region),
        ),
        statement(
            ["s3:PutObject"], [pulumi.Output.concat(args.lake_bucket_arn, "/", LABELS_PREFIX, "*")], sid="AppendLabels"
        ),
        statement(
            ["kms:GenerateDataKey"], [args.keys["lake"]], sid="UseLakeKeyThroughS3", condition=_via("s3", args.region)
        ),
    ]


def cost_reporter_statements(args: Grants, dead_letter_arn: pulumi.Input[str]) -> list[dict[str, Any]]:
    return [
        statement(COST_EXPLORER_ACTIONS, ["*"], sid="CostExplorerHasNoResourceLevelPermissions"),
        statement(["sqs:SendMessage"], [dead_letter_arn], sid="AsyncDeadLetters"),
        statement(
            ["kms:Decrypt", "kms:GenerateDataKey"],
            [args.keys["queues"]],
            sid="UseQueuesKeyThroughSqs",
            condition=_via("sqs", args.region),
        ),
    ]


# The API routes the analyst role may invoke: (HTTP method, resource path as the execute-api ARN writes it, with `*`
# for a path parameter). Each is an IAM-authorised operation of contracts/openapi.yaml (tests/infra holds them to
# it): GET by id, the review queue and the label endpoint.
ANALYST_ROUTES: tuple[tuple[str, str], ...] = (
    ("GET", f"{TRANSACTIONS_PATH}/*"),
    ("GET", REVIEWS_PATH),
    ("POST", f"{TRANSACTIONS_PATH}/*{LABEL_PATH_SUFFIX}"),
)
ANALYST_MFA_MAX_AGE_SECONDS = 3600


def analyst_trust(account_id: pulumi.Input[str]) -> pulumi.Output[str]:
    """The analyst role trusts its own account, only with MFA: who may assume it is then decided by the account's IAM
    (an identity policy allowing `sts:AssumeRole` on the role), and nothing has to exist before the stack does
    (docs/infrastructure.md, "Who can read", says why not principals named in config)."""
    mfa = {
        "Bool": {"aws:MultiFactorAuthPresent": "true"},
        "NumericLessThan": {"aws:MultiFactorAuthAge": str(ANALYST_MFA_MAX_AGE_SECONDS)},
    }
    trust = {
        "Sid": "SameAccountWithMfa",
        "Effect": "Allow",
        "Principal": {"AWS": pulumi.Output.concat("arn:", PARTITION, ":iam::", account_id, ":root")},
        "Action": "sts:AssumeRole",
        "Condition": mfa,
    }
    return pulumi.Output.json_dumps({"Version": "2012-10-17", "Statement": [trust]})


def analyst_statements(stage_execution_arn: pulumi.Input[str]) -> list[dict[str, Any]]:
    """`execute-api:Invoke` on the ARNs of ANALYST_ROUTES in the API's stage (`arn:aws:execute-api:<region>:
    <account>:<api id>/<stage>`), and nothing else."""
    return [
        statement(
            ["execute-api:Invoke"],
            [pulumi.Output.concat(stage_execution_arn, "/", method, path) for method, path in ANALYST_ROUTES],
            sid="InvokeAnalystRoutes",
        )
    ]
