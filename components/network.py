"""Network layer: a VPC with private subnets in two AZs, optional NAT, flow logs, VPC endpoints, a Lambda SG.

Deviation from the specification (docs/deviations.md, nat-gateways): both stacks run without NAT (`natGateway:
false`), since every service the Lambdas call has a VPC endpoint. The option is for the day a function must call a
public HTTPS endpoint that has none (a card network's or a sanctions-screening API): it then adds one NAT gateway
per zone, the private routes through them, and the Lambda security group's HTTPS egress to the internet, all three
together (the policy pack's `nat-gateway-in-use` refuses a NAT without the other two). It costs about $33 a month
per NAT ($66 for two zones) plus $0.045 per GB processed.
"""

from __future__ import annotations

import attrs
import pulumi
import pulumi_aws as aws

from components.common import (
    assume_role_policy,
    component_opts,
    log_group,
    policy_document,
    role_policy,
    statement,
)
from components.naming import log_group_path

GATEWAY_SERVICES = ("s3", "dynamodb")
INTERFACE_SERVICES = ("kinesis-streams", "logs", "monitoring", "sqs", "kms", "xray")
HTTPS = 443


@attrs.frozen
class NetworkArgs:
    stack: str
    region: str
    nat_gateway: bool
    log_retention_days: int
    logs_key_arn: pulumi.Input[str]
    account_id: pulumi.Input[str]
    cidr_block: str = "10.20.0.0/16"
    availability_zones: tuple[str, ...] = ("a", "b")


