"""Analytics: Glue 5.0 jobs with an encrypting security configuration and schedules; Athena and the projected table."""

from __future__ import annotations

import fnmatch
from datetime import date

import pytest

from contracts.aws import (
    ATHENA_CUSTOMER_PROFILES_TABLE,
    ATHENA_DAILY_AGGREGATES_TABLE,
    ATHENA_FRAUD_REPORTS_TABLE,
    ATHENA_MERCHANT_RISK_TABLE,
    ATHENA_PROJECTION,
    ATHENA_RESULTS_PREFIX,
    ATHENA_TRANSACTIONS_TABLE,
    CUSTOMER_EXPORTS_PREFIX,
    CUSTOMER_PROFILES_PREFIX,
    DAILY_AGGREGATES_PREFIX,
    EVENT_SOURCE,
    FRAUD_REPORTS_PREFIX,
    LABELS_PREFIX,
    MERCHANT_RISK_PREFIX,
    POLICY_AUDIT_PREFIX,
    POLICY_CANDIDATE_PATTERN,
    POLICY_PREFIX,
    POLICY_RELEASE_KEY,
    RAW_TRANSACTIONS_PREFIX,
    merchant_risk_key,
    policy_key,
    policy_report_key,
)
from tests.infra.conftest import ROOT, stack_config
from tests.infra.graph import Graph

JOBS = ("daily-aggregation", "fraud-patterns", "merchant-risk", "customer-profiles")


def test_glue_security_configuration_encrypts_s3_logs_and_bookmarks(graph: Graph) -> None:
    config = graph.one("aws:glue/securityConfiguration:SecurityConfiguration").inputs["encryptionConfiguration"]
    assert config["s3Encryption"]["s3EncryptionMode"] == "SSE-KMS"
    assert config["cloudwatchEncryption"]["cloudwatchEncryptionMode"] == "SSE-KMS"
    assert config["jobBookmarksEncryption"]["jobBookmarksEncryptionMode"] == "CSE-KMS"
    assert all(c["kmsKeyArn"].startswith("arn:aws:kms:") for c in config.values())


def test_jobs_are_glue_5_spark_scripts_from_jobs_with_the_security_configuration(graph: Graph) -> None:
    jobs = {j.name: j.inputs for j in graph.of_type("aws:glue/job:Job")}
    assert set(jobs) == {f"analytics-{job}" for job in JOBS}
    assert set(JOBS) == {"daily-aggregation", "fraud-patterns", "merchant-risk", "customer-profiles"}
    security = graph.one("aws:glue/securityConfiguration:SecurityConfiguration").inputs["name"]
    for name, job in jobs.items():
        script = name.removeprefix("analytics-").replace("-", "_") + ".py"
        assert job["glueVersion"] == "5.0"
        assert job["command"]["name"] == "glueetl"
        assert job["command"]["scriptLocation"] == f"s3://securebank-data-lake-{graph.stack}/glue/scripts/{script}"
        assert job["securityConfiguration"] == security
        assert job["defaultArguments"]["--lake"] == f"s3://securebank-data-lake-{graph.stack}"
        upload = graph.named(f"{name}-script").inputs
        assert upload["source"]["path"] == f"jobs/{script}"


def test_schedules_daily_at_two_utc_and_weekly_on_sunday(graph: Graph) -> None:
    triggers = {t.name: t.inputs for t in graph.of_type("aws:glue/trigger:Trigger")}
    assert triggers["analytics-daily-aggregation-schedule"]["schedule"] == "cron(0 2 * * ? *)"
    assert "SUN" in triggers["analytics-fraud-patterns-schedule"]["schedule"]
    assert all(t["type"] == "SCHEDULED" and t["startOnCreation"] is True for t in triggers.values())
    jobs = {j.name: j.inputs["name"] for j in graph.of_type("aws:glue/job:Job")}
    assert {t["actions"][0]["jobName"] for t in triggers.values()} == set(jobs.values())


