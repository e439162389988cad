"""The capacity model's checks that do not size anything: hot keys, per-client limits, the specification's stack,
and warnings about quotas and warm-up that a sustained rate meets on a new stack."""

from __future__ import annotations

import math
from typing import Any

from securebank.measure import capacity_limits as aws
from securebank.measure.capacity_limits import StackLimits


def ceil(value: float) -> int:
    """math.ceil that does not turn 10.000000000000002 (float noise of an exact 10) into 11."""
    return math.ceil(round(value, 9))


def hot_keys(
    lane: dict[str, float],
    units: dict[str, float],
    hot_customer_tps: float,
) -> dict[str, Any]:
    """One customer's records share one shard, one lane (in order) and one DynamoDB partition: the Transactions
    table has a local index, so its item collection cannot be split across partitions."""
    limits = {
        "processing_lane": lane["lane_rps"],
        "kinesis_shard": float(aws.SHARD_WRITE_RECORDS_PER_SECOND),
        "dynamodb_partition": aws.PARTITION_WRITE_UNITS_PER_SECOND / units["transactions_table"],
    }
    first = min(limits, key=lambda name: limits[name])
    return {
        "hot_customer_tps": hot_customer_tps,
        "max_customer_tps": round(limits[first], 1),
        "customer_limit": first,
        "hot_customer_ok": hot_customer_tps < limits[first],
        "hot_customer_partition_wcu": round(hot_customer_tps * units["transactions_table"], 1),
        "profile_writes_per_second": round(min(hot_customer_tps, lane["lane_batches_per_second"]), 2),
    }


def per_client(rps: float, stack: StackLimits) -> dict[str, Any]:
    """API Gateway's usage plan limits each API key; the WAF's rate rule limits each source IP."""
    waf_rps = stack.waf_limit_per_ip / aws.WAF_DEFAULT_WINDOW_SECONDS
    report: dict[str, Any] = {
        "usage_plan_rps_per_key": stack.client_rate,
        "usage_plan_burst_per_key": stack.client_burst,
        "waf_rps_per_source_ip": round(waf_rps, 1),
        "max_rps_per_client_from_one_ip": round(min(stack.client_rate, waf_rps), 1),
        "api_keys_configured": stack.api_keys,
        "api_keys_needed": ceil(rps / stack.client_rate),
        "source_ips_needed": ceil(rps / waf_rps),
    }
    if waf_rps < stack.client_rate:
        report["change"] = (
            f"the WAF blocks one client IP at {waf_rps:.1f} rps, below its usage plan's {stack.client_rate}: set "
            "components/ingestion.py WAF_RATE_LIMIT_PER_IP to at least "
            f"{stack.client_rate * aws.WAF_DEFAULT_WINDOW_SECONDS} or scope the rule to requests without an API key"
        )
    return report


def seed_check(concurrency: int, wcu: dict[str, float], rcu: float) -> dict[str, Any]:
    """The specification's 500 concurrent executions and 10,000 WCU/RCU (per table or index) at this rate."""
    busiest = max(wcu.values())
    return {
        "concurrency": {
            "seed": aws.SEED_CONCURRENCY,
            "needed": concurrency,
            "sufficient": concurrency <= aws.SEED_CONCURRENCY,
        },
        "wcu": {
            "seed": aws.SEED_WRITE_CAPACITY_UNITS,
            "needed": round(busiest),
            "sufficient": busiest <= aws.SEED_WRITE_CAPACITY_UNITS,
        },
        "rcu": {
            "seed": aws.SEED_READ_CAPACITY_UNITS,
            "needed": round(rcu),
            "sufficient": rcu <= aws.SEED_READ_CAPACITY_UNITS,
        },
    }


def warnings(rps: float, stack: StackLimits, busiest_table_wcu: float) -> list[str]:
    """What a new stack meets before it has scaled, and quotas to raise before deploying."""
    found = []
    account = stack.reserved_concurrency + stack.other_reserved_concurrency + aws.UNRESERVED_CONCURRENCY_MINIMUM
    if account > aws.ACCOUNT_CONCURRENCY_DEFAULT:
        found.append(
            f"reserved concurrency needs an account concurrency quota of at least {account} (default "
            f"{aws.ACCOUNT_CONCURRENCY_DEFAULT}): raise it before deploying"
        )
    initial = aws.ON_DEMAND_INITIAL_SHARDS * aws.SHARD_WRITE_RECORDS_PER_SECOND
    if stack.shard_mode == "ON_DEMAND" and rps > initial:
        found.append(
            f"a new on-demand stream starts at {initial:,} records/s (4 MB/s) and scales up with traffic: ramp up, "
            "or start provisioned and switch"
        )
    if busiest_table_wcu > aws.NEW_TABLE_WARM_WRITE_UNITS_PER_SECOND:
        found.append(
            f"a new on-demand table starts warm at {aws.NEW_TABLE_WARM_WRITE_UNITS_PER_SECOND:,} writes/s per table "
            "and scales up with traffic: pre-warm the tables (warm throughput) or ramp up"
        )
    return found
