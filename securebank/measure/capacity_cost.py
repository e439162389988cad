"""Cost per month at a sustained rate: the one model (securebank/measure/cost.py `Usage` + `cost_per_million`) on a
million transactions as the capacity model sizes them, times the millions a month holds. For an on-demand stream,
the Kinesis line is priced with the on-demand prices of securebank/measure/capacity_limits.py instead."""

from __future__ import annotations

import math
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from securebank.measure.capacity_limits import KINESIS_ON_DEMAND_RECORD_ROUNDING_BYTES, KINESIS_ON_DEMAND_USD
from securebank.measure.capacity_work import BatchWork
from securebank.measure.cost import MILLION, TOTAL, Usage, cost_per_million

HOURS_PER_MONTH = 730  # AWS's pricing pages price a month as 730 hours
SECONDS_PER_MONTH = HOURS_PER_MONTH * 3600
GIB = 1024**3


def million_transactions(
    rps: float, work: BatchWork, shards: int, lane: Mapping[str, float], write_units_per_transaction: float
) -> Usage:
    """What a million transactions use at this rate: the measured calls and read units per transaction, the write
    units of the model (flagged ones included), one invocation per `records_per_batch` of the model's invocation
    time, the model's shards over the rate, and each transaction entering through API Gateway."""
    invocations = math.ceil(1_000_000 / lane["records_per_batch"])
    return Usage(
        transactions=1_000_000,
        calls={op: round(per_100 * 10_000) for op, per_100 in work.calls_per_100.items()},
        write_units=Decimal(str(write_units_per_transaction)) * MILLION,
        read_units=Decimal(str(work.read_units_per_transaction)) * MILLION,
        invocations=invocations,
        lambda_seconds=Decimal(str(lane["invocation_ms"])) * invocations / 1000,
        shards=shards,
        transactions_per_second=Decimal(str(rps)),
        record_bytes=Decimal(str(work.record_bytes)),
        api_requests=1_000_000,
        log_bytes=round(work.log_bytes_per_transaction * 1_000_000),
    )


def on_demand_kinesis_per_million(rps: float, record_bytes: float) -> Decimal:
    """USD per million records on an on-demand stream: the stream-hours spread over the rate, and each record
    ingested and read once (by the event source mapping), each rounded up to 1 KB."""
    rounded = (
        math.ceil(record_bytes / KINESIS_ON_DEMAND_RECORD_ROUNDING_BYTES) * KINESIS_ON_DEMAND_RECORD_ROUNDING_BYTES
    )
    gigabytes = MILLION * rounded / GIB
    hours = MILLION / Decimal(str(rps)) / 3600
    price = KINESIS_ON_DEMAND_USD
    return hours * price["stream_hour"] + gigabytes * (price["ingested_gb"] + price["retrieved_gb"])


def monthly_cost(
    rps: float,
    work: BatchWork,
    shards: int,
    lane: Mapping[str, float],
    write_units_per_transaction: float,
    stream_mode: str,
) -> dict[str, Any]:
    """USD a month at `rps` sustained (730 hours), per service and in total, as strings; and per million."""
    lines = cost_per_million(million_transactions(rps, work, shards, lane, write_units_per_transaction))
    del lines["total"]  # re-summed from the lines: the total is rounded to cents per million
    if stream_mode == "ON_DEMAND":
        lines["kinesis"] = on_demand_kinesis_per_million(rps, work.record_bytes)
    millions = Decimal(str(rps)) * SECONDS_PER_MONTH / MILLION
    per_million = sum(lines.values(), Decimal(0))
    return {
        "total": str((per_million * millions).quantize(TOTAL)),
        "services": {name: str((usd * millions).quantize(TOTAL)) for name, usd in lines.items()},
        "per_million": str(per_million.quantize(TOTAL)),
        "per_million_excluding_api": str((per_million - lines["api_gateway"]).quantize(TOTAL)),
    }
