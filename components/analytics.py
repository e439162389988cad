"""Analytics layer: Glue catalog and Glue 5.0 Spark jobs, an Athena workgroup, the projected raw-transactions table."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import attrs
import pulumi
import pulumi_aws as aws
import yaml

from components.common import (
    assume_role_policy,
    component_opts,
    log_group,
    policy_document,
    role_policy,
    statement,
)
from components.naming import physical_name
from components.packaging import code_archive
from components.roles import PUT_METRIC_ACTIONS
from contracts.aws import (
    ATHENA_PARTITION_KEYS,
    ATHENA_PROJECTION,
    ATHENA_RESULTS_PREFIX,
    ATHENA_TRANSACTIONS_TABLE,
    ATHENA_WORKGROUP,
    DAILY_AGGREGATES_PREFIX,
    FRAUD_REPORTS_PREFIX,
    GLUE_DATABASE,
    GLUE_SCRIPTS_PREFIX,
    LABELS_PREFIX,
    MERCHANT_RISK_PREFIX,
    POLICY_PREFIX,
    RAW_PARTITION_TEMPLATE,
    RAW_TRANSACTIONS_PREFIX,
)

GLUE_VERSION = "5.0"
JOB_LIBRARY_KEY = f"{GLUE_SCRIPTS_PREFIX}securebank-libs.zip"
JOB_PACKAGES = ("jobs", "domain", "contracts", "adapters")  # fraud_patterns uses the cattrs converter
GLUE_PYTHON_MODULES = "attrs==25.3.0,cattrs==25.1.1"  # pinned as in constraints.txt
GLUE_TEMP_PREFIX = "glue/tmp/"  # --TempDir of every job (Glue's scratch space, not read by the runtime)
# Glue 5.0 writes driver/executor logs to /aws-glue/jobs/error and stdout/stderr to /aws-glue/jobs/output (account-wide,
# created by Glue, no retention) unless `--custom-logGroup-prefix` names a prefix: then `<prefix>/error` and
# `<prefix>/output`. (`--continuous-log-logGroup` is the Glue 4.0-and-earlier continuous-logging argument.)
GLUE_LOG_KINDS = ("error", "output")
# name -> (script under jobs/, schedule, lake-relative arguments of its own). Glue cron is UTC.
JOBS: dict[str, tuple[str, str, dict[str, str]]] = {
    "daily-aggregation": ("daily_aggregation.py", "cron(0 2 * * ? *)", {}),
    "fraud-patterns": ("fraud_patterns.py", "cron(0 3 ? * SUN *)", {"--labels": LABELS_PREFIX}),
    # 01:15 UTC: the processor's event source mapping gives up on records older than an hour
    # (EVENT_SOURCE.maximum_record_age_seconds), so by then yesterday's raw partitions are complete; it needs nothing
    # from the 02:00 aggregation, and the processor picks up the new snapshot early in the UTC day.
    "merchant-risk": ("merchant_risk.py", "cron(15 1 * * ? *)", {"--labels": LABELS_PREFIX}),
}


@attrs.frozen
class GlueAccess:
    """The lake prefixes a Glue role may read (GetObject) and write (PutObject, DeleteObject), and the catalog."""

    reads: tuple[str, ...]
    writes: tuple[str, ...]
    write_sid: str
    catalog: bool = False
    # ListBucket only with `s3:prefix` under `reads` and `writes` (else on the whole lake).
    list_own_prefixes_only: bool = False

    def list_prefixes(self) -> tuple[str, ...]:
        """The `s3:prefix` patterns of a scoped ListBucket: every prefix read or written, in order, once."""
        return tuple(f"{prefix}*" for prefix in dict.fromkeys((*self.reads, *self.writes)))


# Every job has a role of its own. The processor follows two feeds under config/, and each has one writer: only the
# weekly tuner (fraud-patterns) may write config/fraud-policy/ and only merchant-risk config/merchant-risk/
# (tests/infra/test_analytics.py checks every job's role; policy/checks.py `config_feed_writes` refuses a grant of a
# feed through a broader pattern). The daily aggregation and the tuner keep the catalog and the unconditioned
# ListBucket (Spark lists the catalog tables' locations and partitions it derives at run time). A job that overwrites
# its own output on a rerun reads what it writes (Hadoop checks for the existing object first, a HEAD that needs
# s3:GetObject). The merchant-risk job reads raw files by path, not through the catalog.
ACCESS: dict[str, GlueAccess] = {
    "daily-aggregation": GlueAccess(
        reads=(RAW_TRANSACTIONS_PREFIX, GLUE_SCRIPTS_PREFIX, DAILY_AGGREGATES_PREFIX),
        writes=(DAILY_AGGREGATES_PREFIX, GLUE_TEMP_PREFIX),
        write_sid="WriteDailyAggregates",
        catalog=True,
    ),
    "fraud-patterns": GlueAccess(
        reads=(RAW_TRANSACTIONS_PREFIX, GLUE_SCRIPTS_PREFIX, POLICY_PREFIX, LABELS_PREFIX),
        writes=(FRAUD_REPORTS_PREFIX, POLICY_PREFIX, GLUE_TEMP_PREFIX),
        write_sid="WriteReportsAndPolicies",
        catalog=True,
    ),
    "merchant-risk": GlueAccess(
        reads=(RAW_TRANSACTIONS_PREFIX, GLUE_SCRIPTS_PREFIX, LABELS_PREFIX, MERCHANT_RISK_PREFIX),
        writes=(MERCHANT_RISK_PREFIX, GLUE_TEMP_PREFIX),
        write_sid="WriteMerchantRiskSnapshots",
        list_own_prefixes_only=True,
    ),
}

BYTES_SCANNED_CUTOFF = 10 * 1024**3
JSON_SERDE = "org.openx.data.jsonserde.JsonSerDe"


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
    # Retention of the jobs' log groups (the stack's logRetentionDays, as for the Lambda log groups). The default is
    # CKV_AWS_338's one year, so a caller that forgets it keeps logs longer, not shorter.
    log_retention_days: int = 365


def glue_log_prefix(stack: str) -> str:
    """The `--custom-logGroup-prefix` of every job in the stack; the jobs' log groups are `<prefix>/<kind>`."""
    return f"/aws-glue/{physical_name(stack)}"


