"""Properties of the whole graph, both stacks: parenting, tags, encryption, logging, names, references."""

from __future__ import annotations

import inspect
import json
import re

from components.security import DOMAINS
from policy.checks import TAGGABLE_TYPES
from tests.infra.graph import Graph, Resource
from tests.infra.schema import resource_class, unknown_arguments

COMPONENTS = {
    "security": "Security",
    "network": "Network",
    "storage": "Storage",
    "processing": "Processing",
    "ingestion": "Ingestion",
    "access": "Access",
    "analytics": "Analytics",
    "monitoring": "Monitoring",
    "cases": "Cases",
    "dr": "DisasterRecovery",
}


def taggable(token: str) -> bool:
    return "tags" in inspect.signature(resource_class(token)[1]._internal_init).parameters


def aws_resources(graph: Graph) -> list[Resource]:
    return [r for r in graph if r.type.startswith("aws:")]


def test_the_stack_holds_exactly_one_component_per_layer(graph: Graph) -> None:
    top = {r.name: r.type for r in graph if r.parent is None and r.type != "pulumi:pulumi:Stack"}
    assert top == {name: f"securebank:pipeline:{kind}" for name, kind in COMPONENTS.items()}


def test_every_resource_is_a_named_child_of_its_component(graph: Graph) -> None:
    for resource in aws_resources(graph):
        assert resource.parent in COMPONENTS, f"{resource.name} is not parented to a component"
        assert resource.name.startswith(f"{resource.parent}-"), resource.name


def test_every_taggable_resource_carries_project_stack_and_component_tags(graph: Graph) -> None:
    checked = 0
    for resource in aws_resources(graph):
        if taggable(resource.type):
            tags = resource.inputs.get("tags")
            assert tags == {"project": "securebank", "stack": graph.stack, "component": resource.parent}, resource.name
            checked += 1
    assert checked > 50


def test_the_policy_packs_taggable_list_matches_the_provider_schema(graph: Graph) -> None:
    used = {r.type for r in aws_resources(graph)}
    assert {t for t in used if taggable(t)} <= TAGGABLE_TYPES
    assert all(taggable(t) for t in TAGGABLE_TYPES)


def test_every_log_group_has_retention_and_the_logs_key(graph: Graph) -> None:
    logs_key = graph.named("security-logs")
    groups = graph.of_type("aws:cloudwatch/logGroup:LogGroup")
    assert len(groups) >= 5
    from tests.infra.conftest import stack_config

    for group in groups:
        assert group.inputs["retentionInDays"] == stack_config(graph.stack)["logRetentionDays"]
        assert group.inputs["kmsKeyId"].endswith(logs_key_id(logs_key))


def logs_key_id(key: Resource) -> str:
    from securebank.infra.mocks import mock_outputs

    resource_id, _ = mock_outputs(key.type, key.name, key.inputs, "us-east-1")
    return resource_id


def test_every_kms_reference_points_at_a_key_of_this_stack(graph: Graph) -> None:
    key_ids = {logs_key_id(k) for k in graph.of_type("aws:kms/key:Key")}
    replica_names = {r.name for r in graph.of_type("aws:kms/replicaKey:ReplicaKey")}
    references = re.findall(r"arn:aws:kms:[a-z0-9-]+:\d+:key/([\w-]+)", json.dumps([r.inputs for r in graph]))
    assert references
    assert set(references) <= key_ids | {
        logs_key_id(Resource("aws:kms/replicaKey:ReplicaKey", n, None, {})) for n in replica_names
    }


