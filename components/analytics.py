"""Analytics layer: the Glue catalog and Glue 5.0 Spark jobs (components/glue.py), an Athena workgroup, the
projected raw-transactions table and the workgroup's named queries (components/athena.py), and the catalog tables
over what the jobs write (components/lake_tables.py)."""

from __future__ import annotations

from pathlib import Path

import attrs
import pulumi
import pulumi_aws as aws

from components import athena, lake_tables
from components.common import assume_role_policy, component_opts, log_group, role_policy
from components.glue import (
    ACCESS,
    GLUE_LOG_KINDS,
    GLUE_VERSION,
    JOB_LIBRARY_KEY,
    JOB_PACKAGES,
    JOBS,
    GlueAccess,
    check_stack_names,
    glue_log_prefix,
    glue_policy,
    job_arguments,
    job_table_arguments,
)
from components.naming import physical_name
from components.packaging import code_archive
from contracts.aws import (
    ATHENA_TRANSACTIONS_TABLE,
    ATHENA_WORKGROUP,
    GLUE_DATABASE,
    GLUE_SCRIPTS_PREFIX,
    RAW_TRANSACTIONS_PREFIX,
)


@attrs.frozen
class AnalyticsArgs:
    stack: str
    region: str
    account_id: pulumi.Input[str]
    root: Path
    lake_bucket_name: pulumi.Input[str]
    lake_bucket_arn: pulumi.Input[str]
    lake_key_arn: pulumi.Input[str]
    logs_key_arn: pulumi.Input[str]
    customers_table_arn: pulumi.Input[str]  # the profile snapshot job exports it (point in time)
    # Retention of the jobs' log groups (the stack's logRetentionDays, as for the Lambda log groups). The default is
    # CKV_AWS_338's one year, so a caller that forgets it keeps logs longer, not shorter.
    log_retention_days: int = 365


