"""The limits the capacity model checks: AWS's published quotas (each with the page it is quoted from) and the
stack's own settings, read from where the stack defines them (Pulumi.<stack>.yaml, contracts/aws.py EVENT_SOURCE,
components/ingestion.py and components/waf.py). No internet from this machine: the quotas were confirmed with the
documentation search of 2026-11-30, on the pages named beside them (docs.aws.amazon.com, English versions).
"""

from __future__ import annotations

from pathlib import Path

import yaml
from attrs import frozen

from securebank.measure.cost import LAMBDA_MEMORY_MB_PER_VCPU, PRICES_USD

MIB = 1024 * 1024

# --- Kinesis Data Streams -------------------------------------------------------------------------------------
# "Create and manage Kinesis data streams": a shard supports 1 MB/s and 1,000 records/s for writes and 2 MB/s for
# reads, in both on-demand and provisioned modes.
SHARD_WRITE_BYTES_PER_SECOND = MIB
SHARD_WRITE_RECORDS_PER_SECOND = 1_000
SHARD_READ_BYTES_PER_SECOND = 2 * MIB
# "Quotas and limits - Amazon Kinesis Data Streams": a new on-demand stream has 4 MB/s of write (8 MB/s read) and
# scales with traffic, up to 10 GB/s of writes in us-east-1, us-west-2 and eu-west-1 (200 MB/s in other Regions);
# provisioned: 20,000 shards per account by default in those three Regions.
ON_DEMAND_INITIAL_WRITE_BYTES_PER_SECOND = 4 * MIB
ON_DEMAND_INITIAL_SHARDS = 4  # 4 MB/s at 1 MB/s a shard: 4,000 records/s
ON_DEMAND_MAX_WRITE_BYTES_PER_SECOND = 10 * 1024 * MIB
ACCOUNT_SHARD_QUOTA = 20_000
# "Lambda parameters for Amazon Kinesis Data Streams event source mappings": ParallelizationFactor 1 (default) to 10.
MAX_PARALLELIZATION_FACTOR = 10

# --- Lambda ---------------------------------------------------------------------------------------------------
# "Lambda quotas" / "Configuring reserved concurrency for a function": 1,000 concurrent executions per account and
# Region by default; reservations must leave at least 100 unreserved.
ACCOUNT_CONCURRENCY_DEFAULT = 1_000
UNRESERVED_CONCURRENCY_MINIMUM = 100
MEMORY_MB_PER_VCPU = LAMBDA_MEMORY_MB_PER_VCPU  # one vCPU at 1,769 MB (securebank/measure/cost.py cites it)

# --- DynamoDB -------------------------------------------------------------------------------------------------
# "Quotas in Amazon DynamoDB": on-demand, 40,000 read and 40,000 write request units per second per table (on the
# current page: per table or per global secondary index; an older version summed a table and its GSIs).
TABLE_WRITE_UNITS_PER_SECOND = 40_000
TABLE_READ_UNITS_PER_SECOND = 40_000
# "Understanding DynamoDB warm throughput in different scenarios": each partition is limited to 1,000 write units
# and 3,000 read units per second (a hot key throttles below the table's quota); a new on-demand table starts warm
# at 4,000 writes and 12,000 reads per second and scales up with traffic.
PARTITION_WRITE_UNITS_PER_SECOND = 1_000
PARTITION_READ_UNITS_PER_SECOND = 3_000
NEW_TABLE_WARM_WRITE_UNITS_PER_SECOND = 4_000

# --- API Gateway and WAF --------------------------------------------------------------------------------------
# "Amazon API Gateway quotas": 10,000 requests/s per account and Region (burst bucket of 5,000), adjustable.
API_ACCOUNT_RATE = 10_000
API_ACCOUNT_BURST = 5_000
# "Rate-based rule high-level settings in AWS WAF": evaluation window 60, 120, 300 (default) or 600 s; lowest limit 10.
WAF_DEFAULT_WINDOW_SECONDS = 300

# --- Kinesis on-demand prices, from the one price table (securebank/measure/cost.py) -------------------------
KINESIS_ON_DEMAND_USD = {
    "stream_hour": PRICES_USD["kinesis_on_demand_stream_hour"],
    "ingested_gb": PRICES_USD["kinesis_on_demand_ingested_gb"],
    "retrieved_gb": PRICES_USD["kinesis_on_demand_retrieved_gb"],
}
KINESIS_ON_DEMAND_RECORD_ROUNDING_BYTES = 1024

# --- The specification's stack: checked against the model, not deployed by this one ----------------
SEED_CONCURRENCY = 500
SEED_WRITE_CAPACITY_UNITS = 10_000
SEED_READ_CAPACITY_UNITS = 10_000

ROOT = Path(__file__).resolve().parents[2]


@frozen
class StackLimits:
    """What one stack is configured to carry."""

    stack: str
    shard_mode: str  # PROVISIONED or ON_DEMAND
    shard_count: int  # used only when PROVISIONED
    reserved_concurrency: int  # the processor's
    other_reserved_concurrency: int  # the query Lambda's and the cost reporter's
    memory_mb: int
    batch_size: int
    batching_window_seconds: int
    parallelization_factor: int
    stage_rate: int
    stage_burst: int
    client_rate: int  # per API key (usage plan)
    client_burst: int
    api_keys: int
    waf_limit_per_ip: int  # requests per WAF_DEFAULT_WINDOW_SECONDS


def stack_limits(stack: str, root: Path = ROOT) -> StackLimits:
    """Read one stack's limits where the stack defines them (imports components, not pulumi_aws resources)."""
    import attrs

    from components import ingestion
    from contracts.aws import EVENT_SOURCE

    config = yaml.safe_load((root / f"Pulumi.{stack}.yaml").read_text())["config"]

    def value(key: str) -> object:
        return config[f"securebank:{key}"]

    clients: tuple[str, ...] = attrs.fields(ingestion.IngestionArgs).api_clients.default or ()
    return StackLimits(
        stack=stack,
        shard_mode=str(value("shardMode")),
        shard_count=int(str(value("shardCount"))),
        reserved_concurrency=int(str(value("processorConcurrency"))),
        other_reserved_concurrency=int(str(value("queryConcurrency"))) + 1,  # + the cost reporter's 1
        memory_mb=int(str(value("lambdaMemoryMb"))),
        batch_size=EVENT_SOURCE.batch_size,
        batching_window_seconds=EVENT_SOURCE.maximum_batching_window_seconds,
        parallelization_factor=EVENT_SOURCE.parallelization_factor,
        stage_rate=ingestion.STAGE_RATE_LIMIT,
        stage_burst=ingestion.STAGE_BURST_LIMIT,
        client_rate=ingestion.CLIENT_RATE_LIMIT,
        client_burst=ingestion.CLIENT_BURST_LIMIT,
        api_keys=len(clients),
        waf_limit_per_ip=ingestion.WAF_RATE_LIMIT_PER_IP,
    )
