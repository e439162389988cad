"""Storage layer: the two DynamoDB tables from contracts, the Kinesis stream, and the data-lake bucket with its
access-log bucket. Everything the other layers read from or write to, so Storage depends on no other layer but
Security (its keys): Processing consumes the stream, Ingestion writes to it.
"""

from __future__ import annotations

import attrs
import pulumi
import pulumi_aws as aws

from components.buckets import ACCESS_LOG_EXPIRY_DAYS, log_delivery_statement, secure_bucket
from components.common import component_opts, stateful_opts
from components.config import ShardMode
from components.naming import physical_name
from contracts.aws import (
    ACCESS_LOGS_PREFIX,
    CUSTOMERS_TABLE,
    LAKE_BUCKET,
    STREAM_NAME,
    STREAM_RETENTION_HOURS,
    TRANSACTIONS_TABLE,
    TTL_ATTRIBUTE,
    TableSpec,
)


@attrs.frozen
class StorageArgs:
    stack: str
    tables_key_arn: pulumi.Input[str]
    lake_key_arn: pulumi.Input[str]
    stream_key_arn: pulumi.Input[str]
    deletion_protection: bool  # the tables' own flag, and Pulumi `protect` on the tables and the lake bucket
    account_id: pulumi.Input[str]
    shard_mode: ShardMode
    shard_count: int  # used only when PROVISIONED
    # DR: a DynamoDB global-table replica in this region, encrypted with this key (both or neither).
    replica_region: str | None = None
    replica_tables_key_arn: pulumi.Input[str] | None = None


