"""Capacity model of the deployed stack at a sustained offered rate: what each part needs, which limit binds first
and what to change, the end-to-end latency and the cost per month. docs/capacity.md explains it.

Inputs: the processor's measured work per batch (securebank/measure/capacity_work.py, from `bench processor`), the
stack's settings and AWS's published limits (securebank/measure/capacity_limits.py), and the one cost model
(securebank/measure/cost.py). Throughput is float; money is Decimal.
"""

from __future__ import annotations

from typing import Any

from contracts.aws import REVIEW_INDEX, TRANSACTIONS_TABLE
from securebank.measure import capacity_limits as aws
from securebank.measure.capacity_checks import ceil, hot_keys, per_client, seed_check, warnings
from securebank.measure.capacity_cost import monthly_cost
from securebank.measure.capacity_limits import StackLimits
from securebank.measure.capacity_work import BatchWork

TARGET_UTILISATION = 0.8
"""Shards and processing lanes are sized to run at most at 80% of their limit (an assumption, not an AWS figure)."""
WRITE_OPERATIONS = ("dynamodb.TransactWriteItems",)
TRANSACTION_ITEM_WRITE_UNITS = 2  # a transactional put of one item under 1 KB (each stored transaction is)
INDEX_WRITE_UNITS = 1  # per index with an ALL projection, per KB (as securebank/measure/aws_calls.py counts)
SPARSE_INDEXES = (REVIEW_INDEX.name,)
"""Written only for the items that carry their key: the review queue holds the flagged transactions alone."""
GLOBAL_INDEXES = tuple(index.name for index in TRANSACTIONS_TABLE.global_indexes if index.name not in SPARSE_INDEXES)
LOCAL_INDEXES = len(TRANSACTIONS_TABLE.local_indexes)  # written in the table's own partitions and capacity
FLAGGED_EXTRA_KB = 1  # a flagged transaction also stores its reasons: assumed to take a second KB


def invocation_ms(work: BatchWork, stack: StackLimits, records: float) -> float:
    """One invocation on `records` records: the measured compute per record, scaled to the function's share of a
    vCPU (one measuring-machine core taken as one Lambda vCPU), plus a full batch's AWS calls, one at a time."""
    cpu = max(1.0, aws.MEMORY_MB_PER_VCPU / stack.memory_mb)
    return work.compute_ms_per_batch / work.batch_size * records * cpu + work.calls_ms(stack.batch_size)


def shards_for_writes(rps: float, record_bytes: float) -> float:
    """Shards' worth of write load, unrounded: the larger of bytes and records against one shard's write limits."""
    return max(rps * record_bytes / aws.SHARD_WRITE_BYTES_PER_SECOND, rps / aws.SHARD_WRITE_RECORDS_PER_SECOND)


def write_units(work: BatchWork, flag_rate: float) -> dict[str, float]:
    """Write units per transaction by table and index. The stored transaction and its indexes take what its item
    size gives (2 + 1 per index); the rest of the measured total is the customer's profile (one write per customer
    per batch); a flagged transaction takes one more KB everywhere it is written, and is the only one written to the
    sparse indexes (SPARSE_INDEXES)."""
    extra = flag_rate * FLAGGED_EXTRA_KB
    transaction = TRANSACTION_ITEM_WRITE_UNITS + INDEX_WRITE_UNITS * (LOCAL_INDEXES + len(GLOBAL_INDEXES))
    units = {
        "transactions_table": (TRANSACTION_ITEM_WRITE_UNITS + INDEX_WRITE_UNITS * LOCAL_INDEXES) * (1 + extra),
        "customers_table": work.write_units_per_transaction - transaction,
    }
    for index in GLOBAL_INDEXES:
        units[index] = INDEX_WRITE_UNITS * (1 + extra)
    for index in SPARSE_INDEXES:
        units[index] = INDEX_WRITE_UNITS * flag_rate * (1 + FLAGGED_EXTRA_KB)
    return units