def glue_log_group_pattern(stack: str) -> str:
    """The log-group name pattern the stack's Glue roles may write: the prefix without its slash, then `*`.

    The jobs use a security configuration with CloudWatch SSE-KMS, and AWS documents that Glue then may append the
    role and security-configuration names to the log group name (`...-<role>-<security configuration>/...`), so the
    groups Glue really writes need not be under `<prefix>/`. `*` in an ARN pattern also covers `:log-stream:...`.
    It stays within the stack only while no stack's name is a prefix of another's (`check_stack_names`).
    """
    return f"{glue_log_prefix(stack)}*"


def check_stack_names(stack: str, root: Path) -> None:
    """Refuse a stack whose name is a prefix of another stack's (or the reverse), e.g. `dev` and `dev2`: the
    Glue log pattern `/aws-glue/securebank-dev*` would then also match `/aws-glue/securebank-dev2/...`.

    Every stack of this project has its `Pulumi.<stack>.yaml` in the project root (components.config reads it).
    """
    others = {path.name.removeprefix("Pulumi.").removesuffix(".yaml") for path in root.glob("Pulumi.*.yaml")} - {stack}
    clashes = sorted(other for other in others if other.startswith(stack) or stack.startswith(other))
    if clashes:
        raise ValueError(
            f"stack {stack!r} and {clashes} are prefixes of one another: the Glue roles' log-group pattern "
            f"{glue_log_group_pattern(stack)} would not be stack-scoped; rename one of them"
        )