def test_merchant_risk_runs_daily_after_yesterdays_raw_lake_is_complete_and_before_the_aggregation(
    graph: Graph,
) -> None:
    trigger = graph.named("analytics-merchant-risk-schedule").inputs
    assert trigger["type"] == "SCHEDULED" and trigger["startOnCreation"] is True
    assert trigger["actions"] == [{"jobName": f"securebank-{graph.stack}-merchant-risk"}]
    minute, hour, day_of_month, month, day_of_week, year = trigger["schedule"].removeprefix("cron(")[:-1].split()
    assert (day_of_month, month, day_of_week, year) == ("*", "*", "?", "*")  # every day
    start = int(hour) * 3600 + int(minute) * 60
    assert EVENT_SOURCE.maximum_record_age_seconds < start < 2 * 3600  # the daily aggregation starts at 02:00


def test_merchant_risk_job_reads_the_raw_lake_and_labels_with_the_shipped_code(graph: Graph) -> None:
    job = graph.named("analytics-merchant-risk").inputs
    daily = graph.named("analytics-daily-aggregation").inputs
    lake = f"s3://securebank-data-lake-{graph.stack}"
    assert job["name"] == f"securebank-{graph.stack}-merchant-risk"
    assert job["command"]["scriptLocation"] == f"{lake}/glue/scripts/merchant_risk.py"
    assert graph.named("analytics-merchant-risk-script").inputs["source"]["path"] == "jobs/merchant_risk.py"
    arguments = job["defaultArguments"]
    assert arguments["--lake"] == lake
    assert arguments["--labels"] == f"{lake}/{LABELS_PREFIX}"
    assert "--date" not in arguments and "--days" not in arguments  # the schedule lets the job pick the day
    # The daily aggregation's arguments (library zip, attrs/cattrs pins, metrics, temp dir), plus --labels.
    assert {k: v for k, v in arguments.items() if k != "--labels"} == daily["defaultArguments"]
    for setting in ("glueVersion", "workerType", "numberOfWorkers", "securityConfiguration", "executionProperty"):
        assert job[setting] == daily[setting]


def _s3_grants(graph: Graph, policy: str) -> dict[str, set[str]]:
    """s3 action -> object keys (bucket-relative, `*` kept) or the bucket, over one role policy."""
    bucket = f"arn:aws:s3:::securebank-data-lake-{graph.stack}"
    granted: dict[str, set[str]] = {}
    for statement in graph.named(policy).statements():
        assert statement["Effect"] == "Allow"
        for action in statement["Action"]:
            if action.startswith("s3:"):
                granted.setdefault(action, set()).update(
                    r.removeprefix(bucket).lstrip("/") for r in statement["Resource"]
                )
    return granted


def test_merchant_risk_job_has_its_own_role_that_writes_only_its_snapshots(graph: Graph) -> None:
    job = graph.named("analytics-merchant-risk").inputs
    assert job["roleArn"].endswith(":role/analytics-merchant-risk-glue-role")
    assert (
        graph.named("analytics-daily-aggregation")
        .inputs["roleArn"]
        .endswith(":role/analytics-daily-aggregation-glue-role")
    )
    attachment = graph.named("analytics-merchant-risk-glue-policy-attachment").inputs
    assert attachment["role"] == "analytics-merchant-risk-glue-role"
    granted = _s3_grants(graph, "analytics-merchant-risk-glue-policy")
    risk = f"{MERCHANT_RISK_PREFIX}*"
    assert granted["s3:PutObject"] == granted["s3:DeleteObject"] == {risk, "glue/tmp/*"}
    assert granted["s3:GetObject"] == {f"{RAW_TRANSACTIONS_PREFIX}*", f"{LABELS_PREFIX}*", "glue/scripts/*", risk}
    assert granted["s3:ListBucket"] == {""}  # the bucket itself, as the other roles, but only under its prefixes
    assert set(granted) == {"s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:ListBucket"}
    assert not any(f"{POLICY_PREFIX}*" in keys for keys in granted.values())
    actions = {a for s in graph.named("analytics-merchant-risk-glue-policy").statements() for a in s["Action"]}
    assert not any(a.startswith("glue:") for a in actions)  # it reads files by path, not the catalog


GLUE_POLICIES = [f"analytics-{job}-glue-policy" for job in JOBS]