def lanes(rps: float, work: BatchWork, stack: StackLimits) -> dict[str, float]:
    """Processing lanes (shard x ParallelizationFactor, one invocation each at a time) and their batches. An
    on-demand stream is taken to hold at least its initial shards."""
    full_ms = invocation_ms(work, stack, stack.batch_size)
    lane_rps = stack.batch_size / (full_ms / 1000)  # records/s one lane processes with full batches
    needed = max(1, ceil(rps / (lane_rps * TARGET_UTILISATION)))
    least = aws.ON_DEMAND_INITIAL_SHARDS if stack.shard_mode == "ON_DEMAND" else 1
    shards = max(least, ceil(shards_for_writes(rps, work.record_bytes) / TARGET_UTILISATION))
    shards = max(shards, ceil(needed / aws.MAX_PARALLELIZATION_FACTOR))
    factor = max(1, ceil(needed / shards))
    per_lane = rps / (shards * factor)
    cycle = max(stack.batching_window_seconds, full_ms / 1000)  # a lane gathers while its invocation runs
    records = max(1.0, min(stack.batch_size, per_lane * cycle))
    return {
        "lane_rps": lane_rps,
        "shards": shards,
        "parallelization_factor": factor,
        "records_per_batch": records,
        "batching_ms": min(records / per_lane, stack.batching_window_seconds) * 1000,
        "invocation_ms": invocation_ms(work, stack, records),
        "lane_batches_per_second": per_lane / records,
    }


def plan(
    rps: float,
    work: BatchWork,
    stack: StackLimits,
    flag_rate: float = 0.0,
    hot_customer_tps: float = 10.0,
) -> dict[str, Any]:
    """The capacity report at `rps` sustained transactions per second (JSON-ready: money as strings)."""
    if rps <= 0:
        raise ValueError(f"rps: must be positive, got {rps}")
    lane = lanes(rps, work, stack)
    shards, factor = int(lane["shards"]), int(lane["parallelization_factor"])
    units = write_units(work, flag_rate)
    wcu = {name: rps * per_tx for name, per_tx in units.items()}
    limits = stack_wide_limits(rps, work, stack, lane, units)
    binding = max(limits, key=lambda limit: limit["utilisation"])
    cost = {
        mode: monthly_cost(rps, work, shards, lane, sum(units.values()), mode) for mode in ("PROVISIONED", "ON_DEMAND")
    }
    write_ms = work.calls_ms(stack.batch_size, WRITE_OPERATIONS)
    return {
        "rps": rps,
        "stack": stack.stack,
        "binding_limit": binding["name"],
        "binding_utilisation": binding["utilisation"],
        "binds": binding["utilisation"] >= 1,
        "change": binding["change"],
        "limits": limits,
        "stream_mode": stack.shard_mode,
        "shards": shards,
        "configured_shards": stack.shard_count if stack.shard_mode == "PROVISIONED" else "ON_DEMAND",
        "parallelization_factor": factor,
        "configured_parallelization_factor": stack.parallelization_factor,
        "concurrency": shards * factor,
        "mean_busy_concurrency": round(rps / lane["records_per_batch"] * lane["invocation_ms"] / 1000, 1),
        "reserved_concurrency": stack.reserved_concurrency,
        "account_concurrency_needed": stack.reserved_concurrency
        + stack.other_reserved_concurrency
        + aws.UNRESERVED_CONCURRENCY_MINIMUM,
        "wcu_per_second": round(sum(wcu.values())),
        "wcu_per_second_by_table": {name: round(value) for name, value in wcu.items()},
        "rcu_per_second": round(rps * work.read_units_per_transaction),
        "hot_keys": hot_keys(lane, units, hot_customer_tps),
        "per_client": per_client(rps, stack),
        "warnings": warnings(rps, stack, max(wcu.values())),
        "seed": seed_check(shards * factor, wcu, rps * work.read_units_per_transaction),
        "end_to_end_ms": round(lane["batching_ms"] + lane["invocation_ms"]),
        "latency_ms": {
            "batching": round(lane["batching_ms"]),
            "invocation_before_writes": round(lane["invocation_ms"] - write_ms),
            "writes": round(write_ms),
        },
        "records_per_batch": round(lane["records_per_batch"], 1),
        "cost_per_month_usd": cost[stack.shard_mode]["total"],
        "cost_per_month_by_stream_mode_usd": {mode: c["total"] for mode, c in cost.items()},
        "cost_per_month_breakdown_usd": cost[stack.shard_mode]["services"],
        "cost_per_million_usd": cost[stack.shard_mode]["per_million"],
        "cost_per_million_excluding_api_usd": cost[stack.shard_mode]["per_million_excluding_api"],
        "assumptions": assumptions(work, stack, flag_rate, hot_customer_tps),
    }