class Analytics(pulumi.ComponentResource):
    database: aws.glue.CatalogDatabase
    security_configuration: aws.glue.SecurityConfiguration
    jobs: dict[str, aws.glue.Job]
    log_groups: dict[str, aws.cloudwatch.LogGroup]
    roles: dict[str, aws.iam.Role]
    triggers: dict[str, aws.glue.Trigger]
    workgroup: aws.athena.Workgroup
    transactions_table: aws.glue.CatalogTable

    def __init__(self, name: str, args: AnalyticsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("securebank:pipeline:Analytics", name, None, component_opts(opts, args.stack, "analytics"))
        check_stack_names(args.stack, args.root)
        child = pulumi.ResourceOptions(parent=self)
        lake = pulumi.Output.concat("s3://", args.lake_bucket_name, "/")
        self.database = aws.glue.CatalogDatabase(
            f"{name}-database",
            name=physical_name(args.stack, base=GLUE_DATABASE, separator="_"),
            description="SecureBank lake",
            opts=child,
        )
        self.security_configuration = aws.glue.SecurityConfiguration(
            f"{name}-glue-security",
            name=physical_name(args.stack),
            encryption_configuration={
                "s3_encryption": {"s3_encryption_mode": "SSE-KMS", "kms_key_arn": args.lake_key_arn},
                "cloudwatch_encryption": {"cloudwatch_encryption_mode": "SSE-KMS", "kms_key_arn": args.logs_key_arn},
                "job_bookmarks_encryption": {
                    "job_bookmarks_encryption_mode": "CSE-KMS",
                    "kms_key_arn": args.lake_key_arn,
                },
            },
            opts=child,
        )
        self.roles = {job: self._glue_role(f"{name}-{job}-glue", args, ACCESS[job]) for job in JOBS}

        # Created here, before the jobs, with retention and the logs CMK, like every other log group in the program.
        log_prefix = glue_log_prefix(args.stack)
        self.log_groups = {
            kind: log_group(
                f"{name}-glue-{kind}-logs",
                f"{log_prefix}/{kind}",
                retention_days=args.log_retention_days,
                kms_key_arn=args.logs_key_arn,
                parent=self,
            )
            for kind in GLUE_LOG_KINDS
        }

        library = aws.s3.BucketObjectv2(
            f"{name}-job-library",
            bucket=args.lake_bucket_name,
            key=JOB_LIBRARY_KEY,
            source=code_archive(args.root, JOB_PACKAGES),
            opts=child,
        )
        self.jobs = {}
        self.triggers = {}
        for job, (script, schedule, extra) in JOBS.items():
            path = args.root / "jobs" / script
            if not path.exists():
                pulumi.log.warn(f"jobs/{script} does not exist yet; the {job} Glue job cannot run until it does")
            uploaded = aws.s3.BucketObjectv2(
                f"{name}-{job}-script",
                bucket=args.lake_bucket_name,
                key=f"{GLUE_SCRIPTS_PREFIX}{script}",
                source=pulumi.FileAsset(str(path)),
                opts=child,
            )
            self.jobs[job] = aws.glue.Job(
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
                    "script_location": pulumi.Output.concat(lake, uploaded.key),
                },
                default_arguments={
                    "--lake": pulumi.Output.concat("s3://", args.lake_bucket_name),
                    "--database": self.database.name,
                    "--extra-py-files": pulumi.Output.concat(lake, library.key),
                    "--additional-python-modules": GLUE_PYTHON_MODULES,
                    "--job-bookmark-option": "job-bookmark-disable",
                    "--enable-metrics": "true",
                    "--enable-continuous-cloudwatch-log": "true",
                    "--custom-logGroup-prefix": log_prefix,
                    "--TempDir": pulumi.Output.concat(lake, GLUE_TEMP_PREFIX),
                    **{key: pulumi.Output.concat(lake, prefix) for key, prefix in extra.items()},
                },
                opts=pulumi.ResourceOptions(parent=self, depends_on=list(self.log_groups.values())),
            )
            self.triggers[job] = aws.glue.Trigger(
                f"{name}-{job}-schedule",
                name=physical_name(args.stack, job),
                type="SCHEDULED",
                schedule=schedule,
                start_on_creation=True,
                actions=[{"job_name": self.jobs[job].name}],
                opts=child,
            )

        self.workgroup = aws.athena.Workgroup(
            f"{name}-workgroup",
            name=physical_name(args.stack, base=ATHENA_WORKGROUP),
            force_destroy=False,
            configuration={
                "enforce_workgroup_configuration": True,
                "publish_cloudwatch_metrics_enabled": True,
                "bytes_scanned_cutoff_per_query": BYTES_SCANNED_CUTOFF,
                "result_configuration": {
                    "output_location": pulumi.Output.concat(lake, ATHENA_RESULTS_PREFIX),
                    "encryption_configuration": {"encryption_option": "SSE_KMS", "kms_key_arn": args.lake_key_arn},
                },
            },
            opts=child,
        )
        raw = pulumi.Output.concat(lake, RAW_TRANSACTIONS_PREFIX)
        self.transactions_table = aws.glue.CatalogTable(
            f"{name}-raw-transactions",
            name=ATHENA_TRANSACTIONS_TABLE,
            database_name=self.database.name,
            table_type="EXTERNAL_TABLE",
            parameters=raw.apply(
                lambda location: {
                    **ATHENA_PROJECTION,
                    "storage.location.template": f"{location}{RAW_PARTITION_TEMPLATE}",
                    "classification": "json",
                    "compressionType": "gzip",
                    "EXTERNAL": "TRUE",
                }
            ),
            partition_keys=[{"name": key, "type": "string"} for key in ATHENA_PARTITION_KEYS],
            storage_descriptor={
                "location": raw,
                "compressed": True,
                "input_format": "org.apache.hadoop.mapred.TextInputFormat",
                "output_format": "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat",
                "ser_de_info": {"serialization_library": JSON_SERDE, "parameters": {"ignore.malformed.json": "true"}},
                "columns": transaction_columns(),
            },
            opts=child,
        )
        self.register_outputs(
            {
                "database": self.database.name,
                "workgroup": self.workgroup.name,
                "jobs": [job.name for job in self.jobs.values()],
            }
        )

    def _glue_role(self, name: str, args: AnalyticsArgs, access: GlueAccess) -> aws.iam.Role:
        role = aws.iam.Role(
            f"{name}-role",
            assume_role_policy=assume_role_policy("glue.amazonaws.com", args.account_id),
            opts=pulumi.ResourceOptions(parent=self),
        )
        role_policy(f"{name}-policy", role, _glue_policy(args, self.database, access), self)
        return role