def _job_writers(graph: Graph, key: str) -> set[str]:
    """The Glue jobs whose role may put or delete the lake object `key`: job -> its roleArn -> the role's policy
    attachments -> their policies' Allow statements, actions and resources matched as IAM does (`*`, `?`)."""
    bucket = f"arn:aws:s3:::securebank-data-lake-{graph.stack}"
    attachments = graph.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
    writers = set()
    for job in graph.of_type("aws:glue/job:Job"):
        role = job.inputs["roleArn"].rsplit(":role/", 1)[1]
        policies = [a.inputs["policyArn"].rsplit(":policy/", 1)[1] for a in attachments if a.inputs["role"] == role]
        assert policies, f"{job.name}: no policy attached to {role}"
        for statement in (s for policy in policies for s in graph.named(policy).statements()):
            if statement["Effect"] != "Allow":
                continue
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
            writes = any(fnmatch.fnmatchcase(w, a) for a in actions for w in ("s3:PutObject", "s3:DeleteObject"))
            if writes and any(fnmatch.fnmatchcase(f"{bucket}/{key}", r) for r in resources):
                writers.add(job.name.removeprefix("analytics-"))
    return writers


def test_only_the_weekly_tuner_may_write_policy_candidates_and_only_merchant_risk_its_snapshots(graph: Graph) -> None:
    """The daily aggregation shared the tuner's role, so it could publish the policy the processor scores with. The
    tuner writes candidates (versions and their backtest reports) and nothing else under config/fraud-policy/: the
    release record and the audit are the release role's (test_access.py)."""
    jobs = {j.name for j in graph.of_type("aws:glue/job:Job")}
    roles = {j.inputs["roleArn"] for j in graph.of_type("aws:glue/job:Job")}
    assert len(jobs) == len(roles) == len(JOBS)  # a role per job

    assert _job_writers(graph, policy_key(7)) == {"fraud-patterns"}
    assert _job_writers(graph, policy_report_key(7)) == {"fraud-patterns"}
    for key in (POLICY_RELEASE_KEY, f"{POLICY_AUDIT_PREFIX}2025-04-01T03-00-00Z-promote.json"):
        assert _job_writers(graph, key) == set(), key
    assert _job_writers(graph, f"{POLICY_PREFIX}zz-hotfix.json") == set()
    granted = _s3_grants(graph, "analytics-fraud-patterns-glue-policy")
    assert granted["s3:PutObject"] == {f"{FRAUD_REPORTS_PREFIX}*", POLICY_CANDIDATE_PATTERN, "glue/tmp/*"}
    assert f"{POLICY_PREFIX}*" in granted["s3:GetObject"]  # it reads the published versions and the release record
    assert _job_writers(graph, merchant_risk_key(date(2025, 3, 1))) == {"merchant-risk"}
    assert _job_writers(graph, "processed/daily-aggregates/year=2025/month=03/day=01/part-0.parquet") == {
        "daily-aggregation"
    }  # the check sees writes at all (it is not vacuous)


def test_every_glue_role_policy_passes_the_least_privilege_check(graph: Graph) -> None:
    from policy.checks import CHECKS

    _, check = CHECKS["iam-least-privilege"]
    for name in GLUE_POLICIES:
        policy = graph.named(name)
        assert check(policy.type, policy.inputs) == [], name


def test_athena_workgroup_enforces_kms_encrypted_results_under_the_contract_prefix(graph: Graph) -> None:
    config = graph.one("aws:athena/workgroup:Workgroup").inputs["configuration"]
    assert config["enforceWorkgroupConfiguration"] is True
    result = config["resultConfiguration"]
    assert result["outputLocation"] == f"s3://securebank-data-lake-{graph.stack}/{ATHENA_RESULTS_PREFIX}"
    assert result["encryptionConfiguration"]["encryptionOption"] == "SSE_KMS"


def test_transactions_by_merchant_is_a_named_query_over_one_day_of_the_raw_table(graph: Graph) -> None:
    """The reader that replaced DynamoDB's MerchantIndex: saved in the workgroup, on the catalog's raw table, with
    the merchant and the day's partitions as execution parameters (so a run scans one day, not the lake)."""
    inputs = graph.named("analytics-transactions-by-merchant").inputs
    assert inputs["name"] == f"securebank-{graph.stack}-transactions-by-merchant"
    assert inputs["workgroup"] == graph.one("aws:athena/workgroup:Workgroup").inputs["name"]
    assert inputs["database"] == graph.one("aws:glue/catalogDatabase:CatalogDatabase").inputs["name"]
    sql = " ".join(inputs["query"].split())
    assert f"FROM {ATHENA_TRANSACTIONS_TABLE} " in sql
    assert "WHERE merchant_id = ? AND year = ? AND month = ? AND day = ?" in sql
    columns = {c["name"] for c in graph.named("analytics-raw-transactions").inputs["storageDescriptor"]["columns"]}
    selected = sql.removeprefix("SELECT ").split(" FROM ")[0].replace('"', "").split(", ")
    assert set(selected) <= columns | {"hour"}


