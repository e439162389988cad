"""The SecureBank Pulumi program: typed stack config -> one component per layer -> exports."""

from __future__ import annotations

from pathlib import Path

import pulumi
import pulumi_aws as aws

from components.access import Access, AccessArgs
from components.analytics import Analytics, AnalyticsArgs
from components.cases import Cases, CasesArgs, cases_dlq_name
from components.config import StackConfig
from components.dr import DisasterRecovery, DisasterRecoveryArgs
from components.failover import Failover, FailoverArgs, primary_region
from components.failover import Region as FailoverRegion
from components.ingestion import Ingestion, IngestionArgs
from components.monitoring import Monitoring, MonitoringArgs
from components.network import Network, NetworkArgs
from components.outbox import outbox_dlq_name
from components.packaging import lambda_code_archive, layer_archive
from components.processing import Processing, ProcessingArgs
from components.replica import ReplicaStorage, ReplicaStorageArgs
from components.security import Security, SecurityArgs
from components.storage import Storage, StorageArgs

ROOT = Path(__file__).resolve().parent

config = StackConfig.load(pulumi.Config(), pulumi.get_stack())
stack = config.stack
account_id = aws.get_caller_identity_output().account_id
replica_region = config.secondary_region if config.replication else None

layer, layer_built = layer_archive(ROOT)
if not layer_built:
    if not pulumi.runtime.is_dry_run():
        raise RuntimeError("build/layer is missing: run `make layer` before `pulumi up`")
    pulumi.log.warn("build/layer is missing: previewing with a placeholder layer; run `make layer` before `pulumi up`")
code, code_compiled = lambda_code_archive(ROOT)
if not code_compiled:
    if not pulumi.runtime.is_dry_run():
        raise RuntimeError("build/lambda-code is missing or stale: run `make bundle` before `pulumi up`")
    pulumi.log.warn("build/lambda-code is missing or stale: previewing the sources without bytecode; run `make bundle`")

security = Security(
    "security", SecurityArgs(stack, config.region, account_id, replica_region, protect=config.deletion_protection)
)
keys: dict[str, pulumi.Input[str]] = {domain: key.arn for domain, key in security.keys.items()}
network = Network(
    "network",
    NetworkArgs(stack, config.region, config.nat_gateway, config.log_retention_days, keys["logs"], account_id),
)
storage: Storage | ReplicaStorage
if config.dr_of is not None:  # a DR stack adopts its primary's table and lake replicas here (components/replica.py)
    storage = ReplicaStorage(
        "storage",
        ReplicaStorageArgs(
            stack, config.dr_of, config.region, account_id, keys["stream"], config.shard_mode, config.shard_count
        ),
    )
    keys |= {"tables": storage.tables_key_arn, "lake": storage.lake_key_arn}
else:
    storage = Storage(
        "storage",
        StorageArgs(
            stack=stack,
            tables_key_arn=keys["tables"],
            lake_key_arn=keys["lake"],
            stream_key_arn=keys["stream"],
            deletion_protection=config.deletion_protection,
            account_id=account_id,
            shard_mode=config.shard_mode,
            shard_count=config.shard_count,
            replica_region=replica_region,
            replica_tables_key_arn=security.replica_keys["tables"].arn if replica_region else None,
        ),
    )