class Network(pulumi.ComponentResource):
    vpc: aws.ec2.Vpc
    private_subnets: list[aws.ec2.Subnet]
    lambda_security_group: aws.ec2.SecurityGroup
    endpoint_security_group: aws.ec2.SecurityGroup
    flow_log: aws.ec2.FlowLog

    def __init__(self, name: str, args: NetworkArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("securebank:pipeline:Network", name, None, component_opts(opts, args.stack, "network"))
        zones = [f"{args.region}{suffix}" for suffix in args.availability_zones]
        self.vpc = aws.ec2.Vpc(
            f"{name}-vpc",
            cidr_block=args.cidr_block,
            enable_dns_hostnames=True,
            enable_dns_support=True,
            opts=pulumi.ResourceOptions(parent=self),
        )
        # CKV2_AWS_12: the default security group allows nothing.
        aws.ec2.DefaultSecurityGroup(
            f"{name}-default-sg", vpc_id=self.vpc.id, ingress=[], egress=[], opts=pulumi.ResourceOptions(parent=self)
        )
        public_subnets = self._public_subnets(name, zones) if args.nat_gateway else []
        self.private_subnets, private_route_tables = self._private_subnets(name, zones, public_subnets)
        self.flow_log = self._flow_log(name, args)
        gateway_endpoints = self._gateway_endpoints(name, args, private_route_tables)
        self.lambda_security_group = self._lambda_security_group(f"{name}-lambda-sg", args, gateway_endpoints)
        self.endpoint_security_group = self._interface_endpoints(name, args)
        self.register_outputs(
            {
                "vpc_id": self.vpc.id,
                "private_subnet_ids": [subnet.id for subnet in self.private_subnets],
                "lambda_security_group_id": self.lambda_security_group.id,
            }
        )

    def _public_subnets(self, name: str, zones: list[str]) -> list[aws.ec2.Subnet]:
        """With NAT only: an internet gateway and one public subnet per zone, for the NAT gateways."""
        child = pulumi.ResourceOptions(parent=self)
        gateway = aws.ec2.InternetGateway(f"{name}-igw", vpc_id=self.vpc.id, opts=child)
        public_routes = aws.ec2.RouteTable(
            f"{name}-public-rt",
            vpc_id=self.vpc.id,
            routes=[{"cidr_block": "0.0.0.0/0", "gateway_id": gateway.id}],
            opts=child,
        )
        subnets = []
        for index, zone in enumerate(zones):
            subnet = aws.ec2.Subnet(
                f"{name}-public-{zone}",
                vpc_id=self.vpc.id,
                availability_zone=zone,
                cidr_block=f"10.20.{100 + index}.0/24",
                map_public_ip_on_launch=False,
                opts=child,
            )
            aws.ec2.RouteTableAssociation(
                f"{name}-public-{zone}-rta", subnet_id=subnet.id, route_table_id=public_routes.id, opts=child
            )
            subnets.append(subnet)
        return subnets

    def _private_subnets(
        self, name: str, zones: list[str], public_subnets: list[aws.ec2.Subnet]
    ) -> tuple[list[aws.ec2.Subnet], list[aws.ec2.RouteTable]]:
        """One private subnet per zone with its route table: a default route through that zone's NAT, if any."""
        child = pulumi.ResourceOptions(parent=self)
        subnets, tables = [], []
        for index, zone in enumerate(zones):
            subnet = aws.ec2.Subnet(
                f"{name}-private-{zone}",
                vpc_id=self.vpc.id,
                availability_zone=zone,
                cidr_block=f"10.20.{index}.0/24",
                map_public_ip_on_launch=False,
                opts=child,
            )
            routes = []
            if public_subnets:
                eip = aws.ec2.Eip(f"{name}-nat-{zone}-eip", domain="vpc", opts=child)
                nat = aws.ec2.NatGateway(
                    f"{name}-nat-{zone}", allocation_id=eip.id, subnet_id=public_subnets[index].id, opts=child
                )
                routes = [{"cidr_block": "0.0.0.0/0", "nat_gateway_id": nat.id}]
            table = aws.ec2.RouteTable(f"{name}-private-{zone}-rt", vpc_id=self.vpc.id, routes=routes, opts=child)
            aws.ec2.RouteTableAssociation(
                f"{name}-private-{zone}-rta", subnet_id=subnet.id, route_table_id=table.id, opts=child
            )
            subnets.append(subnet)
            tables.append(table)
        return subnets, tables

    def _flow_log(self, name: str, args: NetworkArgs) -> aws.ec2.FlowLog:
        flow_logs = log_group(
            f"{name}-flow-logs",
            log_group_path(args.stack, "vpc-flow-logs"),
            retention_days=args.log_retention_days,
            kms_key_arn=args.logs_key_arn,
            parent=self,
        )
        flow_role = aws.iam.Role(
            f"{name}-flow-logs-role",
            assume_role_policy=assume_role_policy("vpc-flow-logs.amazonaws.com", args.account_id),
            opts=pulumi.ResourceOptions(parent=self),
        )
        role_policy(
            f"{name}-flow-logs-policy",
            flow_role,
            policy_document(
                statement(
                    ["logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"],
                    [flow_logs.arn, pulumi.Output.concat(flow_logs.arn, ":*")],
                )
            ),
            self,
        )
        return aws.ec2.FlowLog(
            f"{name}-flow-log",
            vpc_id=self.vpc.id,
            traffic_type="ALL",
            log_destination_type="cloud-watch-logs",
            log_destination=flow_logs.arn,
            iam_role_arn=flow_role.arn,
            max_aggregation_interval=60,
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _gateway_endpoints(
        self, name: str, args: NetworkArgs, route_tables: list[aws.ec2.RouteTable]
    ) -> list[aws.ec2.VpcEndpoint]:
        return [
            aws.ec2.VpcEndpoint(
                f"{name}-{service}-endpoint",
                vpc_id=self.vpc.id,
                service_name=f"com.amazonaws.{args.region}.{service}",
                vpc_endpoint_type="Gateway",
                route_table_ids=[table.id for table in route_tables],
                opts=pulumi.ResourceOptions(parent=self),
            )
            for service in GATEWAY_SERVICES
        ]

    def _lambda_security_group(
        self, name: str, args: NetworkArgs, gateway_endpoints: list[aws.ec2.VpcEndpoint]
    ) -> aws.ec2.SecurityGroup:
        internet = [
            {
                "description": "HTTPS to the internet through the NAT gateways",
                "protocol": "tcp",
                "from_port": HTTPS,
                "to_port": HTTPS,
                "cidr_blocks": ["0.0.0.0/0"],
            }
        ]
        return aws.ec2.SecurityGroup(
            name,
            vpc_id=self.vpc.id,
            # The description is kept as deployed whatever the option (changing it replaces the group).
            description="SecureBank Lambda functions: outbound HTTPS only, to the VPC endpoints",
            egress=[
                *(internet if args.nat_gateway else []),
                {
                    "description": "HTTPS to interface endpoints",
                    "protocol": "tcp",
                    "from_port": HTTPS,
                    "to_port": HTTPS,
                    "cidr_blocks": [args.cidr_block],
                },
                {
                    "description": "HTTPS to the S3 and DynamoDB gateway endpoints",
                    "protocol": "tcp",
                    "from_port": HTTPS,
                    "to_port": HTTPS,
                    "prefix_list_ids": [endpoint.prefix_list_id for endpoint in gateway_endpoints],
                },
            ],
            ingress=[],
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _interface_endpoints(self, name: str, args: NetworkArgs) -> aws.ec2.SecurityGroup:
        """The interface endpoints in the private subnets, behind a security group open to the Lambdas only."""
        child = pulumi.ResourceOptions(parent=self)
        security_group = aws.ec2.SecurityGroup(
            f"{name}-endpoint-sg",
            vpc_id=self.vpc.id,
            description="SecureBank interface endpoints: HTTPS from the Lambda security group",
            ingress=[
                {
                    "description": "HTTPS from Lambda",
                    "protocol": "tcp",
                    "from_port": HTTPS,
                    "to_port": HTTPS,
                    "security_groups": [self.lambda_security_group.id],
                }
            ],
            egress=[],
            opts=child,
        )
        for service in INTERFACE_SERVICES:
            aws.ec2.VpcEndpoint(
                f"{name}-{service}-endpoint",
                vpc_id=self.vpc.id,
                service_name=f"com.amazonaws.{args.region}.{service}",
                vpc_endpoint_type="Interface",
                private_dns_enabled=True,
                subnet_ids=[subnet.id for subnet in self.private_subnets],
                security_group_ids=[security_group.id],
                opts=child,
            )
        return security_group
