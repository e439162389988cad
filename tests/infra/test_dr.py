"""DR: weekly backups kept 35 days (copied to the secondary region in prod) and S3 CRR in prod only."""

from __future__ import annotations

import json
import os
import subprocess
from typing import Any

import pytest

from tests.infra.conftest import ROOT, plan_command
from tests.infra.graph import Graph


def test_backup_plan_is_weekly_with_35_day_retention_selecting_both_tables(graph: Graph) -> None:
    [rule] = graph.one("aws:backup/plan:Plan").inputs["rules"]
    assert rule["schedule"] == "cron(0 5 ? * SUN *)"
    assert rule["lifecycle"] == {"deleteAfter": 35}
    selection = graph.one("aws:backup/selection:Selection").inputs
    assert sorted(selection["resources"]) == sorted(
        f"arn:aws:dynamodb:us-east-1:123456789012:table/SecureBank-{t}-{graph.stack}"
        for t in ("Customers", "Transactions")
    )
    vault = graph.named("dr-vault").inputs
    assert vault["kmsKeyArn"].startswith("arn:aws:kms:us-east-1:")


def test_prod_copies_backups_to_a_vault_in_the_secondary_region(prod: Graph, dev: Graph) -> None:
    [rule] = prod.one("aws:backup/plan:Plan").inputs["rules"]
    [copy] = rule["copyActions"]
    secondary = prod.named("dr-secondary-vault").inputs
    assert secondary["region"] == "us-west-2" and secondary["kmsKeyArn"].startswith("arn:aws:kms:us-west-2:")
    assert copy["destinationVaultArn"] == f"arn:aws:backup:us-west-2:123456789012:backup-vault:{secondary['name']}"
    assert copy["lifecycle"] == {"deleteAfter": 35}
    [dev_rule] = dev.one("aws:backup/plan:Plan").inputs["rules"]
    assert not dev_rule.get("copyActions")


def test_prod_replicates_the_lake_to_a_secured_bucket_in_the_secondary_region(prod: Graph) -> None:
    replica = prod.named("dr-lake-replica").inputs
    assert replica["region"] == "us-west-2"
    [rule] = prod.one("aws:s3/bucketReplicationConfig:BucketReplicationConfig").inputs["rules"]
    assert rule["status"] == "Enabled"
    assert rule["destination"]["bucket"] == f"arn:aws:s3:::{replica['bucket']}"
    assert rule["destination"]["encryptionConfiguration"]["replicaKmsKeyId"].startswith("arn:aws:kms:us-west-2:")
    assert rule["destination"]["replicationTime"] == {"status": "Enabled", "time": {"minutes": 15}}
    assert rule["sourceSelectionCriteria"]["sseKmsEncryptedObjects"]["status"] == "Enabled"
    for part in ("versioning", "encryption", "public-access-block", "policy", "lifecycle"):
        assert prod.named(f"dr-lake-replica-{part}").inputs["region"] == "us-west-2"


def test_dev_has_no_cross_region_copies(dev: Graph) -> None:
    assert dev.of_type("aws:s3/bucketReplicationConfig:BucketReplicationConfig") == []
    assert all(r.inputs.get("region") in (None, "us-east-1") for r in dev)


def test_prod_replica_is_access_logged_in_its_own_region(prod: Graph) -> None:
    logging = prod.named("dr-lake-replica-logging").inputs
    assert logging["region"] == "us-west-2"
    assert logging["bucket"] == prod.named("dr-lake-replica").inputs["bucket"]
    target = prod.named("dr-replica-access-logs").inputs
    assert logging["targetBucket"] == target["bucket"] and target["region"] == "us-west-2"
    assert target["bucket"].endswith("-access-logs")  # the policy pack's SSE-S3 exception applies by this suffix


# The second region: `dr-prod` (the specification's prod-dr) adopts prod's replicas in us-west-2 and takes over by DNS.


@pytest.fixture(scope="module")
def dr_prod() -> Graph:
    """`plan --stack dr-prod --json`, in its own interpreter like the other stacks (tests/infra/conftest.py)."""
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    done = subprocess.run(
        plan_command("dr-prod"), cwd=ROOT, capture_output=True, text=True, env=env, timeout=300, check=False
    )
    assert done.returncode == 0, f"plan --stack dr-prod failed:\n{done.stderr}"
    return Graph.from_json("dr-prod", done.stdout)


def _exports(graph: Graph) -> dict[str, Any]:
    return graph.one("pulumi:pulumi:Stack").inputs


def test_the_dr_stack_creates_no_table_and_no_bucket_of_its_own(dr_prod: Graph) -> None:
    assert dr_prod.of_type("aws:dynamodb/table:Table") == []
    assert dr_prod.of_type("aws:s3/bucket:Bucket") == []
    assert dr_prod.of_type("aws:backup/plan:Plan") == []
    assert dr_prod.of_type("aws:s3/bucketReplicationConfig:BucketReplicationConfig") == []


def test_the_dr_lambdas_read_prods_replicas_in_their_own_region(dr_prod: Graph, prod: Graph) -> None:
    replicas = {
        replica["regionName"] for t in prod.of_type("aws:dynamodb/table:Table") for replica in t.inputs["replicas"]
    }
    assert replicas == {"us-west-2"}
    prod_tables = sorted(t.inputs["name"] for t in prod.of_type("aws:dynamodb/table:Table"))
    env = dr_prod.named("processing-processor").inputs["environment"]["variables"]
    assert sorted([env["CUSTOMERS_TABLE"], env["TRANSACTIONS_TABLE"]]) == prod_tables
    assert env["LAKE_BUCKET"] == prod.named("dr-lake-replica").inputs["bucket"]
    assert env["SECUREBANK_STACK"] == "dr-prod"
    granted = json.dumps([p.inputs.get("policy") for p in dr_prod.of_type("aws:iam/policy:Policy")])
    for table in prod_tables:
        assert f"arn:aws:dynamodb:us-west-2:123456789012:table/{table}" in granted
        assert f"arn:aws:dynamodb:us-east-1:123456789012:table/{table}" not in granted


