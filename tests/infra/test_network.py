"""Network: private subnets in two AZs, no NAT unless something uses it, flow logs, endpoints, HTTPS-only Lambda SG."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from components.network import GATEWAY_SERVICES, INTERFACE_SERVICES
from policy.checks import STACK_CHECKS
from policy.network import nat_gateways_in_use
from tests.infra.conftest import ROOT, plan_command
from tests.infra.graph import Graph

NAT = "aws:ec2/natGateway:NatGateway"


def test_private_subnets_span_two_availability_zones(graph: Graph) -> None:
    private = [s for s in graph.of_type("aws:ec2/subnet:Subnet") if "-private-" in s.name]
    assert sorted(s.inputs["availabilityZone"] for s in private) == ["us-east-1a", "us-east-1b"]
    assert all(s.inputs["mapPublicIpOnLaunch"] is False for s in private)


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_no_stack_has_a_nat_or_an_internet_route(stack: str, graphs: dict[str, Graph]) -> None:
    graph = graphs[stack]
    assert graph.of_type(NAT) == []
    assert graph.of_type("aws:ec2/internetGateway:InternetGateway") == []
    assert all(not table.inputs.get("routes") for table in graph.of_type("aws:ec2/routeTable:RouteTable"))


@pytest.fixture(scope="module")
def with_nat(tmp_path_factory: pytest.TempPathFactory) -> Graph:
    """The prod plan with `natGateway: true`, on a snapshot of the tree (the committed stacks both leave it off)."""
    snapshot = tmp_path_factory.mktemp("nat") / "tree"
    ignore = shutil.ignore_patterns("venv", ".git", "build", "__pycache__", "*.pyc", ".*_cache", ".hypothesis", "tests")
    shutil.copytree(ROOT, snapshot, ignore=ignore)
    stack_file = snapshot / "Pulumi.prod.yaml"
    stack_file.write_text(stack_file.read_text().replace("natGateway: false", "natGateway: true"))
    result = subprocess.run(plan_command("prod"), cwd=snapshot, capture_output=True, text=True, timeout=300, check=True)
    return Graph.from_json("prod", result.stdout)


def test_the_nat_option_brings_its_routes_and_internet_egress_and_passes_the_pack(with_nat: Graph) -> None:
    assert len(with_nat.of_type(NAT)) == 2
    for zone in ("us-east-1a", "us-east-1b"):
        [route] = with_nat.named(f"network-private-{zone}-rt").inputs["routes"]
        assert route["cidrBlock"] == "0.0.0.0/0"
        assert route["natGatewayId"].startswith(f"network-nat-{zone}")
    egress = with_nat.named("network-lambda-sg").inputs["egress"]
    assert [r["cidrBlocks"] for r in egress if r.get("cidrBlocks") == ["0.0.0.0/0"]] == [["0.0.0.0/0"]]
    resources = [{"type": r.type, "name": r.name, "inputs": r.inputs} for r in with_nat]
    assert nat_gateways_in_use(resources) == []


def test_a_nat_whose_traffic_no_security_group_lets_out_is_refused(with_nat: Graph) -> None:
    """The prod stack before this rule: NAT gateways and routes, but the Lambdas' egress stops at the endpoints."""
    resources = [{"type": r.type, "name": r.name, "inputs": r.inputs} for r in with_nat]
    for resource in resources:
        if resource["name"] == "network-lambda-sg":
            egress = resource["inputs"]["egress"]
            resource["inputs"] = {
                **resource["inputs"],
                "egress": [r for r in egress if "0.0.0.0/0" not in r.get("cidrBlocks", [])],
            }
    found = nat_gateways_in_use(resources)
    assert sorted(name for name, _ in found) == ["network-nat-us-east-1a", "network-nat-us-east-1b"]
    assert all("no security group egress reaches the internet" in message for _, message in found)


def test_flow_logs_capture_all_traffic_into_an_encrypted_log_group(graph: Graph) -> None:
    flow = graph.one("aws:ec2/flowLog:FlowLog")
    assert flow.inputs["trafficType"] == "ALL"
    assert flow.inputs["logDestinationType"] == "cloud-watch-logs"
    group = graph.named("network-flow-logs")
    assert flow.inputs["logDestination"].endswith(group.inputs["name"])
    assert group.inputs["kmsKeyId"] and group.inputs["retentionInDays"]


