"""Security: one rotating CMK per data domain, scoped key policies, replica keys only where data leaves the region."""

from __future__ import annotations

from components.security import DOMAINS, EVENTBRIDGE_PRINCIPAL, MULTI_REGION_DOMAINS
from securebank.infra.mocks import mock_outputs
from tests.infra.graph import Graph


def test_one_rotating_key_per_data_domain(graph: Graph) -> None:
    keys = graph.of_type("aws:kms/key:Key")
    assert sorted(key.name for key in keys) == sorted(f"security-{domain}" for domain in DOMAINS)
    assert {"stream", "tables", "lake", "logs", "queues"} <= set(DOMAINS)
    for key in keys:
        assert key.inputs["enableKeyRotation"] is True
        assert key.inputs["deletionWindowInDays"] == 30
        assert key.parent == "security"


def test_every_key_has_an_alias_naming_stack_and_domain(graph: Graph) -> None:
    aliases = {alias.inputs["name"] for alias in graph.of_type("aws:kms/alias:Alias")}
    assert aliases == {f"alias/securebank-{graph.stack}-{domain}" for domain in DOMAINS}


def test_key_policies_grant_services_only_with_conditions(graph: Graph) -> None:
    for key in graph.of_type("aws:kms/key:Key"):
        for statement in key.statements():
            principal = statement["Principal"]
            if "AWS" in principal:
                assert principal["AWS"] == "arn:aws:iam::123456789012:root"
            else:
                assert "kms:*" not in statement["Action"]
                if statement["Principal"] == {"Service": EVENTBRIDGE_PRINCIPAL}:
                    continue  # AWS's documented statement; a condition breaks delivery (next test)
                assert "Condition" in statement, f"{key.name}: service statement without a condition"


def test_logs_key_lets_cloudwatch_logs_encrypt_only_this_accounts_log_groups(graph: Graph) -> None:
    logs = graph.named("security-logs")
    [service] = [s for s in logs.statements() if "Service" in s["Principal"]]
    assert service["Principal"]["Service"] == "logs.us-east-1.amazonaws.com"
    assert service["Condition"]["ArnLike"]["kms:EncryptionContext:aws:logs:arn"] == (
        "arn:aws:logs:us-east-1:123456789012:log-group:*"
    )


def test_dev_keys_stay_in_one_region(dev: Graph) -> None:
    assert dev.of_type("aws:kms/replicaKey:ReplicaKey") == []
    assert all(key.inputs["multiRegion"] is False for key in dev.of_type("aws:kms/key:Key"))


def test_prod_replicates_the_table_and_lake_keys_to_the_secondary_region(prod: Graph) -> None:
    replicas = prod.of_type("aws:kms/replicaKey:ReplicaKey")
    assert sorted(r.name for r in replicas) == sorted(f"security-{d}-replica" for d in MULTI_REGION_DOMAINS)
    for replica in replicas:
        assert replica.inputs["region"] == "us-west-2"
        primary = prod.named(replica.name.removesuffix("-replica"))
        assert primary.inputs["multiRegion"] is True
        assert replica.inputs["primaryKeyArn"].startswith("arn:aws:kms:us-east-1:")


def test_queues_key_lets_alarms_and_eventbridge_use_it_for_the_encrypted_alerts_topic(graph: Graph) -> None:
    topic = graph.one("aws:sns/topic:Topic").inputs
    queues = graph.named("security-queues")
    assert topic["kmsMasterKeyId"] == mock_outputs(queues.type, queues.name, queues.inputs, "us-east-1")[1]["arn"]
    grants = {s["Principal"]["Service"]: s for s in queues.statements()
              if "Service" in s["Principal"] and s["Sid"] != "EventBridgeDescribesKeyForTheFraudBus"}  # fmt: skip
    assert set(grants) == {"cloudwatch.amazonaws.com", "events.amazonaws.com"}
    for grant in grants.values():
        assert sorted(grant["Action"]) == ["kms:Decrypt", "kms:GenerateDataKey*"]
        assert grant["Resource"] == "*" and grant["Effect"] == "Allow"
    assert grants["cloudwatch.amazonaws.com"]["Condition"] == {"StringEquals": {"aws:SourceAccount": "123456789012"}}
    # The SNS developer guide: aws:SourceAccount / aws:SourceArn in the key policy are not supported for
    # EventBridge-to-encrypted-topic delivery, so the documented statement has no condition at all.
    assert "Condition" not in grants["events.amazonaws.com"]


def test_only_the_queues_key_grants_eventbridge(graph: Graph) -> None:
    for key in graph.of_type("aws:kms/key:Key"):
        services = [s["Principal"].get("Service") for s in key.statements()]
        assert ("events.amazonaws.com" in services) == (key.name == "security-queues"), key.name


def test_eventbridge_may_describe_the_queues_key_for_the_fraud_bus_from_this_account_only(graph: Graph) -> None:
    [describe] = [
        s
        for s in graph.named("security-queues").statements()
        if s.get("Sid") == "EventBridgeDescribesKeyForTheFraudBus"
    ]
    assert describe["Principal"] == {"Service": "events.amazonaws.com"}
    assert describe["Action"] == ["kms:DescribeKey"]
    assert describe["Condition"] == {"StringEquals": {"aws:SourceAccount": "123456789012"}}
