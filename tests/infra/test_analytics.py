"""Analytics: Glue 5.0 jobs with an encrypting security configuration and schedules; Athena and the projected table."""

from __future__ import annotations

from contracts.aws import ATHENA_PROJECTION, ATHENA_RESULTS_PREFIX, ATHENA_TRANSACTIONS_TABLE
from tests.infra.graph import Graph


def test_glue_security_configuration_encrypts_s3_logs_and_bookmarks(graph: Graph) -> None:
    config = graph.one("aws:glue/securityConfiguration:SecurityConfiguration").inputs["encryptionConfiguration"]
    assert config["s3Encryption"]["s3EncryptionMode"] == "SSE-KMS"
    assert config["cloudwatchEncryption"]["cloudwatchEncryptionMode"] == "SSE-KMS"
    assert config["jobBookmarksEncryption"]["jobBookmarksEncryptionMode"] == "CSE-KMS"
    assert all(c["kmsKeyArn"].startswith("arn:aws:kms:") for c in config.values())


def test_jobs_are_glue_5_spark_scripts_from_jobs_with_the_security_configuration(graph: Graph) -> None:
    jobs = {j.name: j.inputs for j in graph.of_type("aws:glue/job:Job")}
    assert set(jobs) == {"analytics-daily-aggregation", "analytics-fraud-patterns"}
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


def test_athena_workgroup_enforces_kms_encrypted_results_under_the_contract_prefix(graph: Graph) -> None:
    config = graph.one("aws:athena/workgroup:Workgroup").inputs["configuration"]
    assert config["enforceWorkgroupConfiguration"] is True
    result = config["resultConfiguration"]
    assert result["outputLocation"] == f"s3://securebank-data-lake-{graph.stack}/{ATHENA_RESULTS_PREFIX}"
    assert result["encryptionConfiguration"]["encryptionOption"] == "SSE_KMS"


def test_transactions_table_uses_the_seed_partition_projection_over_gzip_json_lines(graph: Graph) -> None:
    table = graph.one("aws:glue/catalogTable:CatalogTable").inputs
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
    from components.analytics import JOB_PACKAGES

    job = graph.named("analytics-fraud-patterns").inputs
    assert job["defaultArguments"]["--labels"] == f"s3://securebank-data-lake-{graph.stack}/labels/"
    library = graph.named("analytics-job-library").inputs["source"]["assetArchive"]
    assert {name.split("/")[0] for name in library} == set(JOB_PACKAGES) >= {"jobs", "domain", "contracts", "adapters"}
    modules = job["defaultArguments"]["--additional-python-modules"].split(",")
    assert {m.split("==")[0] for m in modules} == {"attrs", "cattrs"} and all("==" in m for m in modules)
    reads = [s for s in graph.named("analytics-glue-policy").statements() if s.get("Sid") == "ReadLake"]
    assert f"arn:aws:s3:::securebank-data-lake-{graph.stack}/labels/*" in reads[0]["Resource"]


def test_glue_role_may_publish_the_job_metrics_it_enables_to_the_glue_namespace_only(graph: Graph) -> None:
    from components.roles import UNSCOPED_ACTIONS
    from policy.checks import CHECKS
    from policy.checks import UNSCOPED_ACTIONS as POLICY_UNSCOPED_ACTIONS

    jobs = graph.of_type("aws:glue/job:Job")
    assert jobs and all(j.inputs["defaultArguments"]["--enable-metrics"] == "true" for j in jobs)
    policy = graph.named("analytics-glue-policy")
    [metrics] = [s for s in policy.statements() if "cloudwatch:PutMetricData" in s["Action"]]
    assert metrics["Action"] == ["cloudwatch:PutMetricData"]
    assert metrics["Resource"] == ["*"]
    assert metrics["Condition"] == {"StringEquals": {"cloudwatch:namespace": "Glue"}}
    assert "cloudwatch:PutMetricData" in UNSCOPED_ACTIONS and "cloudwatch:PutMetricData" in POLICY_UNSCOPED_ACTIONS
    _, check = CHECKS["iam-least-privilege"]
    assert check(policy.type, policy.inputs) == []
