"""DR layer: AWS Backup (vault, weekly plan, 35-day retention, cross-region copy) and S3 cross-region replication.

The DynamoDB replica is a property of the tables themselves (StorageArgs.replica_region); see docs/infrastructure.md
for the RTO 1 h / RPO 5 min reasoning.
"""

from __future__ import annotations

import attrs
import pulumi
import pulumi_aws as aws

from components.buckets import ACCESS_LOG_EXPIRY_DAYS, log_delivery_statement, secure_bucket
from components.common import assume_role_policy, component_opts, policy_document, role_policy, statement
from components.naming import physical_name
from contracts.aws import ACCESS_LOGS_PREFIX, LAKE_BUCKET

BACKUP_SCHEDULE = "cron(0 5 ? * SUN *)"  # weekly, Sunday 05:00 UTC
RETENTION_DAYS = 35
REPLICATION_MINUTES = 15  # S3 Replication Time Control: 99.99% of objects within 15 minutes


@attrs.frozen
class DisasterRecoveryArgs:
    stack: str
    account_id: pulumi.Input[str]
    tables_key_arn: pulumi.Input[str]
    table_arns: list[pulumi.Input[str]]
    lake_bucket: aws.s3.Bucket
    lake_versioning: aws.s3.BucketVersioning
    # Prod: the secondary region and its replica keys. None in dev (no copies leave the region).
    secondary_region: str | None = None
    secondary_tables_key_arn: pulumi.Input[str] | None = None
    secondary_lake_key_arn: pulumi.Input[str] | None = None
    lake_key_arn: pulumi.Input[str] | None = None