def test_transactions_table_uses_the_seed_partition_projection_over_gzip_json_lines(graph: Graph) -> None:
    table = graph.named("analytics-raw-transactions").inputs
    assert table["name"] == ATHENA_TRANSACTIONS_TABLE
    params = table["parameters"]
    assert {k: params[k] for k in ATHENA_PROJECTION} == ATHENA_PROJECTION
    assert params["storage.location.template"] == (
        f"s3://securebank-data-lake-{graph.stack}/raw/transactions/year=${{year}}/month=${{month}}/day=${{day}}/hour=${{hour}}/"
    )
    assert [k["name"] for k in table["partitionKeys"]] == ["year", "month", "day", "hour"]
    storage = table["storageDescriptor"]
    assert storage["serDeInfo"]["serializationLibrary"] == "org.openx.data.jsonserde.JsonSerDe"
    assert storage["compressed"] is True and params["compressionType"] == "gzip"
    columns = {c["name"]: c["type"] for c in storage["columns"]}
    assert columns["amount"] == "decimal(18,2)"
    assert columns["location"] == "struct<latitude:double,longitude:double>"
    assert {"transaction_id", "customer_id", "merchant_id", "timestamp"} <= set(columns)


def test_fraud_patterns_reads_labels_and_both_jobs_ship_the_code_they_import(graph: Graph) -> None:
    from components.glue import JOB_PACKAGES

    job = graph.named("analytics-fraud-patterns").inputs
    assert job["defaultArguments"]["--labels"] == f"s3://securebank-data-lake-{graph.stack}/labels/"
    library = graph.named("analytics-job-library").inputs["source"]["assetArchive"]
    assert {name.split("/")[0] for name in library} == set(JOB_PACKAGES) >= {"jobs", "domain", "contracts", "adapters"}
    assert {"jobs/learn.py", "jobs/learn_cut.py", "jobs/learn_select.py", "jobs/learn_report.py"} <= set(library)
    modules = job["defaultArguments"]["--additional-python-modules"].split(",")
    assert {m.split("==")[0] for m in modules} == {"attrs", "cattrs", "scikit-learn", "numpy", "scipy", "joblib",
                                                   "threadpoolctl"}  # fmt: skip
    assert all(_pinned(m) for m in modules)  # each as in constraints.txt
    reads = [s for s in graph.named("analytics-fraud-patterns-glue-policy").statements() if s.get("Sid") == "ReadLake"]
    assert f"arn:aws:s3:::securebank-data-lake-{graph.stack}/labels/*" in reads[0]["Resource"]


def _pinned(module: str) -> bool:
    constraints = (ROOT / "constraints.txt").read_text().splitlines()
    return "==" in module and any(line.split("#")[0].strip() == module for line in constraints)


def test_glue_role_may_publish_the_job_metrics_it_enables_to_the_glue_namespace_only(graph: Graph) -> None:
    from components.roles import UNSCOPED_ACTIONS
    from policy.checks import CHECKS
    from policy.checks import UNSCOPED_ACTIONS as POLICY_UNSCOPED_ACTIONS

    jobs = graph.of_type("aws:glue/job:Job")
    assert jobs and all(j.inputs["defaultArguments"]["--enable-metrics"] == "true" for j in jobs)
    policy = graph.named("analytics-daily-aggregation-glue-policy")
    [metrics] = [s for s in policy.statements() if "cloudwatch:PutMetricData" in s["Action"]]
    assert metrics["Action"] == ["cloudwatch:PutMetricData"]
    assert metrics["Resource"] == ["*"]
    assert metrics["Condition"] == {"StringEquals": {"cloudwatch:namespace": "Glue"}}
    assert "cloudwatch:PutMetricData" in UNSCOPED_ACTIONS and "cloudwatch:PutMetricData" in POLICY_UNSCOPED_ACTIONS
    _, check = CHECKS["iam-least-privilege"]
    assert check(policy.type, policy.inputs) == []
    for name in GLUE_POLICIES:
        [same] = [s for s in graph.named(name).statements() if "cloudwatch:PutMetricData" in s["Action"]]
        assert same == metrics, name


