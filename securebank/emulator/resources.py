"""Create the pipeline's AWS resources from contracts/aws.py on an endpoint (moto) and name what was created."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import boto3

from contracts import aws

LOCAL_REGION = "us-east-1"
LOCAL_SHARD_COUNT = 1
"""One shard locally: at the demo's 300/s a 100-record batch fills in 0.33 s (0.67 s on each of two shards, which put
end-to-end p99 above 1 s), one mapping process leaves a core to the API and moto, and it sustains about 440/s.
The deployed stacks size their shards in Pulumi.<stack>.yaml."""


@dataclass(frozen=True)
class LocalResources:
    """Physical names, ARNs and URLs of one set of pipeline resources."""

    endpoint_url: str | None
    region: str
    transactions_table: str
    customers_table: str
    stream_name: str
    stream_arn: str
    bucket: str
    quarantine_queue_url: str
    quarantine_dlq_url: str
    on_failure_queue_url: str
    on_failure_queue_arn: str
    event_bus_name: str | None = None
    """The fraud bus (TransactionFlagged events); its rule delivers every event to `cases_queue_url`."""
    cases_queue_url: str | None = None
    service_endpoints: dict[str, str] = field(default_factory=dict)
    """Per-service endpoints (e.g. one moto process per service); services not listed use `endpoint_url`."""
    transactions_stream_arn: str | None = None
    """The Transactions table's stream: the outbox pipe (securebank/emulator/pipe.py) reads it."""

    def endpoint_for(self, service: str) -> str | None:
        return self.service_endpoints.get(service, self.endpoint_url)

    def processor_environment(self) -> dict[str, str]:
        """The processor Lambda's environment (names from contracts/aws.py), pointing at this endpoint."""
        env = {
            aws.ENV_TRANSACTIONS_TABLE: self.transactions_table,
            aws.ENV_CUSTOMERS_TABLE: self.customers_table,
            aws.ENV_LAKE_BUCKET: self.bucket,
            aws.ENV_QUARANTINE_QUEUE_URL: self.quarantine_queue_url,
            aws.ENV_POLICY_CACHE_SECONDS: str(aws.DEFAULT_POLICY_CACHE_SECONDS),
            aws.ENV_SERVICE_NAME: aws.SERVICE_NAME,
            aws.ENV_STACK_NAME: aws.LOCAL_STACK_NAME,
            "AWS_DEFAULT_REGION": self.region,
            "AWS_REGION": self.region,
        }
        if self.endpoint_url:
            env[aws.ENV_AWS_ENDPOINT_URL] = self.endpoint_url
        for service, url in self.service_endpoints.items():
            env[f"{aws.ENV_AWS_ENDPOINT_URL}_{service.upper()}"] = url  # botocore's service-specific variable
        return env


def _key_schema(partition: aws.KeyAttribute, sort: aws.KeyAttribute | None) -> list[dict[str, str]]:
    schema = [{"AttributeName": partition.name, "KeyType": "HASH"}]
    if sort is not None:
        schema.append({"AttributeName": sort.name, "KeyType": "RANGE"})
    return schema


def _index(spec: aws.IndexSpec) -> dict[str, object]:
    return {
        "IndexName": spec.name,
        "KeySchema": _key_schema(spec.partition_key, spec.sort_key),
        "Projection": {"ProjectionType": spec.projection},
    }


def create_table(client: object, spec: aws.TableSpec, name: str, stream_view: str | None = None) -> None:
    """CreateTable for `spec` under the physical `name` (on-demand, every GSI and LSI of the spec), with a stream of
    `stream_view` if given."""
    params: dict[str, object] = {
        "TableName": name,
        "BillingMode": "PAY_PER_REQUEST",
        "KeySchema": _key_schema(spec.partition_key, spec.sort_key),
        "AttributeDefinitions": [{"AttributeName": a.name, "AttributeType": a.type} for a in spec.attributes],
    }
    if spec.global_indexes:
        params["GlobalSecondaryIndexes"] = [_index(index) for index in spec.global_indexes]
    if spec.local_indexes:
        params["LocalSecondaryIndexes"] = [_index(index) for index in spec.local_indexes]
    if stream_view is not None:
        params["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": stream_view}
    client.create_table(**params)  # type: ignore[attr-defined]


