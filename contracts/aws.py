"""Every name that infrastructure (components/) and runtime (adapters/, handlers/, securebank/) share.

Data only: the stdlib, no behaviour beyond formatting keys. A table's key, an index, an env var or a metric name
is written here once; Pulumi components, the adapters and the local stack all import it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Literal

AttributeType = Literal["S", "N", "B"]


@dataclass(frozen=True)
class KeyAttribute:
    name: str
    type: AttributeType = "S"


@dataclass(frozen=True)
class IndexSpec:
    name: str
    partition_key: KeyAttribute
    sort_key: KeyAttribute | None = None
    projection: Literal["ALL", "KEYS_ONLY"] = "ALL"


@dataclass(frozen=True)
class TableSpec:
    name: str
    partition_key: KeyAttribute
    sort_key: KeyAttribute | None = None
    global_indexes: tuple[IndexSpec, ...] = ()
    local_indexes: tuple[IndexSpec, ...] = ()

    @property
    def attributes(self) -> tuple[KeyAttribute, ...]:
        """Every key attribute of the table and its indexes, once each (what AttributeDefinitions needs)."""
        seen: dict[str, KeyAttribute] = {}
        keys = [self.partition_key, self.sort_key]
        for index in (*self.global_indexes, *self.local_indexes):
            keys += [index.partition_key, index.sort_key]
        for key in keys:
            if key is not None:
                seen.setdefault(key.name, key)
        return tuple(seen.values())


# --- DynamoDB -------------------------------------------------------------------------------------------------
# Deviation from the specification (docs/deviations.md, sort-key): the sort key is transaction_id, not the timestamp.
# The table key is then the identity (customer_id, transaction_id), so one conditional put recognises every
# redelivery and resubmission of a transaction, whatever its timestamp, and two transactions in the same second
# never collide.
CUSTOMER_ID = KeyAttribute("customer_id")
TRANSACTION_ID = KeyAttribute("transaction_id")
# Each index that projects ALL costs every transaction write 1 WRU per KB (docs/architecture.md, "Cost per
# transaction"). TransactionIdIndex serves GET /v1/transactions/{id} without a customer_id. The specification's
# MerchantIndex (merchant_id, timestamp) was read by nothing: it is gone (a GSI is deleted in place, without replacing
# the table), and transactions by merchant are the lake's named Athena query (components/athena.py). AmountIndex is
# an LSI: it can only be removed by replacing the table, so it stays, and costs its 1 WRU (docs/deviations.md).
TRANSACTION_ID_INDEX = IndexSpec("TransactionIdIndex", TRANSACTION_ID)
AMOUNT_INDEX = IndexSpec("AmountIndex", CUSTOMER_ID, KeyAttribute("amount", "N"))

# The review queue: a sparse GSI. Only a flagged transaction whose case is open carries REVIEW_STATUS_ATTRIBUTE
# (= REVIEW_STATUS_OPEN); a label removes it, and the item leaves the index. So the index holds the open cases alone,
# and only flagged items (about 2 %) pay its write: the specification's "sparse indexes for cost optimization".
# Newest first by REVIEW_SORT_ATTRIBUTE (the processed_at of the item, ISO 8601 UTC).
REVIEW_STATUS_ATTRIBUTE = "review_status"
REVIEW_STATUS_OPEN = "open"
REVIEW_SORT_ATTRIBUTE = "processed_at"
REVIEW_INDEX = IndexSpec("ReviewIndex", KeyAttribute(REVIEW_STATUS_ATTRIBUTE), KeyAttribute(REVIEW_SORT_ATTRIBUTE))

TRANSACTIONS_TABLE = TableSpec(
    name="SecureBank-Transactions",
    partition_key=CUSTOMER_ID,
    sort_key=TRANSACTION_ID,
    global_indexes=(TRANSACTION_ID_INDEX, REVIEW_INDEX),
    local_indexes=(AMOUNT_INDEX,),
)
CUSTOMERS_TABLE = TableSpec(name="SecureBank-Customers", partition_key=CUSTOMER_ID)
PROFILE_VERSION_ATTRIBUTE = "version"

# Retention of the tables' items (docs/infrastructure.md, "Retention"): DynamoDB's TTL deletes an item once the epoch
# seconds in TTL_ATTRIBUTE have passed (usually within a few days; until then reads still see it), at no write cost.
TTL_ATTRIBUTE = "expires_at"
TRANSACTION_RETENTION_DAYS = 400
"""A transaction item expires this long after it was processed: a year and a month of GET by id (customer service,
the card networks' dispute windows), after which the lake's raw partitions hold it. Longer than the receipt bounds
(30 days behind, 1 day ahead), so every resubmission the processor accepts still meets the first copy."""
PROFILE_RETENTION_DAYS = 400
"""A profile expires this long after its customer's last transaction; every scored transaction rewrites it, so the
profile of an active customer never expires."""

# DynamoDB limits the adapters respect.
BATCH_GET_MAX_KEYS = 100
TRANSACT_WRITE_MAX_ACTIONS = 100


# --- Kinesis and the event source mapping ---------------------------------------------------------------------
STREAM_NAME = "SecureBank-Transactions-Stream"
STREAM_RETENTION_HOURS = 24
KINESIS_MAX_RECORD_BYTES = 1024 * 1024
"""A record's data plus its partition key may not exceed 1 MiB."""
PARTITION_KEY_FIELD = "customer_id"


@dataclass(frozen=True)
class EventSourceSettings:
    """The processor's Kinesis event source mapping; the Pulumi component and the local emulator both use it."""

    batch_size: int = 100
    starting_position: Literal["TRIM_HORIZON", "LATEST"] = "TRIM_HORIZON"
    bisect_batch_on_function_error: bool = True
    maximum_retry_attempts: int = 5
    maximum_record_age_seconds: int = 3600
    maximum_batching_window_seconds: int = 1
    parallelization_factor: int = 2
    """Two processing lanes a shard (per-customer order kept): at 1 the prod stream's first 4 on-demand shards carry
    about 887 tx/s, short of the specification's 1,000 (`python -m securebank capacity --rps 1000`, docs/capacity.md).
    The local emulator runs one lane a shard."""
    function_response_types: tuple[str, ...] = ("ReportBatchItemFailures",)


EVENT_SOURCE = EventSourceSettings()

# --- SQS ------------------------------------------------------------------------------------------------------
QUARANTINE_QUEUE = "SecureBank-Quarantine"
QUARANTINE_DLQ = "SecureBank-Quarantine-DLQ"
ON_FAILURE_QUEUE = "SecureBank-Processor-OnFailure"
QUEUE_RETENTION_SECONDS = 14 * 24 * 3600
QUARANTINE_MAX_RECEIVES = 5
"""Receives of a quarantined message before it moves to the quarantine's own dead-letter queue."""

# --- EventBridge: flagged transactions out ----------------------------------------------------------------------
FRAUD_EVENT_BUS = "SecureBank-Fraud"
"""The custom bus of TransactionFlagged events, one per committed case (KMS-encrypted): the outbox pipe puts them."""
FLAGGED_EVENT_SOURCE = "securebank.processor"
FLAGGED_DETAIL_TYPE = "TransactionFlagged"
PUT_EVENTS_MAX_ENTRIES = 10
"""PutEvents takes at most 10 entries a call: the outbox pipe's batches of stream records are this size."""
CASES_QUEUE = "SecureBank-Cases"
"""Where the bus's rule delivers every TransactionFlagged event (for case-management consumers)."""
HIGH_RISK_ALERT_SCORE = "0.9"
"""A flagged transaction scoring at least this also goes to the alerts topic (the rule's numeric match)."""
FLAGGED_STREAM_FILTER: dict[str, Any] = {
    "eventName": ["INSERT"],
    "dynamodb": {"NewImage": {REVIEW_STATUS_ATTRIBUTE: {"S": [REVIEW_STATUS_OPEN]}}},
}
"""The outbox: the fraud pipe's filter over the Transactions table's stream. A committed flagged item (an open case)
is a TransactionFlagged event; a label (a MODIFY removing the attribute) and an unflagged item are none. The Pulumi
pipe (components/cases.py) and the local stack's pipe emulator (securebank/emulator/pipe.py) read this one."""
FLAGGED_PIPE_BATCH_SIZE = PUT_EVENTS_MAX_ENTRIES
"""Stream records a pipe batch: one enrichment call, one PutEvents of at most 10 entries."""

# --- S3 lake layout -------------------------------------------------------------------------------------------
LAKE_BUCKET = "securebank-data-lake"
RAW_TRANSACTIONS_PREFIX = "raw/transactions/"
RAW_PARTITION_TEMPLATE = "year=${year}/month=${month}/day=${day}/hour=${hour}/"
RAW_OBJECT_SUFFIX = ".jsonl.gz"
DAILY_AGGREGATES_PREFIX = "processed/daily-aggregates/"
FRAUD_REPORTS_PREFIX = "processed/fraud-patterns/"
CUSTOMER_PROFILES_PREFIX = "processed/customer-profiles/"
"""Daily Parquet snapshots of the Customers table, `date=YYYY-MM-DD/` (jobs/customer_profiles.py)."""
CUSTOMER_EXPORTS_PREFIX = "exports/customers/"
"""Where the snapshot job has DynamoDB export the Customers table (DynamoDB JSON) before it converts it."""
POLICY_PREFIX = "config/fraud-policy/"
MERCHANT_RISK_PREFIX = "config/merchant-risk/"  # daily snapshots of confirmed fraud per merchant (merchant rule)
MERCHANT_RISK_DAYS = 35
"""Days before its date that a merchant-risk snapshot covers: the merchant rule's window + lag must fit in it."""
# Bounds of a merchant-risk snapshot the processor accepts (adapters/serialization.py `merchant_risk_from_json`): a
# broken or hostile one is refused instead of exhausting the processor's memory (512 MB) or time. Measured: a
# snapshot at the bounds is 5.1 MiB of JSON and takes 1.2 s, 53 MB (80 MB at peak) to load; the worst 6 MiB object
# (empty JSON objects) peaks at 145 MB while parsing.
MERCHANT_RISK_MAX_COUNT = 10**9
"""Transactions (and so frauds) of one merchant on one day are below this."""
MERCHANT_RISK_MAX_MERCHANTS = 100_000
MERCHANT_RISK_MAX_MERCHANT_DAYS = 250_000
"""(merchant, day) entries in one snapshot: about 7,000 merchants with fraud over MERCHANT_RISK_DAYS days."""
MERCHANT_RISK_MAX_FRAUDS = 1_000_000
"""Confirmed frauds in one snapshot, over all its merchants and days (each costs the processor a slot in memory)."""
CONFIG_MAX_OBJECT_BYTES = 6 * 1024 * 1024
"""The largest policy or merchant-risk object the processor downloads; a larger one is refused unread."""
ATHENA_RESULTS_PREFIX = "analytics/athena-results/"
GLUE_SCRIPTS_PREFIX = "glue/scripts/"
ACCESS_LOGS_PREFIX = "access-logs/"
LABELS_PREFIX = "labels/"  # confirmed fraud labels the weekly fraud-patterns job learns from


def _day_partition(day: date) -> str:
    return f"year={day.year:04d}/month={day.month:02d}/day={day.day:02d}/"


def raw_partition(event_time: datetime) -> str:
    """`year=YYYY/month=MM/day=DD/hour=HH/` of a transaction's event time in UTC, zero-padded."""
    event_time = event_time.astimezone(UTC)
    return f"{_day_partition(event_time.date())}hour={event_time.hour:02d}/"


def raw_day_prefix(day: date) -> str:
    """`raw/transactions/year=YYYY/month=MM/day=DD/`: the hours of one UTC day of the raw lake."""
    return f"{RAW_TRANSACTIONS_PREFIX}{_day_partition(day)}"


def raw_object_key(partition: str, shard_id: str, first_sequence: str, last_sequence: str) -> str:
    """Deterministic per batch and partition: a retried batch overwrites its own object instead of adding one."""
    return f"{RAW_TRANSACTIONS_PREFIX}{partition}{shard_id}-{first_sequence}-{last_sequence}{RAW_OBJECT_SUFFIX}"


def labels_day_prefix(day: date) -> str:
    """`labels/year=YYYY/month=MM/day=DD/`: labels that arrived on one UTC day, where every writer puts them (the
    Spark jobs read every file below `labels/` whatever its folders: jobs/labels.py)."""
    return f"{LABELS_PREFIX}{_day_partition(day)}"


def daily_aggregates_prefix(year: int, month: int, day: int) -> str:
    return f"{DAILY_AGGREGATES_PREFIX}{_day_partition(date(year, month, day))}"


# The governed policy lifecycle (docs/analytics.md): a version is a candidate, in shadow, active or retired.
# - Every version is an immutable object `policy_key(N)`, with its backtest report at `policy_report_key(N)`. The
#   weekly tuner writes only these (its grant: POLICY_CANDIDATE_PATTERN): a candidate.
# - POLICY_RELEASE_KEY, the release record, says which version is active and which (if any) in shadow, with who
#   approved it; the processor reads it and nothing else decides. Only the release role writes it, and the audit
#   records under POLICY_AUDIT_PREFIX (one per shadow, promote or rollback). No release record: the seed policy.
POLICY_RELEASE_KEY = "config/fraud-policy/release.json"
POLICY_AUDIT_PREFIX = "config/fraud-policy/audit/"
POLICY_CANDIDATE_PATTERN = "config/fraud-policy/v*"
"""What the tuner may write: `policy_key(N)` and `policy_report_key(N)`, never the release record or the audit."""

POLICY_VERSION_DIGITS = 10
_POLICY_KEY = re.compile(re.escape(POLICY_PREFIX) + rf"v([0-9]{{{POLICY_VERSION_DIGITS}}})\.json")
_MERCHANT_RISK_KEY = re.compile(re.escape(MERCHANT_RISK_PREFIX) + r"([0-9]{4}-[0-9]{2}-[0-9]{2})\.json")


def policy_key(version: int) -> str:
    """`config/fraud-policy/v<10 digits>.json`. Readers pick the newest by `policy_key_version`, never by key order."""
    if isinstance(version, bool) or not 0 <= version < 10**POLICY_VERSION_DIGITS:
        raise ValueError(f"a policy version has at most {POLICY_VERSION_DIGITS} digits, got {version!r}")
    return f"{POLICY_PREFIX}v{version:0{POLICY_VERSION_DIGITS}d}.json"


def policy_report_key(version: int) -> str:
    """`config/fraud-policy/v<10 digits>.backtest.json`: the backtest report published with a candidate."""
    return policy_key(version).removesuffix(".json") + ".backtest.json"


def policy_key_version(key: str) -> int | None:
    """The version of a key `policy_key` writes; None for any other key (`zz-hotfix.json`, `v3.json`, ...)."""
    match = _POLICY_KEY.fullmatch(key)
    return None if match is None else int(match[1])


def merchant_risk_key(day: date) -> str:
    """One snapshot per day. Readers pick the newest by `merchant_risk_key_day`, never by key order."""
    return f"{MERCHANT_RISK_PREFIX}{day.isoformat()}.json"


def merchant_risk_key_day(key: str) -> date | None:
    """The day of a key `merchant_risk_key` writes (`YYYY-MM-DD`, a real date); None for any other key."""
    match = _MERCHANT_RISK_KEY.fullmatch(key)
    if match is None:
        return None
    try:
        return date.fromisoformat(match[1])
    except ValueError:  # 2025-02-30
        return None


# --- Athena / Glue catalog ------------------------------------------------------------------------------------
GLUE_DATABASE = "securebank"
ATHENA_TRANSACTIONS_TABLE = "raw_transactions"
ATHENA_WORKGROUP = "securebank"
ATHENA_PROJECTION: dict[str, str] = {
    "projection.enabled": "true",
    "projection.year.type": "integer",
    "projection.year.range": "2024,2030",
    "projection.month.type": "integer",
    "projection.month.range": "1,12",
    "projection.month.digits": "2",
    "projection.day.type": "integer",
    "projection.day.range": "1,31",
    "projection.day.digits": "2",
    "projection.hour.type": "integer",
    "projection.hour.range": "0,23",
    "projection.hour.digits": "2",
}
ATHENA_PARTITION_KEYS = ("year", "month", "day", "hour")
ATHENA_DAILY_AGGREGATES_TABLE = "daily_aggregates"
ATHENA_FRAUD_REPORTS_TABLE = "fraud_pattern_reports"
ATHENA_MERCHANT_RISK_TABLE = "merchant_risk_snapshots"
ATHENA_CUSTOMER_PROFILES_TABLE = "customer_profiles"
ATHENA_RESULT_REUSE_MINUTES = 24 * 60
"""The specification's result reuse: a query started by the project reuses a result of the same query up to a day
old (a per-query setting of StartQueryExecution; a workgroup cannot set it)."""

# --- Environment variables of the Lambda functions -------------------------------------------------------------
ENV_TRANSACTIONS_TABLE = "TRANSACTIONS_TABLE"
ENV_CUSTOMERS_TABLE = "CUSTOMERS_TABLE"
ENV_LAKE_BUCKET = "LAKE_BUCKET"
ENV_QUARANTINE_QUEUE_URL = "QUARANTINE_QUEUE_URL"
ENV_POLICY_CACHE_SECONDS = "POLICY_CACHE_SECONDS"
ENV_MAX_AHEAD_SECONDS = "TIMESTAMP_MAX_AHEAD_SECONDS"
"""How far after its receipt a transaction's timestamp may be (default: domain.receipt.DEFAULT_MAX_AHEAD, 1 day)."""
ENV_MAX_BEHIND_SECONDS = "TIMESTAMP_MAX_BEHIND_SECONDS"
"""How far before its receipt a transaction's timestamp may be (default: domain.receipt.DEFAULT_MAX_BEHIND, 30 days)."""
ENV_AWS_ENDPOINT_URL = "AWS_ENDPOINT_URL"
ENV_SERVICE_NAME = "POWERTOOLS_SERVICE_NAME"
ENV_LOG_LEVEL = "POWERTOOLS_LOG_LEVEL"
ENV_STACK_NAME = "SECUREBANK_STACK"
"""The Pulumi stack a function belongs to: every custom metric carries it as its `stack` dimension."""
LOCAL_STACK_NAME = "local"
"""The stack dimension of metrics emitted where ENV_STACK_NAME is unset (the local emulator, tests)."""
SERVICE_NAME = "securebank"
DEFAULT_POLICY_CACHE_SECONDS = 300

# --- Metrics (CloudWatch Embedded Metric Format) --------------------------------------------------------------
METRICS_NAMESPACE_TRANSACTIONS = "SecureBank/Transactions"
METRICS_NAMESPACE_FRAUD = "SecureBank/Fraud"
METRICS_NAMESPACE_COSTS = "SecureBank/Costs"
METRIC_PROCESSED_COUNT = "ProcessedCount"
METRIC_QUARANTINED_COUNT = "QuarantinedCount"
METRIC_DUPLICATE_COUNT = "DuplicateCount"
METRIC_FAILED_COUNT = "FailedCount"
METRIC_CONFLICT_COUNT = "ConflictingResubmissionCount"
"""Records whose identity (customer_id, transaction_id) was already stored with other content: quarantined."""
METRIC_DETECTED_COUNT = "DetectedCount"
FRAUD_RATE_ALARM_PERCENT = 5
"""The fraud-rate alarm's threshold: flagged over processed in 5 minutes (components/alarms.py). The demo's simulated
approver refuses a candidate whose shadow flag rate is above it: promoting it would put the alarm in ALARM."""
METRIC_DAILY_SPEND = "DailySpend"
METRIC_MERCHANT_RISK_SNAPSHOT_AGE = "MerchantRiskSnapshotAgeDays"
METRIC_CONFIG_REFUSED_COUNT = "ConfigRefusedCount"
"""A published policy or merchant-risk object the processor refused (the value in force stays); SecureBank/Fraud."""
METRIC_SHADOW_SCORED_COUNT = "ShadowScoredCount"
"""SecureBank/Fraud, per batch: transactions the policy in shadow scored (all of the batch's while one is in shadow)."""
METRIC_SHADOW_AGREEMENT_COUNT = "ShadowAgreementCount"
"""Of those, how many it decided as the active policy did (same is_fraud): agreement = this / ShadowScoredCount."""
METRIC_SHADOW_FLAGGED_COUNT = "ShadowFlaggedCount"
"""Of those, how many it flagged: the shadow flag rate = this / ShadowScoredCount."""
METRIC_CONFIG_DIMENSION = "config"
CONFIG_POLICY = "policy"
CONFIG_MERCHANT_RISK = "merchant-risk"
METRIC_SERVICE_DIMENSION = "service"
METRIC_STACK_DIMENSION = "stack"
"""On every custom metric, so that stacks sharing an account (dev, prod) never count each other's traffic."""

# --- API ------------------------------------------------------------------------------------------------------
OPENAPI_PATH = Path(__file__).resolve().with_name("openapi.yaml")
"""The API contract: the deployed RestApi body (components/openapi.py) and the local API's validation read it."""
API_KEY_HEADER = "x-api-key"
TRANSACTIONS_PATH = "/v1/transactions"
HEALTH_PATH = "/v1/health"
REVIEWS_PATH = "/v1/reviews"
LABEL_PATH_SUFFIX = "/label"
"""POST /v1/transactions/{transaction_id}/label: an analyst's verdict or a chargeback."""
MAX_BODY_BYTES = 8 * 1024
"""The largest POST body the API accepts, in bytes; above it, 413. The deployed WAF enforces it (the size rule in
components/waf.py; the managed common rule set's SizeRestrictions_BODY blocks over 8 KB too) and the local
API checks it. A body at the limit plus its partition key fits one Kinesis record many times over."""


@dataclass(frozen=True)
class LambdaSpec:
    name: str
    handler: str
    description: str
    environment: tuple[str, ...] = field(default=())


PROCESSOR_FUNCTION = LambdaSpec(
    "processor",
    "handlers.processor.lambda_handler",
    "Scores Kinesis batches of card transactions",
    (
        ENV_TRANSACTIONS_TABLE,
        ENV_CUSTOMERS_TABLE,
        ENV_LAKE_BUCKET,
        ENV_QUARANTINE_QUEUE_URL,
        ENV_POLICY_CACHE_SECONDS,
    ),
)
QUERY_FUNCTION = LambdaSpec(
    "query", "handlers.query.lambda_handler", "GET /v1/transactions/{id}", (ENV_TRANSACTIONS_TABLE,)
)
CASES_FUNCTION = LambdaSpec(
    "cases",
    "handlers.cases.lambda_handler",
    "GET /v1/reviews and POST /v1/transactions/{id}/label",
    (ENV_TRANSACTIONS_TABLE, ENV_LAKE_BUCKET),
)
FLAG_EVENTS_FUNCTION = LambdaSpec(
    "flag-events",
    "handlers.flag_events.lambda_handler",
    "The fraud pipe's enrichment: stream records of new cases to TransactionFlagged details",
    (),
)
COST_REPORTER_FUNCTION = LambdaSpec(
    "cost-reporter", "handlers.cost_reporter.lambda_handler", "Publishes yesterday's AWS spend", ()
)
