"""Ingestion layer: the REST API from contracts/openapi.yaml, writing to Storage's Kinesis stream, and its edge (WAF,
TLS 1.2 custom domain: components/edge.py)."""

from __future__ import annotations

import json

import attrs
import pulumi
import pulumi_aws as aws

from components import edge, waf
from components.common import (
    assume_role_policy,
    component_opts,
    log_group,
    policy_document,
    role_policy,
    statement,
)
from components.naming import log_group_path, physical_name
from components.openapi import body_hash, render_body
from contracts.aws import LABEL_PATH_SUFFIX, REVIEWS_PATH, TRANSACTIONS_PATH

STAGE = "v1"
STAGE_RATE_LIMIT = 10_000  # requests per second for the whole stage (`*/*`)
STAGE_BURST_LIMIT = 5_000
CLIENT_RATE_LIMIT = 1_000  # per API key (usage plan)
CLIENT_BURST_LIMIT = 2_000
CLIENT_DAILY_QUOTA = 50_000_000
# Consistent with the usage plan: one key within its plan (burst + rate x window) is never blocked by the WAF.
WAF_RATE_LIMIT_PER_IP = waf.rate_limit_per_ip(CLIENT_RATE_LIMIT, CLIENT_BURST_LIMIT)  # 302,000 per 5 minutes
CACHE_TTL_SECONDS = 300
# The cases function's routes, as API Gateway's source ARN writes them (`*` for the transaction_id).
CASES_ROUTES = {"reviews": ("GET", REVIEWS_PATH), "label": ("POST", f"{TRANSACTIONS_PATH}/*{LABEL_PATH_SUFFIX}")}
CACHED_METHOD_PATH = "v1/transactions/{transaction_id}/GET"
ACCESS_LOG_FORMAT = {
    "requestId": "$context.requestId",
    "extendedRequestId": "$context.extendedRequestId",
    "ip": "$context.identity.sourceIp",
    "caller": "$context.identity.caller",
    "apiKeyId": "$context.identity.apiKeyId",
    "requestTime": "$context.requestTime",
    "httpMethod": "$context.httpMethod",
    "resourcePath": "$context.resourcePath",
    "status": "$context.status",
    "protocol": "$context.protocol",
    "responseLength": "$context.responseLength",
    "integrationLatency": "$context.integrationLatency",
    "latency": "$context.responseLatency",
    "xrayTraceId": "$context.xrayTraceId",
}


@attrs.frozen
class IngestionArgs:
    stack: str
    region: str
    account_id: pulumi.Input[str]
    stream_name: pulumi.Input[str]
    stream_arn: pulumi.Input[str]
    stream_key_arn: pulumi.Input[str]
    logs_key_arn: pulumi.Input[str]
    log_retention_days: int
    query_function_name: pulumi.Input[str]
    query_invoke_arn: pulumi.Input[str]
    cases_function_name: pulumi.Input[str]
    cases_invoke_arn: pulumi.Input[str]
    """The review queue and label function (GET /v1/reviews, POST /v1/transactions/{id}/label)."""
    cors_origin: str
    api_clients: tuple[str, ...] = ("merchant-gateway",)
    domain_name: str | None = None
    """The custom domain (TLS 1.2); with one, the default execute-api endpoint (TLS 1.0 too) is disabled."""
    certificate_arn: str | None = None

    @property
    def has_domain(self) -> bool:
        return bool(self.domain_name and self.certificate_arn)