def test_the_dr_stack_decrypts_with_prods_replica_keys_read_from_prods_exports(dr_prod: Graph, prod: Graph) -> None:
    from components.replica import LAKE_KEY_EXPORT, TABLES_KEY_EXPORT

    exported = _exports(prod)
    assert exported[TABLES_KEY_EXPORT].startswith("arn:aws:kms:us-west-2:")
    assert exported[LAKE_KEY_EXPORT].startswith("arn:aws:kms:us-west-2:")
    policy = json.dumps([p.inputs.get("policy") for p in dr_prod.of_type("aws:iam/policy:Policy")])
    assert exported[TABLES_KEY_EXPORT] in policy and exported[LAKE_KEY_EXPORT] in policy
    assert TABLES_KEY_EXPORT not in _exports(dr_prod)  # the DR stack replicates nothing itself


def test_the_dr_stack_runs_the_whole_pipeline_in_us_west_2(dr_prod: Graph) -> None:
    assert _exports(dr_prod)["api_url"] == "https://api.securebank.example"
    for token in ("aws:kinesis/stream:Stream", "aws:lambda/eventSourceMapping:EventSourceMapping"):
        assert dr_prod.of_type(token), token
    domain = dr_prod.one("aws:apigateway/domainName:DomainName").inputs
    assert domain["regionalCertificateArn"].startswith("arn:aws:acm:us-west-2:")
    # Only the primary's health alarm (and its notification) is in us-east-1: every other resource is in us-west-2.
    in_primary = [
        r.name
        for r in dr_prod
        if ":us-east-1:" in json.dumps(r.inputs) or r.inputs.get("region", "us-west-2") != "us-west-2"
    ]
    assert in_primary == ["failover-primary-api-errors"]
    assert dr_prod.named("failover-primary-api-errors").inputs["region"] == "us-east-1"


def test_the_dr_stack_holds_the_domains_failover_pair_with_a_health_check_per_region(
    dr_prod: Graph, prod: Graph
) -> None:
    prod_exports, dr_exports = _exports(prod), _exports(dr_prod)
    expected = {
        "PRIMARY": ("us-east-1", prod, prod_exports),
        "SECONDARY": ("us-west-2", dr_prod, dr_exports),
    }
    for role, (region, owner, exports) in expected.items():
        side = role.lower()
        record = dr_prod.named(f"failover-{side}-record").inputs
        check = dr_prod.named(f"failover-{side}-health").inputs
        alarm = dr_prod.named(f"failover-{side}-api-errors").inputs
        assert record["failoverRoutingPolicies"] == [{"type": role}]
        assert record["name"] == "api.securebank.example" and record["zoneId"] == "Z00000000000EXAMPLE"
        assert record["healthCheckId"] == f"failover-{side}-health-id"
        # the alias is that region's own regional API domain, as the stack that owns it exports it
        assert record["aliases"] == [
            {
                "name": exports["api_domain_target"],
                "zoneId": exports["api_domain_zone_id"],
                "evaluateTargetHealth": False,
            }
        ]
        assert exports["api_domain_target"].endswith(f".execute-api.{region}.amazonaws.com")
        assert check["type"] == "CLOUDWATCH_METRIC"
        assert check["cloudwatchAlarmName"] == alarm["name"] and check["cloudwatchAlarmRegion"] == region
        assert alarm["namespace"] == "AWS/ApiGateway" and alarm["metricName"] == "5XXError"
        assert alarm["dimensions"] == {
            "ApiName": owner.one("aws:apigateway/restApi:RestApi").inputs["name"],
            "Stage": owner.one("aws:apigateway/stage:Stage").inputs["stageName"],
        }
        assert alarm["alarmActions"] == [exports["alerts_topic_arn"]]  # a topic in the alarm's own region
    assert {r.inputs["setIdentifier"] for r in dr_prod.of_type("aws:route53/record:Record")} == {
        "us-east-1",
        "us-west-2",
    }


def test_the_primary_stacks_hold_no_failover_records(dev: Graph, prod: Graph) -> None:
    for graph in (dev, prod):
        assert graph.of_type("aws:route53/record:Record") == []
        assert graph.of_type("aws:route53/healthCheck:HealthCheck") == []


def test_the_dr_stack_passes_the_policy_pack(dr_prod: Graph) -> None:
    from policy.checks import violations

    resources = [{"type": r.type, "name": r.name, "inputs": r.inputs} for r in dr_prod]
    assert violations(resources) == []


def test_the_dr_stacks_alarms_link_an_existing_runbook_section(dr_prod: Graph) -> None:
    """The failover alarms (region health) included: an operator paged at night lands on what to do."""
    from components.runbooks import RUNBOOKS
    from tests.infra.test_monitoring_views import ALARM, RUNBOOK_LINK, runbook_anchors

    anchors = runbook_anchors((ROOT / RUNBOOKS).read_text(encoding="utf-8"))
    alarms = dr_prod.of_type(ALARM)
    assert any("region-health" in a.inputs["alarmDescription"] for a in alarms)
    for alarm in alarms:
        links = RUNBOOK_LINK.findall(alarm.inputs["alarmDescription"])
        assert len(links) == 1 and links[0] in anchors, f"{alarm.name}: {alarm.inputs['alarmDescription']}"
