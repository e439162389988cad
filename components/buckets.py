"""The lake-layout buckets' shared settings: versioning, encryption, no public access, TLS only, lifecycle, logging.

The lake's retention, per prefix, is LAKE_RETENTION (docs/infrastructure.md, "Retention").

Used by Storage (the lake and its access-log bucket) and DisasterRecovery (the replica and its access-log bucket).
"""

from __future__ import annotations

from typing import Any

import attrs
import pulumi
import pulumi_aws as aws

from components.common import deny_insecure_transport, policy_document
from components.glue import GLUE_TEMP_PREFIX
from contracts.aws import (
    ACCESS_LOGS_PREFIX,
    ATHENA_RESULTS_PREFIX,
    CUSTOMER_EXPORTS_PREFIX,
    CUSTOMER_PROFILES_PREFIX,
    DAILY_AGGREGATES_PREFIX,
    FRAUD_REPORTS_PREFIX,
    GLUE_SCRIPTS_PREFIX,
    LABELS_PREFIX,
    MERCHANT_RISK_PREFIX,
    POLICY_PREFIX,
    RAW_TRANSACTIONS_PREFIX,
)

INFREQUENT_ACCESS_AFTER_DAYS = 30
# Glacier Instant Retrieval, not Flexible: Athena can still read the raw partitions it holds.
GLACIER_AFTER_DAYS = 90
NONCURRENT_EXPIRY_DAYS = 90
ABORT_INCOMPLETE_UPLOAD_DAYS = 7
ACCESS_LOG_EXPIRY_DAYS = 365
RECORDS_RETENTION_DAYS = 2557
"""Seven years: the lake is the record of every transaction, its decision and its label once the table's TTL
(contracts TRANSACTION_RETENTION_DAYS) has removed the item; what is derived from it lives as long."""
# One merchant-risk snapshot a day; the processor lists the prefix to find the newest (ListObjectsV2 pages of 1,000),
# and each snapshot already covers MERCHANT_RISK_DAYS (35) days, so older ones are only history.
MERCHANT_RISK_EXPIRY_DAYS = 90
CUSTOMER_SNAPSHOT_EXPIRY_DAYS = 35
"""Daily full copies of the profiles: a month of history, and an erased customer leaves the snapshots with them."""
ATHENA_RESULTS_EXPIRY_DAYS = 30
"""Query results can hold customer rows; result reuse needs them for 24 hours."""
SCRATCH_EXPIRY_DAYS = 7
"""Glue's --TempDir and the DynamoDB exports the snapshot job converts on the day it starts them."""


@attrs.frozen
class Retention:
    """How long the current objects under a lake prefix live (None: until someone deletes them), and the storage
    classes they move to on the way. docs/infrastructure.md ("Retention") states each with its reason."""

    expire_days: int | None
    transitions: tuple[tuple[int, str], ...] = ()


LAKE_RETENTION: dict[str, Retention] = {
    RAW_TRANSACTIONS_PREFIX: Retention(
        RECORDS_RETENTION_DAYS, ((INFREQUENT_ACCESS_AFTER_DAYS, "STANDARD_IA"), (GLACIER_AFTER_DAYS, "GLACIER_IR"))
    ),
    LABELS_PREFIX: Retention(RECORDS_RETENTION_DAYS),
    DAILY_AGGREGATES_PREFIX: Retention(RECORDS_RETENTION_DAYS),
    FRAUD_REPORTS_PREFIX: Retention(RECORDS_RETENTION_DAYS),
    CUSTOMER_PROFILES_PREFIX: Retention(CUSTOMER_SNAPSHOT_EXPIRY_DAYS),
    CUSTOMER_EXPORTS_PREFIX: Retention(SCRATCH_EXPIRY_DAYS),
    POLICY_PREFIX: Retention(None),  # every decision in the lake names its policy version: kept as long as they are
    MERCHANT_RISK_PREFIX: Retention(MERCHANT_RISK_EXPIRY_DAYS),
    ATHENA_RESULTS_PREFIX: Retention(ATHENA_RESULTS_EXPIRY_DAYS),
    GLUE_SCRIPTS_PREFIX: Retention(None),  # the jobs' code, managed by Pulumi (old versions: NONCURRENT_EXPIRY_DAYS)
    GLUE_TEMP_PREFIX: Retention(SCRATCH_EXPIRY_DAYS),
}


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
            # Every expiry on a versioned bucket leaves a delete marker and a noncurrent version: the version goes
            # after NONCURRENT_EXPIRY_DAYS, then the marker, alone, is removed.
            "id": "abort-incomplete-uploads",
            "status": "Enabled",
            "filter": {},
            "abort_incomplete_multipart_upload": {"days_after_initiation": ABORT_INCOMPLETE_UPLOAD_DAYS},
            "noncurrent_version_expiration": {"noncurrent_days": NONCURRENT_EXPIRY_DAYS},
            "expiration": {"expired_object_delete_marker": True},
        }
    ]
    if expire_days is None:
        rules.extend(lake_rules())
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


def lake_rules() -> list[dict[str, Any]]:
    """One rule per lake prefix that expires or moves (LAKE_RETENTION). Lake-layout buckets only: the lake and its DR
    replica (lifecycle expirations are not replicated, so the replica runs the same rules)."""
    rules = []
    for prefix, retention in LAKE_RETENTION.items():
        rule: dict[str, Any] = {"id": _rule_id(prefix), "status": "Enabled", "filter": {"prefix": prefix}}
        if retention.transitions:
            rule["transitions"] = [{"days": days, "storage_class": cls} for days, cls in retention.transitions]
        if retention.expire_days is not None:
            rule["expiration"] = {"days": retention.expire_days}
        if "transitions" in rule or "expiration" in rule:  # a prefix kept for good, unmoved, needs no rule
            rules.append(rule)
    return rules


def _rule_id(prefix: str) -> str:
    return "retain-" + prefix.strip("/").replace("/", "-")


def log_delivery_statement(log_bucket: aws.s3.Bucket, account_id: pulumi.Input[str]) -> dict[str, Any]:
    return {
        "Sid": "S3ServerAccessLogDelivery",
        "Effect": "Allow",
        "Principal": {"Service": "logging.s3.amazonaws.com"},
        "Action": "s3:PutObject",
        "Resource": pulumi.Output.concat(log_bucket.arn, "/", ACCESS_LOGS_PREFIX, "*"),
        "Condition": {"StringEquals": {"aws:SourceAccount": account_id}},
    }