class Ingestion(pulumi.ComponentResource):
    api: aws.apigateway.RestApi
    deployment: aws.apigateway.Deployment
    stage: aws.apigateway.Stage
    usage_plan: aws.apigateway.UsagePlan
    api_keys: list[aws.apigateway.ApiKey]
    api_role: aws.iam.Role
    web_acl: aws.wafv2.WebAcl
    custom_domain: edge.CustomDomain | None
    url: pulumi.Output[str]

    def __init__(self, name: str, args: IngestionArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("securebank:pipeline:Ingestion", name, None, component_opts(opts, args.stack, "ingestion"))
        self.api_role = self._api_role(name, args)
        body = self._body(args)
        self.api = self._rest_api(name, args, body)
        self.deployment = self._deployment(name, body)
        self.stage = self._stage(name, args)
        self._method_settings(name)
        self.usage_plan, self.api_keys = self._clients(name, args)
        self.web_acl = edge.web_acl(
            name,
            self,
            edge.WebAclArgs(
                args.stack, self.stage.arn, WAF_RATE_LIMIT_PER_IP, args.logs_key_arn, args.log_retention_days
            ),
        )
        self.custom_domain = None
        if args.domain_name and args.certificate_arn:
            self.custom_domain = edge.custom_domain(
                name, self, args.domain_name, args.certificate_arn, self.api, self.stage
            )
        self.url = self.custom_domain.url if self.custom_domain else self.stage.invoke_url
        self.register_outputs({"api_url": self.url, "api_key_ids": [key.id for key in self.api_keys]})

    def _api_role(self, name: str, args: IngestionArgs) -> aws.iam.Role:
        """The role the POST integration assumes: PutRecord on this stream only, encrypting through Kinesis."""
        role = aws.iam.Role(
            f"{name}-api-role",
            assume_role_policy=assume_role_policy("apigateway.amazonaws.com", args.account_id),
            opts=pulumi.ResourceOptions(parent=self),
        )
        role_policy(
            f"{name}-api-put-record",
            role,
            policy_document(
                statement(["kinesis:PutRecord"], [args.stream_arn], sid="PutRecordOnThisStreamOnly"),
                statement(
                    ["kms:GenerateDataKey"],
                    [args.stream_key_arn],
                    sid="EncryptRecordsThroughKinesis",
                    condition={"StringEquals": {"kms:ViaService": f"kinesis.{args.region}.amazonaws.com"}},
                ),
            ),
            self,
        )
        return role

    def _body(self, args: IngestionArgs) -> pulumi.Output[str]:
        """contracts/openapi.yaml with its placeholders filled and the deployment overlays (components/openapi.py)."""
        inputs = (args.stream_name, self.api_role.arn, args.query_invoke_arn, args.cases_invoke_arn)
        return pulumi.Output.all(*inputs).apply(
            lambda values: render_body(
                {
                    "region": args.region,
                    "stream_name": values[0],
                    "api_role_arn": values[1],
                    "query_lambda_invoke_arn": values[2],
                    "cases_lambda_invoke_arn": values[3],
                },
                args.cors_origin,
            )
        )

    def _rest_api(self, name: str, args: IngestionArgs, body: pulumi.Output[str]) -> aws.apigateway.RestApi:
        api = aws.apigateway.RestApi(
            f"{name}-api",
            name=physical_name(args.stack),
            description="SecureBank transactions API (contracts/openapi.yaml)",
            body=body,
            put_rest_api_mode="overwrite",
            fail_on_warnings=True,
            endpoint_configuration={"types": "REGIONAL"},
            # The default endpoint accepts TLS 1.0: with a TLS 1.2 custom domain, the domain is the only way in.
            disable_execute_api_endpoint=args.has_domain,
            opts=pulumi.ResourceOptions(parent=self),
        )
        aws.lambda_.Permission(
            f"{name}-api-invokes-query",
            action="lambda:InvokeFunction",
            function=args.query_function_name,
            principal="apigateway.amazonaws.com",
            source_arn=pulumi.Output.concat(api.execution_arn, "/*/GET", TRANSACTIONS_PATH, "/*"),
            opts=pulumi.ResourceOptions(parent=self),
        )
        for route, (method, path) in CASES_ROUTES.items():
            aws.lambda_.Permission(
                f"{name}-api-invokes-cases-{route}",
                action="lambda:InvokeFunction",
                function=args.cases_function_name,
                principal="apigateway.amazonaws.com",
                source_arn=pulumi.Output.concat(api.execution_arn, "/*/", method, path),
                opts=pulumi.ResourceOptions(parent=self),
            )
        return api

    def _deployment(self, name: str, body: pulumi.Output[str]) -> aws.apigateway.Deployment:
        # API Gateway does not redeploy on its own: the body hash is the trigger (STYLE 11).
        return aws.apigateway.Deployment(
            f"{name}-deployment",
            rest_api=self.api.id,
            description="Body hash is the trigger; a changed contract redeploys",
            triggers={"body_sha256": body.apply(body_hash)},
            opts=pulumi.ResourceOptions(parent=self, replace_on_changes=["triggers"], delete_before_replace=False),
        )

    def _stage(self, name: str, args: IngestionArgs) -> aws.apigateway.Stage:
        """The stage, after its access and execution log groups and the account's CloudWatch role exist."""
        access_logs = log_group(
            f"{name}-access-logs",
            log_group_path(args.stack, "api-access"),
            retention_days=args.log_retention_days,
            kms_key_arn=args.logs_key_arn,
            parent=self,
        )
        execution_logs = log_group(
            f"{name}-execution-logs",
            pulumi.Output.concat("API-Gateway-Execution-Logs_", self.api.id, "/", STAGE),
            retention_days=args.log_retention_days,
            kms_key_arn=args.logs_key_arn,
            parent=self,
        )
        return aws.apigateway.Stage(
            f"{name}-stage",
            rest_api=self.api.id,
            deployment=self.deployment.id,
            stage_name=STAGE,
            xray_tracing_enabled=True,
            cache_cluster_enabled=True,
            cache_cluster_size="0.5",
            access_log_settings={"destination_arn": access_logs.arn, "format": json.dumps(ACCESS_LOG_FORMAT)},
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self._logging_account(name, args), execution_logs]),
        )

    def _logging_account(self, name: str, args: IngestionArgs) -> aws.apigateway.Account:
        logging_role = aws.iam.Role(
            f"{name}-api-logging-role",
            assume_role_policy=assume_role_policy("apigateway.amazonaws.com", args.account_id),
            opts=pulumi.ResourceOptions(parent=self),
        )
        logging_policy = aws.iam.RolePolicyAttachment(
            f"{name}-api-logging-policy",
            role=logging_role.name,
            policy_arn="arn:aws:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs",
            opts=pulumi.ResourceOptions(parent=self),
        )
        # Per-region singleton: see docs/infrastructure.md. The role must be able to push logs before it is set.
        return aws.apigateway.Account(
            f"{name}-api-account",
            cloudwatch_role_arn=logging_role.arn,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[logging_policy]),
        )

    def _method_settings(self, name: str) -> None:
        """Stage-wide throttling and logging (`*/*`), and the cache on GET by id."""
        common = {
            "metrics_enabled": True,
            "logging_level": "INFO",
            "data_trace_enabled": False,  # full request logging would write card data to logs
            "throttling_rate_limit": STAGE_RATE_LIMIT,
            "throttling_burst_limit": STAGE_BURST_LIMIT,
        }
        aws.apigateway.MethodSettings(
            f"{name}-all-methods",
            rest_api=self.api.id,
            stage_name=self.stage.stage_name,
            method_path="*/*",
            settings={**common, "caching_enabled": False, "cache_data_encrypted": True},
            opts=pulumi.ResourceOptions(parent=self),
        )
        aws.apigateway.MethodSettings(
            f"{name}-get-by-id-cache",
            rest_api=self.api.id,
            stage_name=self.stage.stage_name,
            method_path=CACHED_METHOD_PATH,
            settings={
                **common,
                "caching_enabled": True,
                "cache_ttl_in_seconds": CACHE_TTL_SECONDS,
                "cache_data_encrypted": True,
                "require_authorization_for_cache_control": True,
                "unauthorized_cache_control_header_strategy": "FAIL_WITH_403",
            },
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _clients(self, name: str, args: IngestionArgs) -> tuple[aws.apigateway.UsagePlan, list[aws.apigateway.ApiKey]]:
        """The usage plan (per-key throttle and daily quota) and one API key per client on it."""
        child = pulumi.ResourceOptions(parent=self)
        usage_plan = aws.apigateway.UsagePlan(
            f"{name}-usage-plan",
            name=physical_name(args.stack, "clients"),
            api_stages=[{"api_id": self.api.id, "stage": self.stage.stage_name}],
            throttle_settings={"rate_limit": CLIENT_RATE_LIMIT, "burst_limit": CLIENT_BURST_LIMIT},
            quota_settings={"limit": CLIENT_DAILY_QUOTA, "period": "DAY"},
            opts=child,
        )
        keys = []
        for client in args.api_clients:
            key = aws.apigateway.ApiKey(f"{name}-key-{client}", name=physical_name(args.stack, client), opts=child)
            aws.apigateway.UsagePlanKey(
                f"{name}-key-{client}-plan",
                key_id=key.id,
                key_type="API_KEY",
                usage_plan_id=usage_plan.id,
                opts=child,
            )
            keys.append(key)
        return usage_plan, keys