class DisasterRecovery(pulumi.ComponentResource):
    vault: aws.backup.Vault
    secondary_vault: aws.backup.Vault | None
    plan: aws.backup.Plan
    replica_bucket: aws.s3.Bucket | None

    def __init__(self, name: str, args: DisasterRecoveryArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("securebank:pipeline:DisasterRecovery", name, None, component_opts(opts, args.stack, "dr"))
        self.vault = aws.backup.Vault(
            f"{name}-vault",
            name=physical_name(args.stack),
            kms_key_arn=args.tables_key_arn,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.secondary_vault = self._secondary_vault(f"{name}-secondary-vault", args)
        self.plan = self._backup_plan(f"{name}-plan", args)
        self._back_up_tables(name, args)
        self.replica_bucket = self._replicate_lake(name, args) if args.secondary_region is not None else None
        self.register_outputs(
            {
                "vault": self.vault.name,
                "plan_id": self.plan.id,
                "replica_bucket": self.replica_bucket.bucket if self.replica_bucket else None,
            }
        )

    def _secondary_vault(self, name: str, args: DisasterRecoveryArgs) -> aws.backup.Vault | None:
        """Prod: a vault in the secondary region, under its replica tables key, that receives the backups' copies."""
        if args.secondary_region is None:
            return None
        return aws.backup.Vault(
            name,
            name=physical_name(args.stack, args.secondary_region),
            kms_key_arn=args.secondary_tables_key_arn,
            region=args.secondary_region,
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _backup_plan(self, name: str, args: DisasterRecoveryArgs) -> aws.backup.Plan:
        copy_actions = []
        if self.secondary_vault is not None:
            copy_actions = [
                {"destination_vault_arn": self.secondary_vault.arn, "lifecycle": {"delete_after": RETENTION_DAYS}}
            ]
        return aws.backup.Plan(
            name,
            name=physical_name(args.stack, "weekly"),
            rules=[
                {
                    "rule_name": "weekly",
                    "target_vault_name": self.vault.name,
                    "schedule": BACKUP_SCHEDULE,
                    "start_window": 60,
                    "completion_window": 360,
                    "lifecycle": {"delete_after": RETENTION_DAYS},
                    "copy_actions": copy_actions,
                }
            ],
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _back_up_tables(self, name: str, args: DisasterRecoveryArgs) -> None:
        """The tables join the plan, backed up (and restored) by a role with AWS Backup's managed policies."""
        child = pulumi.ResourceOptions(parent=self)
        backup_role = aws.iam.Role(
            f"{name}-backup-role",
            assume_role_policy=assume_role_policy("backup.amazonaws.com", args.account_id),
            opts=child,
        )
        for policy in ("AWSBackupServiceRolePolicyForBackup", "AWSBackupServiceRolePolicyForRestores"):
            aws.iam.RolePolicyAttachment(
                f"{name}-backup-{policy}",
                role=backup_role.name,
                policy_arn=f"arn:aws:iam::aws:policy/service-role/{policy}",
                opts=child,
            )
        aws.backup.Selection(
            f"{name}-tables",
            name=physical_name(args.stack, "tables"),
            plan_id=self.plan.id,
            iam_role_arn=backup_role.arn,
            resources=args.table_arns,
            opts=child,
        )

    def _replicate_lake(self, name: str, args: DisasterRecoveryArgs) -> aws.s3.Bucket:
        """Cross-region replication of the lake (KMS objects re-encrypted with the replica key, RTC 15 minutes)."""
        # __main__ always passes the lake key, and the replica's key whenever there is a secondary region
        assert args.lake_key_arn is not None and args.secondary_lake_key_arn is not None
        replica, replica_versioning = self._replica_bucket(name, args)
        aws.s3.BucketReplicationConfig(
            f"{name}-lake-replication",
            bucket=args.lake_bucket.id,
            role=self._replication_role(name, args, replica).arn,
            rules=[
                {
                    "id": "lake-to-secondary",
                    "status": "Enabled",
                    "priority": 1,
                    "filter": {},
                    "delete_marker_replication": {"status": "Enabled"},
                    "source_selection_criteria": {"sse_kms_encrypted_objects": {"status": "Enabled"}},
                    "destination": {
                        "bucket": replica.arn,
                        "storage_class": "STANDARD_IA",
                        "encryption_configuration": {"replica_kms_key_id": args.secondary_lake_key_arn},
                        "replication_time": {"status": "Enabled", "time": {"minutes": REPLICATION_MINUTES}},
                        "metrics": {"status": "Enabled", "event_threshold": {"minutes": REPLICATION_MINUTES}},
                    },
                }
            ],
            opts=pulumi.ResourceOptions(parent=self, depends_on=[args.lake_versioning, replica_versioning]),
        )
        return replica

    def _replica_bucket(self, name: str, args: DisasterRecoveryArgs) -> tuple[aws.s3.Bucket, aws.s3.BucketVersioning]:
        """The replica in the secondary region, secured like the lake, with its own access-log bucket there."""
        assert args.secondary_region is not None and args.secondary_lake_key_arn is not None
        child = pulumi.ResourceOptions(parent=self)
        replica_name = physical_name(args.stack, args.secondary_region, base=LAKE_BUCKET)
        replica = aws.s3.Bucket(
            f"{name}-lake-replica",
            bucket=replica_name,
            region=args.secondary_region,
            opts=child,
        )
        replica_versioning = secure_bucket(
            f"{name}-lake-replica",
            replica,
            sse={"sse_algorithm": "aws:kms", "kms_master_key_id": args.secondary_lake_key_arn},
            region=args.secondary_region,
            parent=self,
        )
        # The replica's own access logs, in its region (server access logs need an SSE-S3 target bucket).
        replica_logs = aws.s3.Bucket(
            f"{name}-replica-access-logs",
            bucket=f"{replica_name}-access-logs",
            region=args.secondary_region,
            opts=child,
        )
        secure_bucket(
            f"{name}-replica-access-logs",
            replica_logs,
            sse={"sse_algorithm": "AES256"},
            expire_days=ACCESS_LOG_EXPIRY_DAYS,
            extra_statements=[log_delivery_statement(replica_logs, args.account_id)],
            region=args.secondary_region,
            parent=self,
        )
        aws.s3.BucketLogging(
            f"{name}-lake-replica-logging",
            bucket=replica.id,
            target_bucket=replica_logs.id,
            target_prefix=f"{ACCESS_LOGS_PREFIX}{replica_name}/",
            region=args.secondary_region,
            opts=child,
        )
        return replica, replica_versioning

    def _replication_role(self, name: str, args: DisasterRecoveryArgs, replica: aws.s3.Bucket) -> aws.iam.Role:
        assert args.lake_key_arn is not None and args.secondary_lake_key_arn is not None
        role = aws.iam.Role(
            f"{name}-replication-role",
            assume_role_policy=assume_role_policy("s3.amazonaws.com", args.account_id),
            opts=pulumi.ResourceOptions(parent=self),
        )
        source = args.lake_bucket.arn
        role_policy(
            f"{name}-replication-policy",
            role,
            policy_document(
                statement(["s3:GetReplicationConfiguration", "s3:ListBucket"], [source], sid="ReadSourceConfiguration"),
                statement(
                    ["s3:GetObjectVersionAcl", "s3:GetObjectVersionForReplication", "s3:GetObjectVersionTagging"],
                    [pulumi.Output.concat(source, "/*")],
                    sid="ReadSourceVersions",
                ),
                statement(
                    ["s3:ReplicateDelete", "s3:ReplicateObject", "s3:ReplicateTags"],
                    [pulumi.Output.concat(replica.arn, "/*")],
                    sid="WriteReplica",
                ),
                statement(["kms:Decrypt"], [args.lake_key_arn], sid="DecryptSource"),
                statement(["kms:Encrypt", "kms:GenerateDataKey"], [args.secondary_lake_key_arn], sid="EncryptReplica"),
            ),
            self,
        )
        return role