def _limit(name: str, capacity_rps: float, rps: float, change: str) -> dict[str, Any]:
    utilisation = round(rps / capacity_rps, 4)
    return {"name": name, "capacity_rps": round(capacity_rps, 1), "utilisation": utilisation, "change": change}


def stack_wide_limits(
    rps: float,
    work: BatchWork,
    stack: StackLimits,
    lane: dict[str, float],
    units: dict[str, float],
) -> list[dict[str, Any]]:
    """Each stack-wide limit as the offered rate at which it binds, with the stack as configured (the load spread
    over enough API clients: per-client limits are reported apart). Utilisation is rps / capacity."""
    write_load = shards_for_writes(rps, work.record_bytes)
    per_shard_rps = rps / write_load  # records/s one shard's write limits allow at this record size
    shards, factor = int(lane["shards"]), int(lane["parallelization_factor"])
    if stack.shard_mode == "PROVISIONED":
        stream = _limit("kinesis_provisioned_shards", stack.shard_count * per_shard_rps, rps, f"shardCount: {shards}")
        live_shards = stack.shard_count
    else:
        on_demand_max = aws.ON_DEMAND_MAX_WRITE_BYTES_PER_SECOND / aws.SHARD_WRITE_BYTES_PER_SECOND * per_shard_rps
        stream = _limit("kinesis_on_demand_write", on_demand_max, rps, "request a higher on-demand write quota")
        live_shards = shards  # on-demand manages its shards: taken as the model's count
    table_rps = aws.TABLE_WRITE_UNITS_PER_SECOND
    return [
        _limit(
            "api_gateway_account_throttle", aws.API_ACCOUNT_RATE, rps, "Service Quotas: raise API Gateway's throttle"
        ),
        _limit("api_gateway_stage_rate", stack.stage_rate, rps, "components/ingestion.py STAGE_RATE_LIMIT"),
        stream,
        _limit(
            "event_source_parallelization_factor",
            live_shards * stack.parallelization_factor * lane["lane_rps"],
            rps,
            f"contracts/aws.py EVENT_SOURCE parallelization_factor: {factor} (with {shards} shards)",
        ),
        _limit(
            "lambda_reserved_concurrency",
            stack.reserved_concurrency * lane["lane_rps"],
            rps,
            f"processorConcurrency: at least {shards * factor}",
        ),
        _limit("dynamodb_transactions_table_writes", table_rps / units["transactions_table"], rps, _QUOTA),
        _limit("dynamodb_customers_table_writes", table_rps / units["customers_table"], rps, _QUOTA),
        _limit(
            "dynamodb_customers_table_reads",
            aws.TABLE_READ_UNITS_PER_SECOND / work.read_units_per_transaction,
            rps,
            _QUOTA,
        ),
        *(_limit(f"dynamodb_{index}_writes", table_rps / units[index], rps, _QUOTA) for index in GLOBAL_INDEXES),
    ]


_QUOTA = "Service Quotas: raise DynamoDB's per-table throughput quota"


def assumptions(work: BatchWork, stack: StackLimits, flag_rate: float, hot_customer_tps: float) -> dict[str, Any]:
    return {
        "target_utilisation": TARGET_UTILISATION,
        "record_bytes": work.record_bytes,
        "compute_ms_per_batch_measured": round(work.compute_ms_per_batch, 1),
        "cpu_scale": round(max(1.0, aws.MEMORY_MB_PER_VCPU / stack.memory_mb), 3),
        "aws_latency_seconds": dict(work.aws_latency_seconds),
        "write_units_per_transaction": work.write_units_per_transaction,
        "read_units_per_transaction": work.read_units_per_transaction,
        "flag_rate": flag_rate,
        "hot_customer_tps": hot_customer_tps,
    }