class Storage(pulumi.ComponentResource):
    transactions_table: aws.dynamodb.Table
    customers_table: aws.dynamodb.Table
    stream: aws.kinesis.Stream
    lake_bucket: aws.s3.Bucket
    log_bucket: aws.s3.Bucket
    lake_versioning: aws.s3.BucketVersioning

    def __init__(self, name: str, args: StorageArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("securebank:pipeline:Storage", name, None, component_opts(opts, args.stack, "storage"))
        self.transactions_table = self._table(f"{name}-transactions", TRANSACTIONS_TABLE, args)
        self.customers_table = self._table(f"{name}-customers", CUSTOMERS_TABLE, args)
        self.stream = self._stream(f"{name}-stream", args)
        self.log_bucket = self._access_log_bucket(f"{name}-access-logs", args)
        self.lake_bucket, self.lake_versioning = self._lake(f"{name}-lake", args, self.log_bucket)
        self.register_outputs(
            {
                "transactions_table": self.transactions_table.name,
                "customers_table": self.customers_table.name,
                "stream_name": self.stream.name,
                "lake_bucket": self.lake_bucket.bucket,
                "log_bucket": self.log_bucket.bucket,
            }
        )

    def _stream(self, name: str, args: StorageArgs) -> aws.kinesis.Stream:
        # Deviation from the specification (docs/deviations.md, stream-capacity): on-demand prod, fixed-shard dev.
        return aws.kinesis.Stream(
            name,
            name=physical_name(args.stack, base=STREAM_NAME),
            retention_period=STREAM_RETENTION_HOURS,
            encryption_type="KMS",
            kms_key_id=args.stream_key_arn,
            stream_mode_details={"stream_mode": args.shard_mode},
            shard_count=args.shard_count if args.shard_mode == "PROVISIONED" else None,
            opts=pulumi.ResourceOptions(parent=self, aliases=_stream_aliases()),
        )

    def _access_log_bucket(self, name: str, args: StorageArgs) -> aws.s3.Bucket:
        bucket = aws.s3.Bucket(
            name,
            bucket=physical_name(args.stack, "access-logs", base=LAKE_BUCKET),
            opts=pulumi.ResourceOptions(parent=self),
        )
        # Server access logs can only be delivered to a bucket with SSE-S3 default encryption (documented exception).
        secure_bucket(
            name,
            bucket,
            sse={"sse_algorithm": "AES256"},
            expire_days=ACCESS_LOG_EXPIRY_DAYS,
            extra_statements=[log_delivery_statement(bucket, args.account_id)],
            parent=self,
        )
        return bucket

    def _lake(
        self, name: str, args: StorageArgs, log_bucket: aws.s3.Bucket
    ) -> tuple[aws.s3.Bucket, aws.s3.BucketVersioning]:
        physical = physical_name(args.stack, base=LAKE_BUCKET)
        lake = aws.s3.Bucket(name, bucket=physical, opts=stateful_opts(self, args.deletion_protection))
        versioning = secure_bucket(
            name,
            lake,
            sse={"sse_algorithm": "aws:kms", "kms_master_key_id": args.lake_key_arn},
            parent=self,
        )
        aws.s3.BucketLogging(
            f"{name}-logging",
            bucket=lake.id,
            target_bucket=log_bucket.id,
            target_prefix=f"{ACCESS_LOGS_PREFIX}{physical}/",
            opts=pulumi.ResourceOptions(parent=self),
        )
        return lake, versioning

    def _table(self, name: str, spec: TableSpec, args: StorageArgs) -> aws.dynamodb.Table:
        replicas = []
        if args.replica_region is not None:
            replicas = [
                {
                    "region_name": args.replica_region,
                    "kms_key_arn": args.replica_tables_key_arn,
                    "point_in_time_recovery": True,
                    "propagate_tags": True,
                }
            ]
        return aws.dynamodb.Table(
            name,
            name=physical_name(args.stack, base=spec.name),
            # Deviation from the specification (docs/deviations.md, dynamodb-capacity): on-demand, not 10,000 units.
            billing_mode="PAY_PER_REQUEST",
            hash_key=spec.partition_key.name,
            range_key=spec.sort_key.name if spec.sort_key else None,
            attributes=[{"name": key.name, "type": key.type} for key in spec.attributes],
            global_secondary_indexes=[
                {
                    "name": index.name,
                    "hash_key": index.partition_key.name,
                    "range_key": index.sort_key.name if index.sort_key else None,
                    "projection_type": index.projection,
                }
                for index in spec.global_indexes
            ],
            local_secondary_indexes=[
                {"name": index.name, "range_key": index.sort_key.name, "projection_type": index.projection}
                for index in spec.local_indexes
                if index.sort_key is not None
            ],
            point_in_time_recovery={"enabled": True},
            # Both tables' items carry their expiry (adapters/items.py; docs/infrastructure.md, "Retention").
            ttl={"attribute_name": TTL_ATTRIBUTE, "enabled": True},
            server_side_encryption={"enabled": True, "kms_key_arn": args.tables_key_arn},
            deletion_protection_enabled=args.deletion_protection,
            stream_enabled=bool(replicas) or spec is TRANSACTIONS_TABLE,
            stream_view_type=_stream_view(spec, replicas=bool(replicas)),
            replicas=replicas,
            opts=stateful_opts(self, args.deletion_protection),
        )


def _stream_view(spec: TableSpec, *, replicas: bool) -> str | None:
    """Global tables need NEW_AND_OLD_IMAGES. Without a replica the Transactions table's stream is the outbox of its
    flagged items (components/outbox.py reads NewImage alone); the Customers table's is off (nothing reads it)."""
    if replicas:
        return "NEW_AND_OLD_IMAGES"
    return "NEW_IMAGE" if spec is TRANSACTIONS_TABLE else None


def _stream_aliases() -> list[pulumi.Input[pulumi.Alias]]:
    """Where the stream lived before the components became a DAG: `ingestion-stream`, a child of the Ingestion
    component `ingestion` (as __main__.py names it). The alias makes `pulumi up` move it in the state instead of
    replacing it, which would drop the records it holds and the event source mapping's position."""
    previous_parent = pulumi.create_urn("ingestion", "securebank:pipeline:Ingestion")
    return [pulumi.Alias(name="ingestion-stream", parent=previous_parent)]