GLUE_LOG_KINDS = ("error", "output")


def _glue_log_groups(graph: Graph) -> dict[str, dict]:
    return {
        g.inputs["name"]: g.inputs
        for g in graph.of_type("aws:cloudwatch/logGroup:LogGroup")
        if g.inputs["name"].startswith("/aws-glue/")
    }


def test_every_job_logs_to_the_stacks_own_log_groups(graph: Graph) -> None:
    prefix = f"/aws-glue/securebank-{graph.stack}"
    jobs = graph.of_type("aws:glue/job:Job")
    assert len(jobs) == len(JOBS)
    for job in jobs:
        # Glue 5.0 writes to <prefix>/error and <prefix>/output instead of /aws-glue/jobs/{error,output}
        assert job.inputs["defaultArguments"]["--custom-logGroup-prefix"] == prefix, job.name
    assert set(_glue_log_groups(graph)) == {f"{prefix}/{kind}" for kind in GLUE_LOG_KINDS}
    assert all(graph.named(f"analytics-glue-{kind}-logs").parent == "analytics" for kind in GLUE_LOG_KINDS)


def test_glue_log_groups_are_kept_and_encrypted_like_the_lambda_log_groups(graph: Graph) -> None:
    processor = graph.named("processing-processor-logs").inputs
    for name, group in _glue_log_groups(graph).items():
        assert group["retentionInDays"] == stack_config(graph.stack)["logRetentionDays"] == processor["retentionInDays"]
        assert group["kmsKeyId"] == processor["kmsKeyId"], name


@pytest.mark.parametrize("policy", GLUE_POLICIES)
def test_glue_roles_write_their_stacks_log_groups_and_no_others(graph: Graph, policy: str) -> None:
    [logs] = [s for s in graph.named(policy).statements() if s.get("Sid") == "GlueJobLogs"]
    assert {"logs:CreateLogStream", "logs:PutLogEvents"} <= set(logs["Action"])
    arn = "arn:aws:logs:us-east-1:123456789012:log-group:"

    def allowed(resource: str) -> bool:
        return any(fnmatch.fnmatchcase(resource, pattern) for pattern in logs["Resource"])

    for name in _glue_log_groups(graph):
        assert allowed(f"{arn}{name}")
        assert allowed(f"{arn}{name}:log-stream:jr_0123-driver")
    other = "dev" if graph.stack == "prod" else "prod"
    for name in ("/aws-glue/jobs/error", "/aws-glue/jobs/output", f"/aws-glue/securebank-{other}/error"):
        assert not allowed(f"{arn}{name}:log-stream:jr_0123-driver"), name


def _list_statement(graph: Graph, policy: str) -> dict:
    [listing] = [s for s in graph.named(policy).statements() if "s3:ListBucket" in s["Action"]]
    assert listing["Action"] == ["s3:ListBucket"]
    assert listing["Resource"] == [f"arn:aws:s3:::securebank-data-lake-{graph.stack}"]
    return listing


def test_merchant_risk_role_lists_only_the_prefixes_it_reads_or_writes(graph: Graph) -> None:
    listing = _list_statement(graph, "analytics-merchant-risk-glue-policy")
    assert listing["Condition"] == {
        "StringLike": {
            "s3:prefix": [
                f"{RAW_TRANSACTIONS_PREFIX}*",
                "glue/scripts/*",
                f"{LABELS_PREFIX}*",
                f"{MERCHANT_RISK_PREFIX}*",
                "glue/tmp/*",
            ]
        }
    }
    granted = _s3_grants(graph, "analytics-merchant-risk-glue-policy")
    objects = granted["s3:GetObject"] | granted["s3:PutObject"]
    assert set(listing["Condition"]["StringLike"]["s3:prefix"]) == objects  # exactly its reads and writes

    def listable(prefix: str) -> bool:
        return any(fnmatch.fnmatchcase(prefix, p) for p in listing["Condition"]["StringLike"]["s3:prefix"])

    assert listable("raw/transactions/year=2025/month=04/day=01/") and listable(MERCHANT_RISK_PREFIX)
    for other in ("", POLICY_PREFIX, "processed/daily-aggregates/", "config/", "access-logs/"):
        assert not listable(other), other


