"""The composition root: the one place that names concrete adapters. Called once per cold start (functools.cache in
each handler), on the first invocation, never at import.

Powertools' Logger is imported by the bootstrap that makes it, not at import: the package imports its logger,
metrics and tracer together, which took a tenth of the processor's cold import. The cost reporter's Cost Explorer
adapter is imported by its own bootstrap."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from attrs import field, frozen

from adapters.clients import client, default_session
from adapters.clock import SystemClock
from adapters.dynamodb_profiles import DynamoDbProfileRepository
from adapters.dynamodb_transactions import DynamoDbTransactionRepository
from adapters.emf_metrics import EmfCostMetrics, EmfMetrics
from adapters.s3_archive import S3RawArchive
from adapters.s3_merchant_risk import S3MerchantRiskSource
from adapters.s3_policy import S3PolicySource
from adapters.sqs_quarantine import SqsQuarantine
from domain.ports import Clock, Metrics, Quarantine, TransactionRepository
from domain.process_batch import BatchPorts
from domain.receipt import TimeBounds
from handlers.settings import Settings

if TYPE_CHECKING:
    from aws_lambda_powertools import Logger

    from adapters.cost_explorer import CostExplorerSpend
    from domain.cases import LabelLake, ReviewQueue


class ProcessorMetrics(Metrics, Protocol):
    def record_quarantined(self, count: int) -> None: ...

    def record_config_refused(self, config: str) -> None:
        """A published policy or merchant-risk snapshot was refused (the last good one stays in force)."""
        ...


@frozen
class ProcessorDependencies:
    ports: BatchPorts
    """What the use case needs, the policy and merchant-risk sources included."""
    quarantine: Quarantine
    metrics: ProcessorMetrics
    logger: Logger
    time_bounds: TimeBounds = field(factory=TimeBounds)


@frozen
class QueryDependencies:
    transactions: TransactionRepository
    logger: Logger


@frozen
class CasesDependencies:
    queue: ReviewQueue
    lake: LabelLake
    clock: Clock
    logger: Logger


@frozen
class CostReporterDependencies:
    spend: CostExplorerSpend
    metrics: EmfCostMetrics
    clock: Clock
    logger: Logger


COST_EXPLORER_REGION = "us-east-1"
"""Cost Explorer has one endpoint, in us-east-1, whatever the function's region."""


def bootstrap(settings: Settings, session: Any = None) -> ProcessorDependencies:
    session = session or default_session()
    dynamodb, s3 = client(session, "dynamodb"), client(session, "s3")
    if not settings.quarantine_queue_url:
        raise RuntimeError("the processor needs its quarantine queue URL (QUARANTINE_QUEUE_URL)")
    logger = _logger(settings)
    metrics = EmfMetrics(settings.service, settings.stack)
    ttl = settings.policy_cache_seconds
    ports = BatchPorts(
        profiles=DynamoDbProfileRepository(dynamodb, settings.customers_table),
        transactions=DynamoDbTransactionRepository(dynamodb, settings.transactions_table, settings.customers_table),
        archive=S3RawArchive(s3, settings.lake_bucket),
        metrics=metrics,
        clock=SystemClock(),
        policy=S3PolicySource(s3, settings.lake_bucket, ttl_seconds=ttl, logger=logger, metrics=metrics),
        merchants=S3MerchantRiskSource(s3, settings.lake_bucket, ttl_seconds=ttl, logger=logger, metrics=metrics),
    )
    quarantine = SqsQuarantine(client(session, "sqs"), settings.quarantine_queue_url)
    return ProcessorDependencies(ports, quarantine, metrics, logger, settings.time_bounds)


def bootstrap_query(settings: Settings, session: Any = None) -> QueryDependencies:
    session = session or default_session()
    repository = DynamoDbTransactionRepository(
        client(session, "dynamodb"), settings.transactions_table, settings.customers_table
    )
    return QueryDependencies(repository, _logger(settings))


def bootstrap_cases(settings: Settings, session: Any = None) -> CasesDependencies:
    """The review queue and label function's: its adapters are imported here, not by the other functions."""
    from adapters.dynamodb_cases import DynamoDbReviewQueue
    from adapters.s3_labels import S3LabelLake

    session = session or default_session()
    queue = DynamoDbReviewQueue(client(session, "dynamodb"), settings.transactions_table)
    lake = S3LabelLake(client(session, "s3"), settings.lake_bucket)
    return CasesDependencies(queue, lake, SystemClock(), _logger(settings))


def bootstrap_cost_reporter(settings: Settings, session: Any = None) -> CostReporterDependencies:
    from adapters.cost_explorer import CostExplorerSpend

    session = session or default_session()
    spend = CostExplorerSpend(client(session, "ce", COST_EXPLORER_REGION))
    return CostReporterDependencies(
        spend, EmfCostMetrics(settings.service, settings.stack), SystemClock(), _logger(settings)
    )


def _logger(settings: Settings) -> Logger:
    from aws_lambda_powertools import Logger

    return Logger(service=settings.service)