class Analytics(pulumi.ComponentResource):
    database: aws.glue.CatalogDatabase
    security_configuration: aws.glue.SecurityConfiguration
    jobs: dict[str, aws.glue.Job]
    log_groups: dict[str, aws.cloudwatch.LogGroup]
    roles: dict[str, aws.iam.Role]
    triggers: dict[str, aws.glue.Trigger]
    workgroup: aws.athena.Workgroup
    transactions_table: aws.glue.CatalogTable
    tables: dict[str, aws.glue.CatalogTable]
    named_queries: dict[str, aws.athena.NamedQuery]

    def __init__(self, name: str, args: AnalyticsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("securebank:pipeline:Analytics", name, None, component_opts(opts, args.stack, "analytics"))
        check_stack_names(args.stack, args.root)
        self.database = aws.glue.CatalogDatabase(
            f"{name}-database",
            name=physical_name(args.stack, base=GLUE_DATABASE, separator="_"),
            description="SecureBank lake",
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.security_configuration = self._security_configuration(f"{name}-glue-security", args)
        self.roles = {job: self._glue_role(f"{name}-{job}-glue", args, ACCESS[job]) for job in JOBS}
        self.log_groups = self._log_groups(name, args)
        self.jobs, self.triggers = self._jobs(name, args)
        self.workgroup = self._workgroup(f"{name}-workgroup", args)
        self.transactions_table = self._raw_transactions_table(f"{name}-raw-transactions", args)
        self.tables = {table: self._lake_table(name, table, spec, args) for table, spec in lake_tables.TABLES.items()}
        self.named_queries = self._named_queries(name, args)
        self.register_outputs(
            {
                "database": self.database.name,
                "workgroup": self.workgroup.name,
                "jobs": [job.name for job in self.jobs.values()],
            }
        )

    def _security_configuration(self, name: str, args: AnalyticsArgs) -> aws.glue.SecurityConfiguration:
        """The jobs' S3 output and bookmarks under the lake key, their CloudWatch logs under the logs key."""
        return aws.glue.SecurityConfiguration(
            name,
            name=physical_name(args.stack),
            encryption_configuration={
                "s3_encryption": {"s3_encryption_mode": "SSE-KMS", "kms_key_arn": args.lake_key_arn},
                "cloudwatch_encryption": {"cloudwatch_encryption_mode": "SSE-KMS", "kms_key_arn": args.logs_key_arn},
                "job_bookmarks_encryption": {
                    "job_bookmarks_encryption_mode": "CSE-KMS",
                    "kms_key_arn": args.lake_key_arn,
                },
            },
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _glue_role(self, name: str, args: AnalyticsArgs, access: GlueAccess) -> aws.iam.Role:
        role = aws.iam.Role(
            f"{name}-role",
            assume_role_policy=assume_role_policy("glue.amazonaws.com", args.account_id),
            opts=pulumi.ResourceOptions(parent=self),
        )
        role_policy(f"{name}-policy", role, glue_policy(access, args, self.database.name), self)
        return role

    def _log_groups(self, name: str, args: AnalyticsArgs) -> dict[str, aws.cloudwatch.LogGroup]:
        """Created here, before the jobs, with retention and the logs CMK, like every other log group in the program."""
        return {
            kind: log_group(
                f"{name}-glue-{kind}-logs",
                f"{glue_log_prefix(args.stack)}/{kind}",
                retention_days=args.log_retention_days,
                kms_key_arn=args.logs_key_arn,
                parent=self,
            )
            for kind in GLUE_LOG_KINDS
        }

    def _jobs(self, name: str, args: AnalyticsArgs) -> tuple[dict[str, aws.glue.Job], dict[str, aws.glue.Trigger]]:
        """The code zip every job imports, then per job its script, the job and its schedule."""
        library = aws.s3.BucketObjectv2(
            f"{name}-job-library",
            bucket=args.lake_bucket_name,
            key=JOB_LIBRARY_KEY,
            source=code_archive(args.root, JOB_PACKAGES),
            opts=pulumi.ResourceOptions(parent=self),
        )
        jobs, triggers = {}, {}
        for job, (script, schedule, extra) in JOBS.items():
            jobs[job] = self._job(
                name,
                job,
                script,
                args,
                job_arguments(args.stack, args.lake_bucket_name, self.database.name, library.key, extra)
                | job_table_arguments(job, args),
            )
            triggers[job] = aws.glue.Trigger(
                f"{name}-{job}-schedule",
                name=physical_name(args.stack, job),
                type="SCHEDULED",
                schedule=schedule,
                start_on_creation=True,
                actions=[{"job_name": jobs[job].name}],
                opts=pulumi.ResourceOptions(parent=self),
            )
        return jobs, triggers

    def _job(
        self, name: str, job: str, script: str, args: AnalyticsArgs, arguments: dict[str, pulumi.Input[str]]
    ) -> aws.glue.Job:
        path = args.root / "jobs" / script
        if not path.exists():
            pulumi.log.warn(f"jobs/{script} does not exist yet; the {job} Glue job cannot run until it does")
        uploaded = aws.s3.BucketObjectv2(
            f"{name}-{job}-script",
            bucket=args.lake_bucket_name,
            key=f"{GLUE_SCRIPTS_PREFIX}{script}",
            source=pulumi.FileAsset(str(path)),
            opts=pulumi.ResourceOptions(parent=self),
        )
        return aws.glue.Job(
            f"{name}-{job}",
            name=physical_name(args.stack, job),
            role_arn=self.roles[job].arn,
            glue_version=GLUE_VERSION,
            worker_type="G.1X",
            number_of_workers=2,
            timeout=120,
            max_retries=1,
            execution_property={"max_concurrent_runs": 1},
            security_configuration=self.security_configuration.name,
            command={
                "name": "glueetl",
                "python_version": "3",
                "script_location": pulumi.Output.concat("s3://", args.lake_bucket_name, "/", uploaded.key),
            },
            default_arguments=arguments,
            opts=pulumi.ResourceOptions(parent=self, depends_on=list(self.log_groups.values())),
        )

    def _workgroup(self, name: str, args: AnalyticsArgs) -> aws.athena.Workgroup:
        return aws.athena.Workgroup(
            name,
            name=physical_name(args.stack, base=ATHENA_WORKGROUP),
            force_destroy=False,
            configuration=athena.workgroup_configuration(
                pulumi.Output.concat("s3://", args.lake_bucket_name, "/"), args.lake_key_arn
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _named_queries(self, name: str, args: AnalyticsArgs) -> dict[str, aws.athena.NamedQuery]:
        return {
            query: aws.athena.NamedQuery(
                f"{name}-{query}",
                name=physical_name(args.stack, query),
                description=spec.description,
                database=self.database.name,
                workgroup=self.workgroup.name,
                query=spec.sql,
                opts=pulumi.ResourceOptions(parent=self, depends_on=[self._table(spec.table)]),
            )
            for query, spec in athena.NAMED_QUERIES.items()
        }

    def _table(self, name: str) -> aws.glue.CatalogTable:
        return self.transactions_table if name == ATHENA_TRANSACTIONS_TABLE else self.tables[name]

    def _lake_table(
        self, name: str, table: str, spec: lake_tables.LakeTable, args: AnalyticsArgs
    ) -> aws.glue.CatalogTable:
        location = pulumi.Output.concat("s3://", args.lake_bucket_name, "/", spec.prefix)
        return aws.glue.CatalogTable(
            f"{name}-{table.replace('_', '-')}-table",
            name=table,
            database_name=self.database.name,
            description=spec.description,
            table_type="EXTERNAL_TABLE",
            parameters=spec.parameters(location),
            partition_keys=[{"name": key, "type": "string"} for key in spec.partition_keys],
            storage_descriptor=spec.storage(location),
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _raw_transactions_table(self, name: str, args: AnalyticsArgs) -> aws.glue.CatalogTable:
        raw = pulumi.Output.concat("s3://", args.lake_bucket_name, "/", RAW_TRANSACTIONS_PREFIX)
        return aws.glue.CatalogTable(
            name,
            name=ATHENA_TRANSACTIONS_TABLE,
            database_name=self.database.name,
            table_type="EXTERNAL_TABLE",
            parameters=athena.raw_table_parameters(raw),
            partition_keys=athena.partition_keys(),
            storage_descriptor=athena.raw_table_storage(raw),
            opts=pulumi.ResourceOptions(parent=self),
        )
