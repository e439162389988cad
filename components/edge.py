"""The API's edge, in front of the stage: the web ACL (rules in components/waf.py) and a regional custom domain with
the TLS 1.2 security policy.

API Gateway's default execute-api endpoint accepts TLS 1.0; a custom domain's `TLS_1_2` policy does not. So when a
stack has a domain, Ingestion also disables the default endpoint (every request then arrives through the domain).
The DNS record (an alias or CNAME to `regional_domain_name`) lives outside the stack: docs/infrastructure.md.
"""

from __future__ import annotations

import attrs
import pulumi
import pulumi_aws as aws

from components import waf
from components.common import log_group
from components.naming import physical_name

SECURITY_POLICY = "TLS_1_2"


@attrs.frozen
class CustomDomain:
    domain: aws.apigateway.DomainName
    mapping: aws.apigateway.BasePathMapping

    @property
    def url(self) -> pulumi.Output[str]:
        """The API's base URL through the domain; resource paths (`/v1/transactions`) follow it, as on the stage."""
        return pulumi.Output.concat("https://", self.domain.domain_name)


def custom_domain(
    name: str,
    parent: pulumi.Resource,
    domain_name: str,
    certificate_arn: str,
    api: aws.apigateway.RestApi,
    stage: aws.apigateway.Stage,
) -> CustomDomain:
    """A REGIONAL domain (its ACM certificate must be in the stack's region) whose root maps to `stage`."""
    child = pulumi.ResourceOptions(parent=parent)
    domain = aws.apigateway.DomainName(
        f"{name}-domain",
        domain_name=domain_name,
        regional_certificate_arn=certificate_arn,
        endpoint_configuration={"types": "REGIONAL"},
        security_policy=SECURITY_POLICY,
        opts=child,
    )
    # No base path: https://<domain>/v1/transactions is the stage's /v1/transactions.
    mapping = aws.apigateway.BasePathMapping(
        f"{name}-domain-mapping",
        domain_name=domain.domain_name,
        rest_api=api.id,
        stage_name=stage.stage_name,
        opts=child,
    )
    return CustomDomain(domain, mapping)


@attrs.frozen
class WebAclArgs:
    stack: str
    stage_arn: pulumi.Input[str]
    limit_per_ip: int
    logs_key_arn: pulumi.Input[str]
    log_retention_days: int


def web_acl(name: str, parent: pulumi.Resource, args: WebAclArgs) -> aws.wafv2.WebAcl:
    """The web ACL on the stage, logging to its own group without credentials."""
    child = pulumi.ResourceOptions(parent=parent)
    acl = aws.wafv2.WebAcl(
        f"{name}-waf",
        name=physical_name(args.stack, "api"),
        scope="REGIONAL",
        default_action={"allow": {}},
        custom_response_bodies=waf.custom_response_bodies(),
        rules=waf.rules(args.limit_per_ip),
        visibility_config=waf.visibility(physical_name(args.stack, "api")),
        opts=child,
    )
    waf_logs = log_group(
        f"{name}-waf-logs",
        f"aws-waf-logs-{physical_name(args.stack)}",  # WAF requires the aws-waf-logs- prefix
        retention_days=args.log_retention_days,
        kms_key_arn=args.logs_key_arn,
        parent=parent,
    )
    aws.wafv2.WebAclLoggingConfiguration(
        f"{name}-waf-logging",
        resource_arn=acl.arn,
        log_destination_configs=[waf_logs.arn],
        # Credentials never reach the logs.
        redacted_fields=[{"single_header": {"name": "authorization"}}, {"single_header": {"name": "x-api-key"}}],
        opts=child,
    )
    aws.wafv2.WebAclAssociation(f"{name}-waf-association", resource_arn=args.stage_arn, web_acl_arn=acl.arn, opts=child)
    return acl