def transaction_columns(openapi: Path | None = None) -> list[dict[str, str]]:
    """Athena columns of one raw line (a POST body), derived from the contract's Transaction schema, in its order."""
    path = openapi or Path(__file__).resolve().parent.parent / "contracts" / "openapi.yaml"
    schemas = yaml.safe_load(path.read_text())["components"]["schemas"]
    return [
        {"name": field, "type": _athena_type(spec, schemas)}
        for field, spec in schemas["Transaction"]["properties"].items()
    ]


def _athena_type(spec: dict[str, Any], schemas: dict[str, Any]) -> str:
    if "$ref" in spec:
        name = spec["$ref"].rsplit("/", 1)[-1]
        if name == "Amount":
            return "decimal(18,2)"
        return _athena_type(schemas[name], schemas)
    if spec.get("type") == "object":
        fields = ",".join(f"{key}:{_athena_type(value, schemas)}" for key, value in spec["properties"].items())
        return f"struct<{fields}>"
    return {"number": "double", "integer": "bigint", "boolean": "boolean"}.get(spec.get("type", "string"), "string")


def _glue_policy(args: AnalyticsArgs, database: aws.glue.CatalogDatabase, access: GlueAccess) -> pulumi.Output[str]:
    bucket = args.lake_bucket_arn
    catalog = pulumi.Output.concat("arn:aws:glue:", args.region, ":", args.account_id, ":")
    statements = [
        statement(
            ["s3:GetObject"],
            [pulumi.Output.concat(bucket, "/", prefix, "*") for prefix in access.reads],
            sid="ReadLake",
        ),
        statement(
            ["s3:DeleteObject", "s3:PutObject"],
            [pulumi.Output.concat(bucket, "/", prefix, "*") for prefix in access.writes],
            sid=access.write_sid,
        ),
        statement(
            ["s3:ListBucket"],
            [bucket],
            sid="ListLake",
            condition={"StringLike": {"s3:prefix": list(access.list_prefixes())}}
            if access.list_own_prefixes_only
            else None,
        ),
    ]
    if access.catalog:
        statements.append(
            statement(
                ["glue:GetDatabase", "glue:GetPartitions", "glue:GetTable", "glue:GetTables"],
                [
                    pulumi.Output.concat(catalog, "catalog"),
                    pulumi.Output.concat(catalog, "database/", database.name),
                    pulumi.Output.concat(catalog, "table/", database.name, "/*"),
                ],
                sid="ReadCatalog",
            )
        )
    return policy_document(
        *statements,
        statement(
            ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"],
            [args.lake_key_arn, args.logs_key_arn],
            sid="UseLakeAndLogsKeys",
        ),
        # The stack's own log groups (and their streams), not every /aws-glue/ group in the account: `<prefix>*`, not
        # `<prefix>/*`, because with CloudWatch SSE-KMS Glue may append role and security-configuration names to the
        # group name (glue_log_group_pattern). AssociateKmsKey: Glue associates the security configuration's logs key
        # with a group it creates for an encrypting job (AWS Glue's documented role permissions for that case).
        statement(
            ["logs:AssociateKmsKey", "logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
            [
                pulumi.Output.concat(
                    "arn:aws:logs:",
                    args.region,
                    ":",
                    args.account_id,
                    ":log-group:",
                    glue_log_group_pattern(args.stack),
                )
            ],
            sid="GlueJobLogs",
        ),
        # The jobs run with --enable-metrics; PutMetricData has no resource ARN, so the namespace scopes it.
        statement(
            PUT_METRIC_ACTIONS,
            ["*"],
            sid="GlueJobMetricsNamespaceOnly",
            condition={"StringEquals": {"cloudwatch:namespace": "Glue"}},
        ),
    )