def test_data_stores_are_encrypted_with_the_key_of_their_domain(graph: Graph) -> None:
    key_of = {
        domain: "arn:aws:kms:us-east-1:123456789012:key/" + logs_key_id(graph.named(f"security-{domain}"))
        for domain in DOMAINS
    }
    assert graph.one("aws:kinesis/stream:Stream").inputs["kmsKeyId"] == key_of["stream"]
    assert {t.inputs["serverSideEncryption"]["kmsKeyArn"] for t in graph.of_type("aws:dynamodb/table:Table")} == {
        key_of["tables"]
    }
    assert {q.inputs["kmsMasterKeyId"] for q in graph.of_type("aws:sqs/queue:Queue")} == {key_of["queues"]}
    assert graph.one("aws:sns/topic:Topic").inputs["kmsMasterKeyId"] == key_of["queues"]
    [rule] = graph.named("storage-lake-encryption").inputs["rules"]
    assert rule["applyServerSideEncryptionByDefault"]["kmsMasterKeyId"] == key_of["lake"]


def test_physical_names_are_unique_and_carry_the_stack(graph: Graph) -> None:
    named = [(r.type, r.inputs["name"]) for r in aws_resources(graph) if isinstance(r.inputs.get("name"), str)]
    assert len(named) == len(set(named))
    for token, name in named:
        # The catalog table lives in the per-stack database; API Gateway names its execution log group by API id.
        if token != "aws:glue/catalogTable:CatalogTable" and not name.startswith("API-Gateway-Execution-Logs_"):
            assert graph.stack in name, (token, name)


def test_no_security_group_opens_ingress_to_the_internet(graph: Graph) -> None:
    for group in graph.of_type("aws:ec2/securityGroup:SecurityGroup"):
        for rule in group.inputs.get("ingress") or []:
            assert "0.0.0.0/0" not in rule.get("cidrBlocks", [])


def test_trust_policies_are_scoped_to_this_account(graph: Graph) -> None:
    for role in graph.of_type("aws:iam/role:Role"):
        [trust] = role.statements("assumeRolePolicy")
        if "AWS" in trust["Principal"]:  # a role people assume (tests/infra/test_access.py): this account, with MFA
            assert trust["Principal"] == {"AWS": "arn:aws:iam::123456789012:root"}, role.name
            assert trust["Condition"]["Bool"] == {"aws:MultiFactorAuthPresent": "true"}, role.name
            continue
        assert trust["Condition"] == {"StringEquals": {"aws:SourceAccount": "123456789012"}}, role.name


def test_the_stack_exports_what_users_need(graph: Graph) -> None:
    exports = graph.one("pulumi:pulumi:Stack").inputs
    stage = graph.one("aws:apigateway/stage:Stage").inputs
    domains = graph.of_type("aws:apigateway/domainName:DomainName")  # the TLS 1.2 domain: tests/infra/test_edge.py
    if domains:
        assert exports["api_url"] == f"https://{domains[0].inputs['domainName']}"
    else:
        assert exports["api_url"].endswith(f"/{stage['stageName']}") and exports["api_url"].startswith("https://")
    assert exports["api_key_ids"] == [f"{k.name}-id" for k in graph.of_type("aws:apigateway/apiKey:ApiKey")]
    assert exports["stream_name"] == graph.one("aws:kinesis/stream:Stream").inputs["name"]
    assert exports["transactions_table"] == graph.named("storage-transactions").inputs["name"]
    assert exports["customers_table"] == graph.named("storage-customers").inputs["name"]
    assert exports["lake_bucket"] == graph.named("storage-lake").inputs["bucket"]
    assert sorted(exports["dashboards"]) == sorted(
        d.inputs["dashboardName"] for d in graph.of_type("aws:cloudwatch/dashboard:Dashboard")
    )


def test_every_argument_name_exists_in_the_provider_schema(graph: Graph) -> None:
    """Checked recursively against pulumi_aws's argument classes (tests/infra/schema.py)."""
    for resource in aws_resources(graph):
        assert unknown_arguments(resource.type, resource.inputs) == [], resource.name


def test_the_schema_check_catches_a_misspelt_nested_argument() -> None:
    token = "aws:apigateway/methodSettings:MethodSettings"
    assert unknown_arguments(token, {"settings": {"dataTraceEnabled": False}}) == []
    assert unknown_arguments(token, {"settings": {"dataTracedEnabled": False}}) == ["settings.dataTracedEnabled"]
