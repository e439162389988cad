"""Storage layer: the two DynamoDB tables from contracts, and the data-lake bucket with its access-log bucket."""

from __future__ import annotations

from typing import Any

import attrs
import pulumi
import pulumi_aws as aws

from components.common import component_opts, deny_insecure_transport, policy_document, stateful_opts
from components.naming import physical_name
from contracts.aws import (
    ACCESS_LOGS_PREFIX,
    CUSTOMERS_TABLE,
    LAKE_BUCKET,
    MERCHANT_RISK_PREFIX,
    RAW_TRANSACTIONS_PREFIX,
    TRANSACTIONS_TABLE,
    TableSpec,
)

INFREQUENT_ACCESS_AFTER_DAYS = 30
# Glacier Instant Retrieval, not Flexible: Athena can still read the raw partitions it holds.
GLACIER_AFTER_DAYS = 90
NONCURRENT_EXPIRY_DAYS = 90
ABORT_INCOMPLETE_UPLOAD_DAYS = 7
ACCESS_LOG_EXPIRY_DAYS = 365
# One merchant-risk snapshot a day; the processor lists the prefix to find the newest (ListObjectsV2 pages of 1,000),
# and each snapshot already covers MERCHANT_RISK_DAYS (35) days, so older ones are only history.
MERCHANT_RISK_EXPIRY_DAYS = 90


@attrs.frozen
class StorageArgs:
    stack: str
    tables_key_arn: pulumi.Input[str]
    lake_key_arn: pulumi.Input[str]
    deletion_protection: bool  # the tables' own flag, and Pulumi `protect` on the tables and the lake bucket
    account_id: pulumi.Input[str]
    # DR: a DynamoDB global-table replica in this region, encrypted with this key (both or neither).
    replica_region: str | None = None
    replica_tables_key_arn: pulumi.Input[str] | None = None


class Storage(pulumi.ComponentResource):
    transactions_table: aws.dynamodb.Table
    customers_table: aws.dynamodb.Table
    lake_bucket: aws.s3.Bucket
    log_bucket: aws.s3.Bucket
    lake_versioning: aws.s3.BucketVersioning

    def __init__(self, name: str, args: StorageArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("securebank:pipeline:Storage", name, None, component_opts(opts, args.stack, "storage"))
        self.transactions_table = self._table(f"{name}-transactions", TRANSACTIONS_TABLE, args)
        self.customers_table = self._table(f"{name}-customers", CUSTOMERS_TABLE, args)

        child = pulumi.ResourceOptions(parent=self)
        self.log_bucket = aws.s3.Bucket(
            f"{name}-access-logs", bucket=physical_name(args.stack, "access-logs", base=LAKE_BUCKET), opts=child
        )
        # Server access logs can only be delivered to a bucket with SSE-S3 default encryption (documented exception).
        secure_bucket(
            f"{name}-access-logs",
            self.log_bucket,
            sse={"sse_algorithm": "AES256"},
            expire_days=ACCESS_LOG_EXPIRY_DAYS,
            extra_statements=[log_delivery_statement(self.log_bucket, args.account_id)],
            parent=self,
        )
        self.lake_bucket = aws.s3.Bucket(
            f"{name}-lake",
            bucket=physical_name(args.stack, base=LAKE_BUCKET),
            opts=stateful_opts(self, args.deletion_protection),
        )
        self.lake_versioning = secure_bucket(
            f"{name}-lake",
            self.lake_bucket,
            sse={"sse_algorithm": "aws:kms", "kms_master_key_id": args.lake_key_arn},
            parent=self,
        )
        aws.s3.BucketLogging(
            f"{name}-lake-logging",
            bucket=self.lake_bucket.id,
            target_bucket=self.log_bucket.id,
            target_prefix=f"{ACCESS_LOGS_PREFIX}{physical_name(args.stack, base=LAKE_BUCKET)}/",
            opts=child,
        )
        self.register_outputs(
            {
                "transactions_table": self.transactions_table.name,
                "customers_table": self.customers_table.name,
                "lake_bucket": self.lake_bucket.bucket,
                "log_bucket": self.log_bucket.bucket,
            }
        )

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
            server_side_encryption={"enabled": True, "kms_key_arn": args.tables_key_arn},
            deletion_protection_enabled=args.deletion_protection,
            # Global tables need a stream; without a replica the stream is off (nothing reads it).
            stream_enabled=bool(replicas),
            stream_view_type="NEW_AND_OLD_IMAGES" if replicas else None,
            replicas=replicas,
            opts=stateful_opts(self, args.deletion_protection),
        )


