"""Cost per million transactions: the one price table and the one model, used by `bench processor` and `demo`.

Prices are AWS list prices, us-east-1, on-demand, as published on these pages in 2025 (DynamoDB on-demand after the
price cut of 2024-11-01); quoted from the pages, not re-checked from this machine, which has no internet access:
  https://aws.amazon.com/dynamodb/pricing/on-demand/      https://aws.amazon.com/s3/pricing/
  https://aws.amazon.com/lambda/pricing/                  https://aws.amazon.com/kinesis/data-streams/pricing/
  https://aws.amazon.com/sqs/pricing/                     https://aws.amazon.com/api-gateway/pricing/
  https://aws.amazon.com/cloudwatch/pricing/

A run measures its usage (calls, request units, invocations, Lambda seconds, bytes) however it can; `Usage` holds
it and `cost_per_million` prices it. Each caller states how it measured what it passes.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from decimal import Decimal

from attrs import field, frozen

MILLION = Decimal(1_000_000)
PRICES_USD: dict[str, Decimal] = {
    "dynamodb_write_request_unit": Decimal("0.625") / MILLION,  # Standard table class
    "dynamodb_read_request_unit": Decimal("0.125") / MILLION,
    "s3_put_copy_post_list": Decimal("0.005") / 1000,  # S3 Standard
    "s3_get": Decimal("0.0004") / 1000,  # GET and HEAD
    "sqs_request": Decimal("0.40") / MILLION,  # standard queue, beyond the free tier
    "lambda_request": Decimal("0.20") / MILLION,
    "lambda_gb_second": Decimal("0.0000133334"),  # arm64, as the stack's functions are
    "kinesis_shard_hour": Decimal("0.015"),  # provisioned mode
    "kinesis_put_payload_unit": Decimal("0.014") / MILLION,  # one per started 25 KB of a record
    # On-demand mode (prod), each record rounded up to 1 KB; quoted as remembered from the Kinesis pricing page: the
    # stored copy of that page shows how on-demand is billed (per stream-hour, per GB in and out) but not the amounts.
    "kinesis_on_demand_stream_hour": Decimal("0.04"),
    "kinesis_on_demand_ingested_gb": Decimal("0.08"),
    "kinesis_on_demand_retrieved_gb": Decimal("0.04"),
    "api_gateway_rest_request": Decimal("3.50") / MILLION,  # first 333 M requests a month
    "cloudwatch_logs_ingested_gb": Decimal("0.50"),
}
LAMBDA_MEMORY_GB = Decimal("0.5")
LAMBDA_MEMORY_MB_PER_VCPU = 1_769
"""Lambda gives CPU in proportion to memory: one vCPU at 1,769 MB ("Configure Lambda function memory")."""
KINESIS_PAYLOAD_UNIT_BYTES = 25 * 1024
S3_PUT_LIST = ("s3.PutObject", "s3.ListObjectsV2", "s3.CopyObject")
S3_GET = ("s3.GetObject", "s3.HeadObject")
LINE = Decimal("0.0001")
TOTAL = Decimal("0.01")


def _decimal(value: object) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))


@frozen
class Usage:
    """What one run used to process `transactions` transactions (totals over the run, not rates)."""

    transactions: int
    calls: Mapping[str, int]  # service.Operation -> calls
    write_units: Decimal = field(converter=_decimal)
    read_units: Decimal = field(converter=_decimal)
    invocations: int
    lambda_seconds: Decimal = field(converter=_decimal)  # billed duration, summed over invocations
    shards: int
    transactions_per_second: Decimal = field(converter=_decimal)  # the sustained rate the shard-hours spread over
    record_bytes: Decimal = field(converter=_decimal, default=Decimal(1))  # mean Kinesis record size
    api_requests: int = 0  # API Gateway requests (0 when the run fed the stream directly)
    log_bytes: int = 0  # CloudWatch Logs ingested (handler logs and EMF lines)


def cost_per_million(usage: Usage) -> dict[str, Decimal]:
    """USD per million transactions, per service, and their sum under "total"."""
    if usage.transactions <= 0:
        raise ValueError(f"transactions: must be positive to price a run, got {usage.transactions}")
    if usage.transactions_per_second <= 0:
        raise ValueError(f"transactions_per_second: must be positive, got {usage.transactions_per_second}")
    scale = MILLION / usage.transactions
    calls = usage.calls
    s3_put_list = sum(n for op, n in calls.items() if op in S3_PUT_LIST)
    s3_get = sum(n for op, n in calls.items() if op in S3_GET)
    sqs = sum(n for op, n in calls.items() if op.startswith("sqs."))
    payload_units = math.ceil(max(usage.record_bytes, Decimal(1)) / KINESIS_PAYLOAD_UNIT_BYTES)  # started 25 KB
    shard_hours = usage.shards * MILLION / usage.transactions_per_second / 3600
    price = PRICES_USD
    lines = {
        "api_gateway": usage.api_requests * scale * price["api_gateway_rest_request"],
        "kinesis": payload_units * MILLION * price["kinesis_put_payload_unit"]
        + shard_hours * price["kinesis_shard_hour"],
        "lambda": (
            usage.invocations * price["lambda_request"]
            + usage.lambda_seconds * LAMBDA_MEMORY_GB * price["lambda_gb_second"]
        )
        * scale,
        "dynamodb": (
            usage.write_units * price["dynamodb_write_request_unit"]
            + usage.read_units * price["dynamodb_read_request_unit"]
        )
        * scale,
        "s3": (s3_put_list * price["s3_put_copy_post_list"] + s3_get * price["s3_get"]) * scale,
        "sqs": sqs * price["sqs_request"] * scale,
        "cloudwatch_logs": usage.log_bytes * scale / 10**9 * price["cloudwatch_logs_ingested_gb"],
    }
    priced = {name: value.quantize(LINE) for name, value in lines.items()}
    priced["total"] = sum(lines.values(), Decimal(0)).quantize(TOTAL)
    return priced


def as_json(cost: Mapping[str, Decimal]) -> dict[str, str]:
    """Decimal amounts as strings, exactly as computed, for a JSON report."""
    return {name: str(value) for name, value in cost.items()}