processing = Processing(
    "processing",
    ProcessingArgs(
        stack=stack,
        region=config.region,
        account_id=account_id,
        code=code,
        layer=layer,
        memory_mb=config.lambda_memory_mb,
        timeout_seconds=config.lambda_timeout_seconds,
        processor_concurrency=config.processor_concurrency,
        query_concurrency=config.query_concurrency,
        log_retention_days=config.log_retention_days,
        subnet_ids=[subnet.id for subnet in network.private_subnets],
        security_group_id=network.lambda_security_group.id,
        stream_arn=storage.stream.arn,
        transactions_table_name=storage.transactions_table.name,
        transactions_table_arn=storage.transactions_table.arn,
        customers_table_name=storage.customers_table.name,
        customers_table_arn=storage.customers_table.arn,
        lake_bucket_name=storage.lake_bucket.bucket,
        lake_bucket_arn=storage.lake_bucket.arn,
        keys=keys,
    ),
)
ingestion = Ingestion(
    "ingestion",
    IngestionArgs(
        stack=stack,
        region=config.region,
        account_id=account_id,
        stream_name=storage.stream.name,
        stream_arn=storage.stream.arn,
        stream_key_arn=keys["stream"],
        logs_key_arn=keys["logs"],
        log_retention_days=config.log_retention_days,
        query_function_name=processing.query.name,
        query_invoke_arn=processing.query.invoke_arn,
        cases_function_name=processing.cases.name,
        cases_invoke_arn=processing.cases.invoke_arn,
        cors_origin=config.cors_allowed_origin,
        domain_name=config.domain_name,
        certificate_arn=config.certificate_arn,
    ),
)
access = Access(
    "access",
    AccessArgs(stack, account_id, ingestion.stage.execution_arn, config.region, storage.lake_bucket.arn, keys["lake"]),
)
analytics = Analytics(
    "analytics",
    AnalyticsArgs(
        stack,
        config.region,
        account_id,
        ROOT,
        storage.lake_bucket.bucket,
        storage.lake_bucket.arn,
        keys["lake"],
        keys["logs"],
        customers_table_arn=storage.customers_table.arn,
        log_retention_days=config.log_retention_days,
    ),
)
monitoring = Monitoring(
    "monitoring",
    MonitoringArgs(
        stack=stack,
        region=config.region,
        account_id=account_id,
        queues_key_arn=keys["queues"],
        alarm_email=config.alarm_email,
        budget_thresholds_usd=config.budget_thresholds_usd,
        billing_alarms=config.billing_alarms,
        api_name=ingestion.api.name,
        stage_name=ingestion.stage.stage_name,
        stream_name=storage.stream.name,
        processor_function_name=processing.processor.name,
        query_function_name=processing.query.name,
        cases_function_name=processing.cases.name,
        transactions_table_name=storage.transactions_table.name,
        customers_table_name=storage.customers_table.name,
        lake_bucket_name=storage.lake_bucket.bucket,
        queue_names={
            "quarantine": processing.quarantine_queue.name,
            "quarantine-dlq": processing.quarantine_dlq.name,
            "on-failure": processing.on_failure_queue.name,
            "cost-reporter-dlq": processing.cost_reporter_dlq.name,
            # Named, not referenced: Cases comes after Monitoring (its high-risk rule mails the alerts topic).
            "cases-dlq": cases_dlq_name(stack),
            **({"outbox-dlq": outbox_dlq_name(stack)} if isinstance(storage, Storage) else {}),
        },
        glue_job_names=[job.name for job in analytics.jobs.values()],
    ),
    opts=pulumi.ResourceOptions(depends_on=[processing, ingestion]),
)
# The outbox pipe reads the Transactions table's stream where the stack owns the table (not in a DR stack).
table_stream_arn = storage.transactions_table.stream_arn if isinstance(storage, Storage) else None
owned = table_stream_arn is not None
cases = Cases(
    "cases",
    CasesArgs(
        stack,
        config.region,
        account_id,
        keys["queues"],
        monitoring.topic.arn,
        transactions_stream_arn=table_stream_arn,
        enrichment_arn=processing.flag_events.arn if owned else None,
        tables_key_arn=keys["tables"] if owned else None,
    ),
)
if isinstance(storage, Storage):  # backups and the lake's CRR belong to the primary stack
    dr = DisasterRecovery(
        "dr",
        DisasterRecoveryArgs(
            stack=stack,
            account_id=account_id,
            tables_key_arn=keys["tables"],
            table_arns=[storage.transactions_table.arn, storage.customers_table.arn],
            lake_bucket=storage.lake_bucket,
            lake_versioning=storage.lake_versioning,
            secondary_region=replica_region,
            secondary_tables_key_arn=security.replica_keys["tables"].arn if replica_region else None,
            secondary_lake_key_arn=security.replica_keys["lake"].arn if replica_region else None,
            lake_key_arn=keys["lake"],
        ),
    )
if isinstance(storage, ReplicaStorage) and ingestion.custom_domain:  # a DR stack: the domain's failover pair
    assert config.hosted_zone_id is not None and config.dr_of is not None  # StackConfig requires both in DR
    Failover(
        "failover",
        FailoverArgs(
            stack=stack,
            hosted_zone_id=config.hosted_zone_id,
            domain_name=ingestion.custom_domain.domain.domain_name,
            primary=primary_region(storage.primary, config.dr_of, config.secondary_region),
            secondary=FailoverRegion(
                "SECONDARY",
                config.region,
                ingestion.api.name,
                ingestion.stage.stage_name,
                ingestion.custom_domain.domain.regional_domain_name,
                ingestion.custom_domain.domain.regional_zone_id,
                monitoring.topic.arn,
            ),
        ),
    )

pulumi.export("api_url", ingestion.url)
if ingestion.custom_domain:  # the DNS step (docs/infrastructure.md): an alias or CNAME to this regional name
    pulumi.export("api_domain_target", ingestion.custom_domain.domain.regional_domain_name)
    pulumi.export("api_domain_zone_id", ingestion.custom_domain.domain.regional_zone_id)
pulumi.export("api_key_ids", [key.id for key in ingestion.api_keys])
pulumi.export("analyst_role_arn", access.analyst_role.arn)
pulumi.export("release_role_arn", access.release_role.arn)
pulumi.export("stream_name", storage.stream.name)
pulumi.export("transactions_table", storage.transactions_table.name)
pulumi.export("customers_table", storage.customers_table.name)
pulumi.export("lake_bucket", storage.lake_bucket.bucket)
pulumi.export("dashboards", [dashboard.dashboard_name for dashboard in monitoring.dashboards.values()])
pulumi.export("alerts_topic_arn", monitoring.topic.arn)
pulumi.export("fraud_event_bus", cases.bus.name)
pulumi.export("cases_queue_url", cases.cases_queue.url)
if replica_region:  # what a DR stack (components/replica.py) reads from this one: the replica keys there
    pulumi.export("dr_tables_key_arn", security.replica_keys["tables"].arn)
    pulumi.export("dr_lake_key_arn", security.replica_keys["lake"].arn)