def test_the_aggregation_and_tuner_roles_keep_listing_the_whole_lake(graph: Graph) -> None:
    for job in ("daily-aggregation", "fraud-patterns"):
        assert "Condition" not in _list_statement(graph, f"analytics-{job}-glue-policy"), job


@pytest.mark.parametrize("policy", GLUE_POLICIES)
def test_glue_roles_may_write_log_groups_glue_names_after_the_security_configuration(graph: Graph, policy: str) -> None:
    [logs] = [s for s in graph.named(policy).statements() if s.get("Sid") == "GlueJobLogs"]
    # Glue needs AssociateKmsKey for the groups it creates when the security configuration encrypts CloudWatch Logs.
    assert "logs:AssociateKmsKey" in logs["Action"] and "logs:CreateLogGroup" in logs["Action"]
    assert logs["Resource"] == [f"arn:aws:logs:us-east-1:123456789012:log-group:/aws-glue/securebank-{graph.stack}*"]
    security = graph.one("aws:glue/securityConfiguration:SecurityConfiguration").inputs["name"]
    role = policy.removesuffix("-policy") + "-role-1a2b3c4"  # the role's auto-generated physical name, say
    arn = "arn:aws:logs:us-east-1:123456789012:log-group:"
    prefix = f"/aws-glue/securebank-{graph.stack}"
    for name in (f"{prefix}-{role}-{security}/error", f"{prefix}-{security}/output", f"{prefix}/output"):
        assert fnmatch.fnmatchcase(f"{arn}{name}", logs["Resource"][0]), name
        assert fnmatch.fnmatchcase(f"{arn}{name}:log-stream:jr_0123-driver", logs["Resource"][0]), name


def test_stack_names_that_prefix_one_another_are_refused(tmp_path) -> None:
    from components.glue import check_stack_names
    from tests.infra.conftest import ROOT, STACKS

    for stack in STACKS:
        check_stack_names(stack, ROOT)  # the project's own stacks are fine
    for name in ("dev", "dev2", "prod"):
        (tmp_path / f"Pulumi.{name}.yaml").write_text("config: {}\n")
    check_stack_names("prod", tmp_path)
    for stack in ("dev", "dev2"):
        with pytest.raises(ValueError, match="prefixes of one another"):
            check_stack_names(stack, tmp_path)


# --- The daily customer-profile snapshot -------------------------------------------------------------------------


def _customers_table_arn(graph: Graph) -> str:
    return f"arn:aws:dynamodb:us-east-1:123456789012:table/{graph.named('storage-customers').inputs['name']}"


def test_customer_profiles_job_exports_the_customers_table_daily_before_the_other_jobs(graph: Graph) -> None:
    job = graph.named("analytics-customer-profiles").inputs
    lake = f"s3://securebank-data-lake-{graph.stack}"
    assert job["command"]["scriptLocation"] == f"{lake}/glue/scripts/customer_profiles.py"
    assert graph.named("analytics-customer-profiles-script").inputs["source"]["path"] == "jobs/customer_profiles.py"
    arguments = job["defaultArguments"]
    assert arguments["--table-arn"] == _customers_table_arn(graph)
    security = graph.one("aws:glue/securityConfiguration:SecurityConfiguration").inputs["encryptionConfiguration"]
    assert arguments["--kms-key"] == security["s3Encryption"]["kmsKeyArn"]  # the lake key, as every job's output
    assert "--date" not in arguments and "--export" not in arguments  # the schedule: yesterday, by export
    trigger = graph.named("analytics-customer-profiles-schedule").inputs
    assert trigger["type"] == "SCHEDULED" and trigger["startOnCreation"] is True
    assert trigger["actions"] == [{"jobName": f"securebank-{graph.stack}-customer-profiles"}]
    minute, hour, day_of_month, month, day_of_week, year = trigger["schedule"].removeprefix("cron(")[:-1].split()
    assert (day_of_month, month, day_of_week, year) == ("*", "*", "?", "*")  # every day
    # after 00:05 (PITR restores up to about 5 minutes before now), before the 01:15 merchant-risk job
    assert 5 * 60 < int(hour) * 3600 + int(minute) * 60 < 3600 + 15 * 60