def secure_bucket(
    name: str,
    bucket: aws.s3.Bucket,
    *,
    sse: dict[str, Any],
    parent: pulumi.Resource,
    expire_days: int | None = None,
    extra_statements: list[dict[str, Any]] | None = None,
    region: str | None = None,
    depends_on: list[pulumi.Resource] | None = None,
) -> aws.s3.BucketVersioning:
    """Versioning, default encryption (bucket key on), no public access, owner-enforced, TLS-only, lifecycle."""
    child = pulumi.ResourceOptions(parent=parent)
    aws.s3.BucketOwnershipControls(
        f"{name}-ownership",
        bucket=bucket.id,
        rule={"object_ownership": "BucketOwnerEnforced"},
        region=region,
        opts=child,
    )
    block = aws.s3.BucketPublicAccessBlock(
        f"{name}-public-access-block",
        bucket=bucket.id,
        block_public_acls=True,
        block_public_policy=True,
        ignore_public_acls=True,
        restrict_public_buckets=True,
        region=region,
        opts=child,
    )
    versioning = aws.s3.BucketVersioning(
        f"{name}-versioning",
        bucket=bucket.id,
        versioning_configuration={"status": "Enabled"},
        region=region,
        opts=child,
    )
    aws.s3.BucketServerSideEncryptionConfiguration(
        f"{name}-encryption",
        bucket=bucket.id,
        rules=[
            {"apply_server_side_encryption_by_default": sse, "bucket_key_enabled": sse["sse_algorithm"] != "AES256"}
        ],
        region=region,
        opts=child,
    )
    aws.s3.BucketPolicy(
        f"{name}-policy",
        bucket=bucket.id,
        policy=policy_document(
            deny_insecure_transport("s3:*", [bucket.arn, pulumi.Output.concat(bucket.arn, "/*")]),
            *(extra_statements or []),
        ),
        region=region,
        opts=pulumi.ResourceOptions(parent=parent, depends_on=[block, *(depends_on or [])]),
    )
    rules: list[dict[str, Any]] = [
        {
            "id": "abort-incomplete-uploads",
            "status": "Enabled",
            "filter": {},
            "abort_incomplete_multipart_upload": {"days_after_initiation": ABORT_INCOMPLETE_UPLOAD_DAYS},
            "noncurrent_version_expiration": {"noncurrent_days": NONCURRENT_EXPIRY_DAYS},
        }
    ]
    if expire_days is None:
        rules.append(
            {
                "id": "raw-to-cheaper-storage",
                "status": "Enabled",
                "filter": {"prefix": RAW_TRANSACTIONS_PREFIX},
                "transitions": [
                    {"days": INFREQUENT_ACCESS_AFTER_DAYS, "storage_class": "STANDARD_IA"},
                    {"days": GLACIER_AFTER_DAYS, "storage_class": "GLACIER_IR"},
                ],
            }
        )
        rules.extend(merchant_risk_rules())
    else:
        rules.append({"id": "expire", "status": "Enabled", "filter": {}, "expiration": {"days": expire_days}})
    aws.s3.BucketLifecycleConfiguration(
        f"{name}-lifecycle",
        bucket=bucket.id,
        rules=rules,
        region=region,
        opts=pulumi.ResourceOptions(parent=parent, depends_on=[versioning]),
    )
    return versioning


def merchant_risk_rules() -> list[dict[str, Any]]:
    """Lake-layout buckets (the lake, its DR replica: lifecycle expirations are not replicated) expire merchant-risk
    snapshots, so the processor's ListObjectsV2 on the prefix stays small. The buckets are versioned: expiry leaves a
    delete marker (not listed by ListObjectsV2) and a noncurrent version, deleted after NONCURRENT_EXPIRY_DAYS;
    the marker, then alone, is removed by the second rule (S3 cannot combine `days` and the marker flag in one rule).
    """
    prefix = {"prefix": MERCHANT_RISK_PREFIX}
    return [
        {
            "id": "expire-merchant-risk-snapshots",
            "status": "Enabled",
            "filter": prefix,
            "expiration": {"days": MERCHANT_RISK_EXPIRY_DAYS},
            "noncurrent_version_expiration": {"noncurrent_days": NONCURRENT_EXPIRY_DAYS},
        },
        {
            "id": "remove-merchant-risk-delete-markers",
            "status": "Enabled",
            "filter": prefix,
            "expiration": {"expired_object_delete_marker": True},
        },
    ]


def log_delivery_statement(log_bucket: aws.s3.Bucket, account_id: pulumi.Input[str]) -> dict[str, Any]:
    return {
        "Sid": "S3ServerAccessLogDelivery",
        "Effect": "Allow",
        "Principal": {"Service": "logging.s3.amazonaws.com"},
        "Action": "s3:PutObject",
        "Resource": pulumi.Output.concat(log_bucket.arn, "/", ACCESS_LOGS_PREFIX, "*"),
        "Condition": {"StringEquals": {"aws:SourceAccount": account_id}},
    }