def create_resources(
    session: boto3.Session,
    endpoint_url: str | None,
    *,
    suffix: str = "",
    shard_count: int = LOCAL_SHARD_COUNT,
    service_endpoints: dict[str, str] | None = None,
) -> LocalResources:
    """Tables (with their indexes; the Transactions table's stream is the flags' outbox), stream, lake bucket,
    quarantine queue + DLQ, the on-failure queue, and the fraud bus with its rule to the cases queue (moto's
    PutEvents delivers to an SQS target in its own process: events and
    sqs must share a server, as the last group of securebank/emulator/moto_server.py, which takes unlisted services).

    `suffix` makes every name unique, so tests can create a fresh set per example on one endpoint.
    """
    region = session.region_name or LOCAL_REGION
    endpoints = dict(service_endpoints or {})

    def client(service: str) -> Any:
        return session.client(service, endpoint_url=endpoints.get(service, endpoint_url), region_name=region)

    dynamodb, kinesis, s3, sqs = client("dynamodb"), client("kinesis"), client("s3"), client("sqs")
    transactions_table = aws.TRANSACTIONS_TABLE.name + suffix
    customers_table = aws.CUSTOMERS_TABLE.name + suffix
    create_table(dynamodb, aws.TRANSACTIONS_TABLE, transactions_table, stream_view="NEW_IMAGE")  # the flags' outbox
    create_table(dynamodb, aws.CUSTOMERS_TABLE, customers_table)
    table_stream_arn = dynamodb.describe_table(TableName=transactions_table)["Table"]["LatestStreamArn"]

    stream_name = aws.STREAM_NAME + suffix
    kinesis.create_stream(StreamName=stream_name, ShardCount=shard_count)
    stream_arn = kinesis.describe_stream_summary(StreamName=stream_name)["StreamDescriptionSummary"]["StreamARN"]

    bucket = (aws.LAKE_BUCKET + suffix.lower().replace("_", "-"))[:63]
    if region == "us-east-1":
        s3.create_bucket(Bucket=bucket)
    else:
        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": region})

    retention = {"MessageRetentionPeriod": str(aws.QUEUE_RETENTION_SECONDS)}
    dlq_url = sqs.create_queue(QueueName=aws.QUARANTINE_DLQ + suffix, Attributes=retention)["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    redrive = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": str(aws.QUARANTINE_MAX_RECEIVES)})
    quarantine_url = sqs.create_queue(
        QueueName=aws.QUARANTINE_QUEUE + suffix, Attributes={**retention, "RedrivePolicy": redrive}
    )["QueueUrl"]
    on_failure_url = sqs.create_queue(QueueName=aws.ON_FAILURE_QUEUE + suffix, Attributes=retention)["QueueUrl"]
    on_failure_arn = sqs.get_queue_attributes(QueueUrl=on_failure_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    bus, cases_url = create_cases(client, suffix, retention)
    return LocalResources(
        endpoint_url=endpoint_url,
        region=region,
        transactions_table=transactions_table,
        customers_table=customers_table,
        stream_name=stream_name,
        stream_arn=stream_arn,
        bucket=bucket,
        quarantine_queue_url=quarantine_url,
        quarantine_dlq_url=dlq_url,
        on_failure_queue_url=on_failure_url,
        on_failure_queue_arn=on_failure_arn,
        event_bus_name=bus,
        cases_queue_url=cases_url,
        service_endpoints=endpoints,
        transactions_stream_arn=table_stream_arn,
    )


CASES_RULE = "flagged-to-cases"


def create_cases(
    client: Callable[[str], Any], suffix: str = "", attributes: dict[str, str] | None = None
) -> tuple[str, str]:
    """The fraud bus, the cases queue, and the rule sending every TransactionFlagged event to it (no DLQ, key or
    policy locally: components/cases.py has them); returns the bus name and the queue URL. `client(service)` makes
    a client (events and sqs must reach the same moto process: moto delivers to the queue in-process)."""
    events, sqs, attributes = client("events"), client("sqs"), attributes or {}
    bus = aws.FRAUD_EVENT_BUS + suffix
    events.create_event_bus(Name=bus)
    url = sqs.create_queue(QueueName=aws.CASES_QUEUE + suffix, Attributes=attributes)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    pattern = {"source": [aws.FLAGGED_EVENT_SOURCE], "detail-type": [aws.FLAGGED_DETAIL_TYPE]}
    events.put_rule(Name=CASES_RULE, EventBusName=bus, EventPattern=json.dumps(pattern))
    events.put_targets(Rule=CASES_RULE, EventBusName=bus, Targets=[{"Id": "cases", "Arn": arn}])
    return bus, url