def test_customer_profiles_role_exports_only_the_customers_table_and_writes_only_its_prefixes(graph: Graph) -> None:
    granted = _s3_grants(graph, "analytics-customer-profiles-glue-policy")
    assert (
        granted["s3:PutObject"]
        == granted["s3:DeleteObject"]
        == {
            f"{CUSTOMER_PROFILES_PREFIX}*",
            f"{CUSTOMER_EXPORTS_PREFIX}*",
            "glue/tmp/*",
        }
    )
    assert granted["s3:AbortMultipartUpload"] == granted["s3:PutObjectAcl"] == {f"{CUSTOMER_EXPORTS_PREFIX}*"}
    assert not any(f"{RAW_TRANSACTIONS_PREFIX}*" in keys for keys in granted.values())
    statements = graph.named("analytics-customer-profiles-glue-policy").statements()
    [export] = [s for s in statements if any(a.startswith("dynamodb:") for a in s["Action"])]
    table = _customers_table_arn(graph)
    assert export["Action"] == ["dynamodb:DescribeExport", "dynamodb:ExportTableToPointInTime"]
    assert export["Resource"] == [table, f"{table}/export/*"]
    assert "Condition" in _list_statement(graph, "analytics-customer-profiles-glue-policy")
    for other in ("daily-aggregation", "fraud-patterns", "merchant-risk"):
        actions = {a for s in graph.named(f"analytics-{other}-glue-policy").statements() for a in s["Action"]}
        assert not any(a.startswith("dynamodb:") for a in actions), other
    assert _job_writers(graph, f"{CUSTOMER_PROFILES_PREFIX}date=2025-03-01/part-0.parquet") == {"customer-profiles"}


# --- Catalog tables and named queries over what the jobs write --------------------------------------------------

LAKE_TABLES = {
    ATHENA_DAILY_AGGREGATES_TABLE: (DAILY_AGGREGATES_PREFIX, ["year", "month", "day"], "parquet"),
    ATHENA_FRAUD_REPORTS_TABLE: (FRAUD_REPORTS_PREFIX, ["date"], "json"),
    ATHENA_MERCHANT_RISK_TABLE: (MERCHANT_RISK_PREFIX, [], "json"),
    ATHENA_CUSTOMER_PROFILES_TABLE: (CUSTOMER_PROFILES_PREFIX, ["date"], "parquet"),
}
SERDES = {
    "parquet": "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe",
    "json": "org.openx.data.jsonserde.JsonSerDe",
}


@pytest.mark.parametrize("table", sorted(LAKE_TABLES))
def test_each_jobs_output_has_a_catalog_table_projected_over_its_partition_folders(graph: Graph, table: str) -> None:
    prefix, keys, kind = LAKE_TABLES[table]
    inputs = graph.named(f"analytics-{table.replace('_', '-')}-table").inputs
    location = f"s3://securebank-data-lake-{graph.stack}/{prefix}"
    assert inputs["name"] == table and inputs["tableType"] == "EXTERNAL_TABLE"
    assert inputs["databaseName"] == graph.one("aws:glue/catalogDatabase:CatalogDatabase").inputs["name"]
    storage = inputs["storageDescriptor"]
    assert storage["location"] == location
    assert storage["serDeInfo"]["serializationLibrary"] == SERDES[kind]
    assert inputs["parameters"]["classification"] == kind
    assert [k["name"] for k in inputs.get("partitionKeys") or []] == keys
    assert all(k["type"] == "string" for k in inputs.get("partitionKeys") or [])  # month=01 stays "01"
    columns = [c["name"] for c in storage["columns"]]
    assert columns and not set(columns) & set(keys)
    params = inputs["parameters"]
    if not keys:  # one file per date in one folder: no projection
        assert "projection.enabled" not in params
        return
    assert params["projection.enabled"] == "true"
    template = params["storage.location.template"]
    assert template == location + "".join(f"{key}=${{{key}}}/" for key in keys)
    for key in keys:
        assert params[f"projection.{key}.type"] in ("integer", "date")
    if "date" in keys:
        assert params["projection.date.format"] == "yyyy-MM-dd" and params["projection.date.range"].endswith(",NOW")


