"""Network: no NAT gateway without a route that uses it and a security group that can reach the internet through it.

Per-resource checks take `(resource_type, props)` and return violation messages; stack checks take every resource
(`{"type", "name", "inputs"}`) and return `(resource name, message)` pairs. policy/checks.py registers both tables.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterator
from typing import Any

from policy.props import as_list

NAT_GATEWAY = "aws:ec2/natGateway:NatGateway"
ROUTE = "aws:ec2/route:Route"
ROUTE_TABLE = "aws:ec2/routeTable:RouteTable"
SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"
SECURITY_GROUP_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
EGRESS_RULE = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"


def _nat_routes(resources: list[dict[str, Any]]) -> Iterator[str]:
    """The `natGatewayId` of every route: standalone `Route`s and the inline routes of `RouteTable`s."""
    for resource in resources:
        if resource["type"] == ROUTE:
            routes = [resource["inputs"]]
        elif resource["type"] == ROUTE_TABLE:
            routes = as_list(resource["inputs"].get("routes"))
        else:
            continue
        yield from (route["natGatewayId"] for route in routes if route.get("natGatewayId"))


def _is_public(cidr: Any) -> bool:
    """A destination beyond private address space (0.0.0.0/0 included): only a NAT or an internet gateway reaches it."""
    try:
        network = ipaddress.ip_network(str(cidr), strict=False)
    except ValueError:
        return False
    return not network.is_private


def _egress_cidrs(resource: dict[str, Any]) -> list[Any]:
    """The destination CIDRs of a resource's egress rules, whichever of the three forms declares them."""
    inputs = resource["inputs"]
    if resource["type"] == SECURITY_GROUP:
        rules = as_list(inputs.get("egress"))
        return [cidr for rule in rules for key in ("cidrBlocks", "ipv6CidrBlocks") for cidr in as_list(rule.get(key))]
    if resource["type"] == SECURITY_GROUP_RULE and inputs.get("type") == "egress":
        return [*as_list(inputs.get("cidrBlocks")), *as_list(inputs.get("ipv6CidrBlocks"))]
    if resource["type"] == EGRESS_RULE:
        return [inputs.get("cidrIpv4"), inputs.get("cidrIpv6")]
    return []


def _uses(route_target: str, nat: dict[str, Any]) -> bool:
    """A route names this NAT: by its id when the engine passes it, else by the offline plan's mock id
    (`<resource name>-<digest>`, securebank/infra/mock_outputs.py)."""
    nat_id = nat["inputs"].get("id")
    return route_target == nat_id if nat_id else route_target.startswith(f"{nat['name']}-")


def nat_gateways_in_use(resources: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """A NAT gateway costs about $33 a month plus $0.045 per GB whether or not anything uses it. It is in use only if
    a route sends traffic to it and some security group lets traffic out to the internet (the NAT's only purpose)."""
    nats = [r for r in resources if r["type"] == NAT_GATEWAY]
    if not nats:
        return []
    targets = list(_nat_routes(resources))
    internet_egress = any(_is_public(cidr) for r in resources for cidr in _egress_cidrs(r))
    found = []
    for nat in nats:
        if not any(_uses(target, nat) for target in targets):
            found.append((nat["name"], "NAT gateway without a route that uses it"))
        if not internet_egress:
            found.append((nat["name"], "NAT gateway, but no security group egress reaches the internet through it"))
    return found


CHECKS: dict[str, tuple[str, Callable[[str, dict[str, Any]], list[str]]]] = {}
STACK_CHECKS: dict[str, tuple[str, Callable[[list[dict[str, Any]]], list[tuple[str, str]]]]] = {
    "nat-gateway-in-use": (
        "No NAT gateway without a route that uses it and a security group egress to the internet",
        nat_gateways_in_use,
    ),
}
