"""The second region of the local stack: the pipeline's resources in another moto region, on the primary's moto.

As in the deployed `dr-prod` stack, the tables keep their names (global-table replicas), the lake is a bucket of its
own (the CRR destination, `<bucket>-<region>`), and the stream and queues are the region's own. `SecondRegion` runs
an API and the event source mapping (one process per shard) against them, like `LocalStack` does in us-east-1.
"""

from __future__ import annotations

import json
from dataclasses import asdict, replace
from typing import Any

import boto3

from contracts import aws
from securebank.emulator.moto_server import MotoCluster
from securebank.emulator.processes import FAKE_CREDENTIALS, ChildConfig
from securebank.emulator.resources import LOCAL_SHARD_COUNT, LocalResources, create_table
from securebank.emulator.stack import LocalStack, StackOptions

SECOND_REGION = "us-west-2"


def create_replica_resources(session: boto3.Session, moto: MotoCluster, primary: LocalResources) -> LocalResources:
    """The replica tables (same names), the lake replica bucket, a stream and queues, in `session`'s region."""
    region = session.region_name
    endpoints = dict(moto.service_endpoints)

    def client(service: str) -> Any:
        return session.client(service, endpoint_url=endpoints.get(service, moto.endpoint_url), region_name=region)

    dynamodb, kinesis, s3, sqs = client("dynamodb"), client("kinesis"), client("s3"), client("sqs")
    create_table(dynamodb, aws.TRANSACTIONS_TABLE, primary.transactions_table)
    create_table(dynamodb, aws.CUSTOMERS_TABLE, primary.customers_table)
    kinesis.create_stream(StreamName=primary.stream_name, ShardCount=LOCAL_SHARD_COUNT)
    summary = kinesis.describe_stream_summary(StreamName=primary.stream_name)["StreamDescriptionSummary"]
    bucket = f"{primary.bucket}-{region}"
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": region})

    def queue(url: str, attributes: dict[str, str]) -> tuple[str, str]:
        new_url = sqs.create_queue(QueueName=url.rsplit("/", 1)[1], Attributes=attributes)["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=new_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        return new_url, arn

    retention = {"MessageRetentionPeriod": str(aws.QUEUE_RETENTION_SECONDS)}
    dlq_url, dlq_arn = queue(primary.quarantine_dlq_url, retention)
    redrive = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": str(aws.QUARANTINE_MAX_RECEIVES)})
    quarantine_url, _ = queue(primary.quarantine_queue_url, {**retention, "RedrivePolicy": redrive})
    on_failure_url, on_failure_arn = queue(primary.on_failure_queue_url, retention)
    return replace(
        primary,
        region=region,
        stream_arn=summary["StreamARN"],
        bucket=bucket,
        quarantine_queue_url=quarantine_url,
        quarantine_dlq_url=dlq_url,
        on_failure_queue_url=on_failure_url,
        on_failure_queue_arn=on_failure_arn,
    )


class SecondRegion(LocalStack):
    """The pipeline in `region`, on the primary stack's moto servers (which it does not stop)."""

    def __init__(self, primary: LocalStack, region: str = SECOND_REGION) -> None:
        super().__init__(StackOptions(api_key=primary.api_key))
        self.session = boto3.Session(
            region_name=region,
            aws_access_key_id=FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        )
        assert primary.moto is not None and primary.resources is not None, "start the primary first"
        self.cluster, self.primary_resources = primary.moto, primary.resources

    def create(self) -> LocalResources:
        """The region's resources, before replication starts filling them."""
        self.resources = create_replica_resources(self.session, self.cluster, self.primary_resources)
        return self.resources

    def start(self) -> SecondRegion:
        """Start the region's API and event source mapping: the failover."""
        resources = self.resources or self.create()
        try:
            config = ChildConfig(resources=asdict(resources), workdir=str(self.workdir), api_key=self.api_key)
            self.start_children(config, resources.stream_name)
        except BaseException:
            self.stop()
            raise
        return self
