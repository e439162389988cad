"""DR: weekly backups kept 35 days (copied to the secondary region in prod) and S3 CRR in prod only."""

from __future__ import annotations

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
