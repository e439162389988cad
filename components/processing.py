"""Processing layer: processor, query, cases, flag-events (the outbox pipe's enrichment) and cost-reporter Lambdas,
the Kinesis event source mapping, the queues."""

from __future__ import annotations

from typing import Any

import attrs
import pulumi
import pulumi_aws as aws

from components import roles
from components.common import component_opts, deny_insecure_transport, log_group, policy_document, role_policy
from components.naming import PROJECT, physical_name
from contracts.aws import (
    CASES_FUNCTION,
    COST_REPORTER_FUNCTION,
    DEFAULT_POLICY_CACHE_SECONDS,
    ENV_CUSTOMERS_TABLE,
    ENV_LAKE_BUCKET,
    ENV_LOG_LEVEL,
    ENV_POLICY_CACHE_SECONDS,
    ENV_QUARANTINE_QUEUE_URL,
    ENV_SERVICE_NAME,
    ENV_STACK_NAME,
    ENV_TRANSACTIONS_TABLE,
    EVENT_SOURCE,
    FLAG_EVENTS_FUNCTION,
    ON_FAILURE_QUEUE,
    PROCESSOR_FUNCTION,
    QUARANTINE_DLQ,
    QUARANTINE_MAX_RECEIVES,
    QUARANTINE_QUEUE,
    QUERY_FUNCTION,
    QUEUE_RETENTION_SECONDS,
    SERVICE_NAME,
    LambdaSpec,
)

RUNTIME = "python3.12"
ARCHITECTURE = "arm64"
FLAG_EVENTS_CONCURRENCY = 10  # the outbox pipe's enrichment: no AWS call, outside the VPC; a throttled batch retries
COST_REPORT_SCHEDULE = "cron(0 6 * * ? *)"  # daily, 06:00 UTC: Cost Explorer has settled yesterday by then


@attrs.frozen
class ProcessingArgs:
    stack: str
    region: str
    account_id: pulumi.Input[str]
    code: pulumi.Archive
    layer: pulumi.Archive
    memory_mb: int
    timeout_seconds: int
    processor_concurrency: int
    query_concurrency: int
    log_retention_days: int
    subnet_ids: list[pulumi.Input[str]]
    security_group_id: pulumi.Input[str]
    stream_arn: pulumi.Input[str]
    transactions_table_name: pulumi.Input[str]
    transactions_table_arn: pulumi.Input[str]
    customers_table_name: pulumi.Input[str]
    customers_table_arn: pulumi.Input[str]
    lake_bucket_name: pulumi.Input[str]
    lake_bucket_arn: pulumi.Input[str]
    keys: dict[str, pulumi.Input[str]]  # KMS key ARN per security domain


