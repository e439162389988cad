"""The Glue jobs' definitions: scripts and schedules, each job's lake access, its role policy, its log groups.

Plain data and policy documents; the Analytics component creates the jobs, roles and log groups from them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

import attrs
import pulumi

from components.common import policy_document, statement
from components.naming import physical_name
from components.roles import PUT_METRIC_ACTIONS
from contracts.aws import (
    CUSTOMER_EXPORTS_PREFIX,
    CUSTOMER_PROFILES_PREFIX,
    DAILY_AGGREGATES_PREFIX,
    FRAUD_REPORTS_PREFIX,
    GLUE_SCRIPTS_PREFIX,
    LABELS_PREFIX,
    MERCHANT_RISK_PREFIX,
    POLICY_CANDIDATE_PATTERN,
    POLICY_PREFIX,
    RAW_TRANSACTIONS_PREFIX,
)

GLUE_VERSION = "5.0"
JOB_LIBRARY_KEY = f"{GLUE_SCRIPTS_PREFIX}securebank-libs.zip"
JOB_PACKAGES = ("jobs", "domain", "contracts", "adapters")  # fraud_patterns uses the cattrs converter
# pinned as in constraints.txt: the domain's attrs, the converter's cattrs, and the tree learner the weekly job fits
# (jobs/learn*.py) with exactly the scientific stack the tests run: scikit-learn and its numpy, scipy, joblib and
# threadpoolctl (pip would otherwise keep whatever numpy Glue ships, or take the newest)
GLUE_PYTHON_MODULES = ",".join(
    (
        "attrs==25.3.0",
        "cattrs==25.1.1",
        "scikit-learn==1.9.1",
        "numpy==2.4.6",
        "scipy==1.17.1",
        "joblib==1.6.0",
        "threadpoolctl==3.8.0",
    )
)
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
    # 00:30 UTC: yesterday's snapshot is the Customers table at 00:00 (a point-in-time export: PITR restores up to
    # about 5 minutes before now). It also gets the table's ARN and the lake key (Analytics, job_table_arguments).
    "customer-profiles": ("customer_profiles.py", "cron(30 0 * * ? *)", {}),
}


@attrs.frozen
class GlueAccess:
    """The lake prefixes a Glue role may read (GetObject) and write (PutObject, DeleteObject), and the catalog. A
    prefix ending in `*` is already a key pattern (POLICY_CANDIDATE_PATTERN) and is granted as it is."""

    reads: tuple[str, ...]
    writes: tuple[str, ...]
    write_sid: str
    catalog: bool = False
    # ListBucket only with `s3:prefix` under `reads` and `writes` (else on the whole lake).
    list_own_prefixes_only: bool = False
    # Point-in-time exports of the Customers table into CUSTOMER_EXPORTS_PREFIX (the profile snapshot).
    exports_customers: bool = False

    def list_prefixes(self) -> tuple[str, ...]:
        """The `s3:prefix` patterns of a scoped ListBucket: every prefix read or written, in order, once."""
        return tuple(key_pattern(prefix) for prefix in dict.fromkeys((*self.reads, *self.writes)))


def key_pattern(prefix: str) -> str:
    """The object-key pattern that grants `prefix`: `prefix*`, or the pattern itself when it already ends in `*`."""
    return prefix if prefix.endswith("*") else f"{prefix}*"


# Every job has a role of its own. The processor follows two feeds under config/, and each key has one writer: the
# weekly tuner (fraud-patterns) may write only the policy candidates under config/fraud-policy/
# (POLICY_CANDIDATE_PATTERN: versions and their backtest reports, never the release record or the audit, which only
# the release role of components/access.py writes) and only merchant-risk config/merchant-risk/
# (tests/infra/test_analytics.py checks every job's role; policy/iam.py `config_feed_writes` refuses a grant of a
# feed through a broader pattern and `release_record_writers` any writer of the release record but the release
# role). The daily aggregation and the tuner keep the catalog and the unconditioned ListBucket (Spark lists the
# catalog tables' locations and partitions it derives at run time). A job that overwrites its own output on a rerun
# reads what it writes (Hadoop checks for the existing object first, a HEAD that needs s3:GetObject). The
# merchant-risk job reads raw files by path, not through the catalog.
ACCESS: dict[str, GlueAccess] = {
    "daily-aggregation": GlueAccess(
        reads=(RAW_TRANSACTIONS_PREFIX, GLUE_SCRIPTS_PREFIX, DAILY_AGGREGATES_PREFIX),
        writes=(DAILY_AGGREGATES_PREFIX, GLUE_TEMP_PREFIX),
        write_sid="WriteDailyAggregates",
        catalog=True,
    ),
    "fraud-patterns": GlueAccess(
        reads=(RAW_TRANSACTIONS_PREFIX, GLUE_SCRIPTS_PREFIX, POLICY_PREFIX, LABELS_PREFIX),
        writes=(FRAUD_REPORTS_PREFIX, POLICY_CANDIDATE_PATTERN, GLUE_TEMP_PREFIX),
        write_sid="WriteReportsAndPolicies",
        catalog=True,
    ),
    "merchant-risk": GlueAccess(
        reads=(RAW_TRANSACTIONS_PREFIX, GLUE_SCRIPTS_PREFIX, LABELS_PREFIX, MERCHANT_RISK_PREFIX),
        writes=(MERCHANT_RISK_PREFIX, GLUE_TEMP_PREFIX),
        write_sid="WriteMerchantRiskSnapshots",
        list_own_prefixes_only=True,
    ),
    # DynamoDB writes the export with the caller's credentials (PutObject, AbortMultipartUpload, PutObjectAcl on the
    # export prefix; GenerateDataKey on the lake key); the job reads and then deletes it.
    "customer-profiles": GlueAccess(
        reads=(CUSTOMER_EXPORTS_PREFIX, GLUE_SCRIPTS_PREFIX, CUSTOMER_PROFILES_PREFIX),
        writes=(CUSTOMER_PROFILES_PREFIX, CUSTOMER_EXPORTS_PREFIX, GLUE_TEMP_PREFIX),
        write_sid="WriteCustomerProfiles",
        list_own_prefixes_only=True,
        exports_customers=True,
    ),
}


def job_arguments(
    stack: str,
    lake_bucket_name: pulumi.Input[str],
    database_name: pulumi.Input[str],
    library_key: pulumi.Input[str],
    extra: dict[str, str],
) -> dict[str, pulumi.Input[str]]:
    """Every job's default arguments; `extra` are its own lake-relative prefixes (JOBS)."""
    lake = pulumi.Output.concat("s3://", lake_bucket_name, "/")
    return {
        "--lake": pulumi.Output.concat("s3://", lake_bucket_name),
        "--database": database_name,
        "--extra-py-files": pulumi.Output.concat(lake, library_key),
        "--additional-python-modules": GLUE_PYTHON_MODULES,
        "--job-bookmark-option": "job-bookmark-disable",
        "--enable-metrics": "true",
        "--enable-continuous-cloudwatch-log": "true",
        "--custom-logGroup-prefix": glue_log_prefix(stack),
        "--TempDir": pulumi.Output.concat(lake, GLUE_TEMP_PREFIX),
        **{key: pulumi.Output.concat(lake, prefix) for key, prefix in extra.items()},
    }


