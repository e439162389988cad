"""Network: private subnets in two AZs, NAT only when configured, flow logs, endpoints, HTTPS-only Lambda SG."""

from __future__ import annotations

from components.network import GATEWAY_SERVICES, INTERFACE_SERVICES
from tests.infra.graph import Graph


def test_private_subnets_span_two_availability_zones(graph: Graph) -> None:
    private = [s for s in graph.of_type("aws:ec2/subnet:Subnet") if "-private-" in s.name]
    assert sorted(s.inputs["availabilityZone"] for s in private) == ["us-east-1a", "us-east-1b"]
    assert all(s.inputs["mapPublicIpOnLaunch"] is False for s in private)


def test_dev_has_no_nat_and_no_internet_route(dev: Graph) -> None:
    assert dev.of_type("aws:ec2/natGateway:NatGateway") == []
    assert dev.of_type("aws:ec2/internetGateway:InternetGateway") == []
    assert all(not table.inputs.get("routes") for table in dev.of_type("aws:ec2/routeTable:RouteTable"))


def test_prod_has_one_nat_per_zone_and_private_routes_through_it(prod: Graph) -> None:
    nats = prod.of_type("aws:ec2/natGateway:NatGateway")
    assert len(nats) == 2
    for zone in ("us-east-1a", "us-east-1b"):
        [route] = prod.named(f"network-private-{zone}-rt").inputs["routes"]
        assert route["cidrBlock"] == "0.0.0.0/0"
        assert route["natGatewayId"].startswith(f"network-nat-{zone}")


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