class Processing(pulumi.ComponentResource):
    processor: aws.lambda_.Function
    query: aws.lambda_.Function
    cases: aws.lambda_.Function
    """GET /v1/reviews and POST /v1/transactions/{id}/label (handlers/cases.py)."""
    flag_events: aws.lambda_.Function  # the outbox pipe's enrichment (handlers/flag_events.py, components/outbox.py)
    cost_reporter: aws.lambda_.Function
    event_source_mapping: aws.lambda_.EventSourceMapping
    quarantine_queue: aws.sqs.Queue
    quarantine_dlq: aws.sqs.Queue
    on_failure_queue: aws.sqs.Queue
    cost_reporter_dlq: aws.sqs.Queue
    layer: aws.lambda_.LayerVersion

    def __init__(self, name: str, args: ProcessingArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("securebank:pipeline:Processing", name, None, component_opts(opts, args.stack, "processing"))
        self.quarantine_dlq, self.quarantine_queue, self.on_failure_queue, self.cost_reporter_dlq = self._queues(
            name, args
        )
        self.layer = aws.lambda_.LayerVersion(
            f"{name}-dependencies",
            layer_name=physical_name(args.stack, base=f"{PROJECT}-dependencies"),
            description="attrs, cattrs, powertools, jsonschema (requirements-lambda.txt, manylinux2014_aarch64)",
            code=args.layer,
            compatible_runtimes=[RUNTIME],
            compatible_architectures=[ARCHITECTURE],
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.processor, self.query, self.cases, self.cost_reporter = self._functions(name, args)
        self.flag_events = self._function(name, FLAG_EVENTS_FUNCTION, args, {}, [], FLAG_EVENTS_CONCURRENCY, None)
        self.event_source_mapping = self._event_source_mapping(f"{name}-processor-kinesis", args)
        self._cost_report_schedule(name)
        self.register_outputs(
            {
                "processor": self.processor.name,
                "query": self.query.name,
                "cases": self.cases.name,
                "cost_reporter": self.cost_reporter.name,
                "quarantine_queue_url": self.quarantine_queue.url,
                "on_failure_queue_url": self.on_failure_queue.url,
            }
        )

    def _queues(
        self, name: str, args: ProcessingArgs
    ) -> tuple[aws.sqs.Queue, aws.sqs.Queue, aws.sqs.Queue, aws.sqs.Queue]:
        """The quarantine DLQ, the quarantine, the mapping's on-failure queue and the cost reporter's DLQ."""
        queues_key = args.keys["queues"]
        quarantine_dlq = self._queue(
            f"{name}-quarantine-dlq", physical_name(args.stack, base=QUARANTINE_DLQ), queues_key
        )
        quarantine = self._queue(
            f"{name}-quarantine",
            physical_name(args.stack, base=QUARANTINE_QUEUE),
            queues_key,
            redrive_policy=pulumi.Output.json_dumps(
                {"deadLetterTargetArn": quarantine_dlq.arn, "maxReceiveCount": QUARANTINE_MAX_RECEIVES}
            ),
        )
        on_failure = self._queue(f"{name}-on-failure", physical_name(args.stack, base=ON_FAILURE_QUEUE), queues_key)
        cost_reporter_dlq = self._queue(
            f"{name}-cost-reporter-dlq", physical_name(args.stack, base=f"{PROJECT}-cost-reporter-dlq"), queues_key
        )
        return quarantine_dlq, quarantine, on_failure, cost_reporter_dlq

    def _functions(
        self, name: str, args: ProcessingArgs
    ) -> tuple[aws.lambda_.Function, aws.lambda_.Function, aws.lambda_.Function, aws.lambda_.Function]:
        """The four Lambdas, each with the environment its spec names and its own least-privilege role."""
        environment = {
            ENV_TRANSACTIONS_TABLE: args.transactions_table_name,
            ENV_CUSTOMERS_TABLE: args.customers_table_name,
            ENV_LAKE_BUCKET: args.lake_bucket_name,
            ENV_QUARANTINE_QUEUE_URL: self.quarantine_queue.url,
            ENV_POLICY_CACHE_SECONDS: str(DEFAULT_POLICY_CACHE_SECONDS),
        }
        vpc = {"subnet_ids": args.subnet_ids, "security_group_ids": [args.security_group_id]}
        processor = self._function(
            name,
            PROCESSOR_FUNCTION,
            args,
            environment,
            roles.processor_statements(args, [self.quarantine_queue.arn, self.on_failure_queue.arn]),
            args.processor_concurrency,
            vpc,
        )
        query = self._function(
            name, QUERY_FUNCTION, args, environment, roles.query_statements(args), args.query_concurrency, vpc
        )
        # The analysts' API: the query function's concurrency and network.
        cases = self._function(
            name, CASES_FUNCTION, args, environment, roles.cases_statements(args), args.query_concurrency, vpc
        )
        # Outside the VPC: Cost Explorer has no VPC endpoint, and the function touches no customer data.
        cost_reporter = self._function(
            name,
            COST_REPORTER_FUNCTION,
            args,
            environment,
            roles.cost_reporter_statements(args, self.cost_reporter_dlq.arn),
            1,
            None,
            dead_letter_arn=self.cost_reporter_dlq.arn,
        )
        return processor, query, cases, cost_reporter

    def _event_source_mapping(self, name: str, args: ProcessingArgs) -> aws.lambda_.EventSourceMapping:
        """The processor reads the stream with the contract's settings (contracts/aws.py EVENT_SOURCE)."""
        settings = EVENT_SOURCE
        return aws.lambda_.EventSourceMapping(
            name,
            event_source_arn=args.stream_arn,
            function_name=self.processor.arn,
            starting_position=settings.starting_position,
            batch_size=settings.batch_size,
            maximum_batching_window_in_seconds=settings.maximum_batching_window_seconds,
            parallelization_factor=settings.parallelization_factor,
            bisect_batch_on_function_error=settings.bisect_batch_on_function_error,
            maximum_retry_attempts=settings.maximum_retry_attempts,
            maximum_record_age_in_seconds=settings.maximum_record_age_seconds,
            function_response_types=list(settings.function_response_types),
            destination_config={"on_failure": {"destination_arn": self.on_failure_queue.arn}},
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _cost_report_schedule(self, name: str) -> None:
        """The cost reporter runs daily from EventBridge; failed async runs land in its DLQ."""
        child = pulumi.ResourceOptions(parent=self)
        aws.lambda_.FunctionEventInvokeConfig(
            f"{name}-cost-reporter-async",
            function_name=self.cost_reporter.name,
            maximum_retry_attempts=2,
            maximum_event_age_in_seconds=3600,
            destination_config={"on_failure": {"destination": self.cost_reporter_dlq.arn}},
            opts=child,
        )
        schedule = aws.cloudwatch.EventRule(
            f"{name}-cost-report-schedule",
            description="Daily cost report",
            schedule_expression=COST_REPORT_SCHEDULE,
            opts=child,
        )
        aws.cloudwatch.EventTarget(
            f"{name}-cost-report-target",
            rule=schedule.name,
            arn=self.cost_reporter.arn,
            retry_policy={"maximum_retry_attempts": 2, "maximum_event_age_in_seconds": 3600},
            opts=child,
        )
        aws.lambda_.Permission(
            f"{name}-cost-report-invoke",
            action="lambda:InvokeFunction",
            function=self.cost_reporter.name,
            principal="events.amazonaws.com",
            source_arn=schedule.arn,
            opts=child,
        )

    def _queue(self, name: str, physical: str, key_arn: pulumi.Input[str], **extra: Any) -> aws.sqs.Queue:
        queue = aws.sqs.Queue(
            name,
            name=physical,
            kms_master_key_id=key_arn,
            kms_data_key_reuse_period_seconds=300,
            message_retention_seconds=QUEUE_RETENTION_SECONDS,
            opts=pulumi.ResourceOptions(parent=self),
            **extra,
        )
        aws.sqs.QueuePolicy(
            f"{name}-policy",
            queue_url=queue.url,
            policy=policy_document(deny_insecure_transport("sqs:*", [queue.arn])),
            opts=pulumi.ResourceOptions(parent=self),
        )
        return queue

    def _function(
        self,
        name: str,
        spec: LambdaSpec,
        args: ProcessingArgs,
        environment: dict[str, pulumi.Input[str]],
        statements: list[dict[str, Any]],
        concurrency: int,
        vpc: dict[str, Any] | None,
        dead_letter_arn: pulumi.Input[str] | None = None,
    ) -> aws.lambda_.Function:
        child = pulumi.ResourceOptions(parent=self)
        physical = physical_name(args.stack, base=f"{PROJECT}-{spec.name}")
        logs = log_group(
            f"{name}-{spec.name}-logs",
            f"/aws/lambda/{physical}",
            retention_days=args.log_retention_days,
            kms_key_arn=args.keys["logs"],
            parent=self,
        )
        role = aws.iam.Role(
            f"{name}-{spec.name}-role",
            name=f"{physical}-role",
            assume_role_policy=roles.lambda_trust(args.account_id),
            opts=child,
        )
        policy = role_policy(
            f"{name}-{spec.name}-policy",
            role,
            policy_document(*roles.common_statements(args, logs.arn, vpc is not None), *statements),
            self,
        )
        variables = {key: environment[key] for key in spec.environment}
        variables[ENV_SERVICE_NAME] = SERVICE_NAME
        variables[ENV_LOG_LEVEL] = "INFO"
        variables[ENV_STACK_NAME] = args.stack  # the `stack` dimension of the function's custom metrics
        return aws.lambda_.Function(
            f"{name}-{spec.name}",
            name=physical,
            description=spec.description,
            role=role.arn,
            runtime=RUNTIME,
            architectures=[ARCHITECTURE],
            handler=spec.handler,
            code=args.code,
            layers=[self.layer.arn],
            memory_size=args.memory_mb,
            timeout=args.timeout_seconds,
            reserved_concurrent_executions=concurrency,
            environment={"variables": variables},
            kms_key_arn=args.keys["functions"],
            tracing_config={"mode": "Active"},
            logging_config={"log_format": "JSON", "log_group": logs.name},
            vpc_config=vpc,
            dead_letter_config={"target_arn": dead_letter_arn} if dead_letter_arn is not None else None,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[logs, policy]),
        )