class GlueLake(Protocol):
    """What a Glue role's policy names: the lake, its keys, the stack's log groups (AnalyticsArgs matches this
    structurally, so this module need not import analytics.py, which imports it)."""

    @property
    def stack(self) -> str: ...
    @property
    def region(self) -> str: ...
    @property
    def account_id(self) -> pulumi.Input[str]: ...
    @property
    def lake_bucket_arn(self) -> pulumi.Input[str]: ...
    @property
    def lake_key_arn(self) -> pulumi.Input[str]: ...
    @property
    def logs_key_arn(self) -> pulumi.Input[str]: ...
    @property
    def customers_table_arn(self) -> pulumi.Input[str]: ...


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


def glue_policy(access: GlueAccess, lake: GlueLake, database_name: pulumi.Input[str]) -> pulumi.Output[str]:
    """A job role's policy: its lake prefixes (`access`), the catalog if it reads it, the keys, its logs, metrics."""
    bucket = lake.lake_bucket_arn
    catalog = pulumi.Output.concat("arn:aws:glue:", lake.region, ":", lake.account_id, ":")
    statements = [
        statement(
            ["s3:GetObject"],
            [pulumi.Output.concat(bucket, "/", key_pattern(prefix)) for prefix in access.reads],
            sid="ReadLake",
        ),
        statement(
            ["s3:DeleteObject", "s3:PutObject"],
            [pulumi.Output.concat(bucket, "/", key_pattern(prefix)) for prefix in access.writes],
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
    if access.exports_customers:
        statements += export_statements(lake, bucket)
    if access.catalog:
        statements.append(
            statement(
                ["glue:GetDatabase", "glue:GetPartitions", "glue:GetTable", "glue:GetTables"],
                [
                    pulumi.Output.concat(catalog, "catalog"),
                    pulumi.Output.concat(catalog, "database/", database_name),
                    pulumi.Output.concat(catalog, "table/", database_name, "/*"),
                ],
                sid="ReadCatalog",
            )
        )
    return policy_document(
        *statements,
        statement(
            ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"],
            [lake.lake_key_arn, lake.logs_key_arn],
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
                    lake.region,
                    ":",
                    lake.account_id,
                    ":log-group:",
                    glue_log_group_pattern(lake.stack),
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


def export_statements(lake: GlueLake, bucket: pulumi.Input[str]) -> list[dict[str, Any]]:
    """Export the Customers table at a point in time into the lake, and follow the export (DescribeExport names
    the export's ARN, under the table's)."""
    return [
        statement(
            ["dynamodb:DescribeExport", "dynamodb:ExportTableToPointInTime"],
            [lake.customers_table_arn, pulumi.Output.concat(lake.customers_table_arn, "/export/*")],
            sid="ExportCustomers",
        ),
        statement(
            ["s3:AbortMultipartUpload", "s3:PutObjectAcl"],
            [pulumi.Output.concat(bucket, "/", CUSTOMER_EXPORTS_PREFIX, "*")],
            sid="WriteCustomerExports",
        ),
    ]


def job_table_arguments(job: str, lake: GlueLake) -> dict[str, pulumi.Input[str]]:
    """Arguments of a job that are not lake prefixes: the snapshot job's table and the key its export uses."""
    if not ACCESS[job].exports_customers:
        return {}
    return {"--table-arn": lake.customers_table_arn, "--kms-key": lake.lake_key_arn}
