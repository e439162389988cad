"""Cost per million transactions, from what the demo measured, at AWS list prices (us-east-1, on-demand).

An estimate: request counts are measured (API requests, the processor's AWS calls and DynamoDB request units),
Lambda duration is the handler's wall time on this machine, shard-hours are amortised at the measured rate.
"""

from __future__ import annotations

import math
from typing import Any

PRICES_USD = {
    "api_gateway_rest_per_million_requests": 3.50,
    "kinesis_put_payload_units_per_million": 0.014,  # one unit per 25 KB record chunk
    "kinesis_shard_hour": 0.015,
    "lambda_per_million_requests": 0.20,
    "lambda_per_gb_second": 0.0000166667,
    "dynamodb_per_million_write_units": 0.625,
    "dynamodb_per_million_read_units": 0.125,
    "s3_per_thousand_put_list": 0.005,
    "s3_per_thousand_get": 0.0004,
    "sqs_per_million_requests": 0.40,
    "cloudwatch_logs_per_gb_ingested": 0.50,
}
LAMBDA_MEMORY_GB = 0.5


def cost_per_million(
    *,
    processed: int,
    api_requests: int,
    record_bytes: float,
    esm: dict[str, Any],
    shards: int,
    transactions_per_second: float,
    log_bytes: int,
) -> dict[str, float]:
    """Per-service USD per million processed transactions, and the total under "total"."""
    if processed <= 0:
        return {"total": 0.0}
    scale = 1_000_000 / processed
    calls: dict[str, int] = esm.get("calls", {})
    units: dict[str, float] = esm.get("units", {})
    s3_put_list = sum(n for op, n in calls.items() if op in ("s3.PutObject", "s3.ListObjectsV2"))
    s3_get = sum(n for op, n in calls.items() if op in ("s3.GetObject", "s3.HeadObject"))
    sqs = sum(n for op, n in calls.items() if op.startswith("sqs."))
    hours_per_million = 1_000_000 / max(transactions_per_second, 1e-9) / 3600
    lines = {
        "api_gateway": api_requests * scale * PRICES_USD["api_gateway_rest_per_million_requests"] / 1e6,
        "kinesis": (
            math.ceil(max(record_bytes, 1) / 25_600) * 1e6 * PRICES_USD["kinesis_put_payload_units_per_million"] / 1e6
            + shards * hours_per_million * PRICES_USD["kinesis_shard_hour"]
        ),
        "lambda": (
            esm.get("handler_invocations", 0) * scale * PRICES_USD["lambda_per_million_requests"] / 1e6
            + esm.get("handler_seconds", 0.0) * scale * LAMBDA_MEMORY_GB * PRICES_USD["lambda_per_gb_second"]
        ),
        "dynamodb": (
            units.get("write_units", 0) * scale * PRICES_USD["dynamodb_per_million_write_units"] / 1e6
            + units.get("read_units", 0) * scale * PRICES_USD["dynamodb_per_million_read_units"] / 1e6
        ),
        "s3": (s3_put_list * PRICES_USD["s3_per_thousand_put_list"] + s3_get * PRICES_USD["s3_per_thousand_get"])
        * scale
        / 1000,
        "sqs": sqs * scale * PRICES_USD["sqs_per_million_requests"] / 1e6,
        "cloudwatch_logs": log_bytes * scale / 1e9 * PRICES_USD["cloudwatch_logs_per_gb_ingested"],
    }
    lines = {name: round(value, 4) for name, value in lines.items()}
    lines["total"] = round(sum(lines.values()), 2)
    return lines