def test_the_catalog_columns_say_what_the_analyst_asks_for(graph: Graph) -> None:
    def columns(table: str) -> dict[str, str]:
        inputs = graph.named(f"analytics-{table.replace('_', '-')}-table").inputs
        return {c["name"]: c["type"] for c in inputs["storageDescriptor"]["columns"]}

    assert columns(ATHENA_DAILY_AGGREGATES_TABLE)["total_amount"] == "decimal(18,2)"
    assert columns(ATHENA_DAILY_AGGREGATES_TABLE)["unusual_category"] == "boolean"
    assert columns(ATHENA_CUSTOMER_PROFILES_TABLE)["risk_profile"] == "string"
    assert "decimal(38,4)" in columns(ATHENA_CUSTOMER_PROFILES_TABLE)["amounts"]
    assert columns(ATHENA_MERCHANT_RISK_TABLE) == {
        "as_of": "string",
        "merchants": "map<string,map<string,array<bigint>>>",
    }
    assert columns(ATHENA_FRAUD_REPORTS_TABLE)["overall"].startswith("struct<before:struct<tp:bigint")


NAMED_QUERIES = {
    "transactions-by-merchant": (ATHENA_TRANSACTIONS_TABLE, 4),
    "daily-spend-by-category": (ATHENA_DAILY_AGGREGATES_TABLE, 3),
    "latest-fraud-patterns": (ATHENA_FRAUD_REPORTS_TABLE, 1),
    "riskiest-merchants": (ATHENA_MERCHANT_RISK_TABLE, 1),
    "customer-profile-snapshot": (ATHENA_CUSTOMER_PROFILES_TABLE, 2),
}


def test_every_table_has_a_named_query_in_the_workgroup_bounded_by_its_parameters(graph: Graph) -> None:
    queries = {q.name.removeprefix("analytics-"): q for q in graph.of_type("aws:athena/namedQuery:NamedQuery")}
    assert set(queries) == set(NAMED_QUERIES)
    tables = {t.inputs["name"]: t for t in graph.of_type("aws:glue/catalogTable:CatalogTable")}
    assert set(tables) == {ATHENA_TRANSACTIONS_TABLE, *LAKE_TABLES}
    for name, (table, parameters) in NAMED_QUERIES.items():
        inputs = queries[name].inputs
        assert inputs["name"] == f"securebank-{graph.stack}-{name}"
        assert inputs["workgroup"] == graph.one("aws:athena/workgroup:Workgroup").inputs["name"]
        sql = " ".join(inputs["query"].split())
        assert f"FROM {table} " in sql, name
        assert sql.count("?") == parameters, name
        # every partition key down to the day is bounded by a parameter (the raw table's query reads a whole day)
        keys = [k["name"] for k in tables[table].inputs.get("partitionKeys") or [] if k["name"] != "hour"]
        where = sql.split(" WHERE ", 1)[1].replace('"', "")
        assert all(f"{key} = ?" in where or f"{key} >= ?" in where for key in keys), name


def test_the_profile_snapshot_query_selects_the_tables_columns_the_learned_signals_read_included(graph: Graph) -> None:
    query = graph.named("analytics-customer-profile-snapshot").inputs["query"]
    selected = " ".join(query.split()).removeprefix("SELECT ").split(" FROM ")[0].split(", ")
    table = graph.named(f"analytics-{ATHENA_CUSTOMER_PROFILES_TABLE.replace('_', '-')}-table").inputs
    names = [c["name"] for c in table["storageDescriptor"]["columns"]]
    assert set(selected) <= set(names)
    assert {"category_amounts", "day_totals", "night_count", "recent_high", "recent_night"} <= set(selected)


def test_the_workgroup_runs_engine_version_3_that_result_reuse_needs(graph: Graph) -> None:
    """The 24-hour result reuse is asked per query (securebank/lab/named_queries.py): it needs engine version 3 and
    the workgroup's own result configuration, which the workgroup enforces."""
    config = graph.one("aws:athena/workgroup:Workgroup").inputs["configuration"]
    assert config["engineVersion"]["selectedEngineVersion"] == "Athena engine version 3"
    assert config["enforceWorkgroupConfiguration"] is True