def test_gateway_and_interface_endpoints(graph: Graph) -> None:
    endpoints = {e.inputs["serviceName"]: e for e in graph.of_type("aws:ec2/vpcEndpoint:VpcEndpoint")}
    for service in GATEWAY_SERVICES:
        endpoint = endpoints[f"com.amazonaws.us-east-1.{service}"]
        assert endpoint.inputs["vpcEndpointType"] == "Gateway"
        assert len(endpoint.inputs["routeTableIds"]) == 2
    assert {"kinesis-streams", "logs", "monitoring", "sqs", "kms"} <= set(INTERFACE_SERVICES)
    for service in INTERFACE_SERVICES:
        endpoint = endpoints[f"com.amazonaws.us-east-1.{service}"]
        assert endpoint.inputs["vpcEndpointType"] == "Interface"
        assert endpoint.inputs["privateDnsEnabled"] is True
        assert len(endpoint.inputs["subnetIds"]) == 2


def test_lambda_security_group_allows_outbound_https_only_and_no_inbound(graph: Graph) -> None:
    group = graph.named("network-lambda-sg")
    assert group.inputs.get("ingress") in (None, [])
    egress = group.inputs["egress"]
    assert egress and all((r["protocol"], r["fromPort"], r["toPort"]) == ("tcp", 443, 443) for r in egress)
    prefix_lists = {pl for rule in egress for pl in rule.get("prefixListIds", [])}
    gateway = {
        e.name for e in graph.of_type("aws:ec2/vpcEndpoint:VpcEndpoint") if e.inputs["vpcEndpointType"] == "Gateway"
    }
    assert len(prefix_lists) == len(gateway) == 2


def test_endpoints_accept_https_only_from_the_lambda_group(graph: Graph) -> None:
    [rule] = graph.named("network-endpoint-sg").inputs["ingress"]
    assert (rule["fromPort"], rule["toPort"]) == (443, 443)
    [group] = rule["securityGroups"]
    assert group.startswith("network-lambda-sg-")  # the mock id of the Lambda security group


def test_default_security_group_allows_nothing(graph: Graph) -> None:
    default = graph.one("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup")
    assert default.inputs.get("ingress") in (None, []) and default.inputs.get("egress") in (None, [])


def _nat_fixture(*, route: bool, egress_cidr: str) -> list[dict]:
    """The smallest stack the rule judges: one NAT gateway, a route table, a security group."""
    routes = [{"cidrBlock": "0.0.0.0/0", "natGatewayId": "nat-1-0123abcd"}] if route else []
    egress = [{"protocol": "tcp", "fromPort": 443, "toPort": 443, "cidrBlocks": [egress_cidr]}]
    return [
        {"type": NAT, "name": "nat-1", "inputs": {"subnetId": "public-a"}},
        {"type": "aws:ec2/routeTable:RouteTable", "name": "private-rt", "inputs": {"routes": routes}},
        {"type": "aws:ec2/securityGroup:SecurityGroup", "name": "lambda-sg", "inputs": {"egress": egress}},
    ]


def test_the_nat_rule_is_registered_in_the_policy_pack() -> None:
    assert STACK_CHECKS["nat-gateway-in-use"][1] is nat_gateways_in_use


def test_the_nat_rule_refuses_a_nat_without_a_route() -> None:
    assert nat_gateways_in_use(_nat_fixture(route=False, egress_cidr="0.0.0.0/0")) == [
        ("nat-1", "NAT gateway without a route that uses it")
    ]


def test_the_nat_rule_refuses_a_nat_behind_egress_that_stays_in_the_vpc() -> None:
    assert nat_gateways_in_use(_nat_fixture(route=True, egress_cidr="10.20.0.0/16")) == [
        ("nat-1", "NAT gateway, but no security group egress reaches the internet through it")
    ]


@pytest.mark.parametrize(
    "egress",
    [
        {
            "type": "aws:ec2/securityGroupRule:SecurityGroupRule",
            "inputs": {"type": "egress", "cidrBlocks": ["0.0.0.0/0"]},
        },
        {"type": "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule", "inputs": {"cidrIpv6": "::/0"}},
    ],
    ids=["security-group-rule", "egress-rule"],
)
def test_the_nat_rule_accepts_a_route_and_internet_egress_in_any_form(egress: dict) -> None:
    stack = [*_nat_fixture(route=True, egress_cidr="10.20.0.0/16"), {"name": "rule", **egress}]
    assert nat_gateways_in_use(stack) == []


def test_the_nat_rule_matches_a_route_to_the_nat_by_its_id_when_the_engine_passes_it() -> None:
    stack = _nat_fixture(route=True, egress_cidr="0.0.0.0/0")
    stack[0]["inputs"]["id"] = "nat-0f00"  # a deployed NAT: the route names another one
    assert nat_gateways_in_use(stack) == [("nat-1", "NAT gateway without a route that uses it")]
