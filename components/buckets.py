"""The lake-layout buckets' shared settings: versioning, encryption, no public access, TLS only, lifecycle, logging.

Used by Storage (the lake and its access-log bucket) and DisasterRecovery (the replica and its access-log bucket).
"""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_aws as aws

from components.common import deny_insecure_transport, policy_document
from contracts.aws import ACCESS_LOGS_PREFIX, MERCHANT_RISK_PREFIX, RAW_TRANSACTIONS_PREFIX

INFREQUENT_ACCESS_AFTER_DAYS = 30
# Glacier Instant Retrieval, not Flexible: Athena can still read the raw partitions it holds.
GLACIER_AFTER_DAYS = 90
NONCURRENT_EXPIRY_DAYS = 90
ABORT_INCOMPLETE_UPLOAD_DAYS = 7
ACCESS_LOG_EXPIRY_DAYS = 365
# One merchant-risk snapshot a day; the processor lists the prefix to find the newest (ListObjectsV2 pages of 1,000),
# and each snapshot already covers MERCHANT_RISK_DAYS (35) days, so older ones are only history.
MERCHANT_RISK_EXPIRY_DAYS = 90


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
