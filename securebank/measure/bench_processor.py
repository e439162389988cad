"""Processor: AWS calls per 100 transactions and modelled cost per million, on moto (10,000 tx, 1,000 customers).

Drives `handlers.processor.handle` with Kinesis events of 100 records, built by the real bootstrap on an in-process
moto (mock_aws). Calls are counted per `service.Operation` with botocore event hooks (securebank/aws_calls.py).
Transactions arrive as a stream does: in time order, 20 ms apart (so a batch of 100 spans 2 s and one hour
partition). moto runs with the local stack's narrow patches (securebank/emulator/moto_patches.py: TransactWriteItems
restores only the items it wrote instead of deep-copying every table per call; `--unpatched-moto` to compare).
Cost per million comes from the one model, securebank/measure/cost.py (its prices cite their source and date):
`cost_per_million_usd` without API Gateway (the stream is fed directly), `cost_per_million_with_api_usd` with one
REST request per transaction.

CPU per transaction, the processor's against moto's, both in this process: the run's CPU time (time.process_time
around the deliveries) is split by the call counter, which adds up the calling thread's CPU time (time.thread_time)
from each request's `before-send` to its `before-parse`. In-process moto answers in that window, in the same
thread, so that is moto's share; the rest is the processor's (the handler, the domain, boto3's serialising, signing
and parsing). Their ratio holds on any machine; the milliseconds only on this one. The Lambda duration priced is the
processor's CPU plus an assumed AWS latency per call.
Nothing here is asserted by a test: this is a measurement.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from securebank.measure.cost import Usage
from securebank.measure.processor_report import cpu_per_transaction, print_report

if TYPE_CHECKING:
    from securebank.measure.aws_calls import AwsCallCounter

# Assumptions of the model (stated, not measured):
ASSUMED_AWS_LATENCY_SECONDS = {"dynamodb": 0.010, "s3": 0.020, "sqs": 0.010}
"""Per call, in place of moto's in-process time, for the Lambda duration."""
SHARDS = 2
ASSUMED_TRANSACTIONS_PER_SECOND = 100.0
"""Sustained rate over which the shard-hours are spread."""


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--transactions", type=int, default=10_000)
    parser.add_argument("--customers", type=int, default=1_000)
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--report-json", type=Path, help="also write the report as JSON to this file")
    parser.add_argument(
        "--redeliver-every",
        type=int,
        default=0,
        metavar="N",
        help="deliver every Nth batch twice (its calls are counted too)",
    )
    parser.add_argument(
        "--unpatched-moto", action="store_true", help="measure without securebank.emulator.moto_patches"
    )
    parser.add_argument(
        "--merchant-rule",
        action="store_true",
        help="publish a policy with the merchant rule on and a merchant-risk snapshot first (their reads are counted)",
    )
    parser.add_argument(
        "--policy",
        type=Path,
        help="publish this policy file as the active policy first (securebank/measure/bench_policy.py)",
    )
    parser.add_argument(
        "--shadow",
        action="store_true",
        help="put a different policy version in shadow first (securebank/measure/bench_shadow.py): its reads are "
        "counted and the processor's shadow counts reported",
    )


def bodies(count: int, customers: int, seed: int) -> list[dict[str, Any]]:
    """The lab's workload (securebank/lab/generate.py, no fraud mixed in), re-timed as the stream delivers it: in
    order, 20 ms apart from 2024-03-01T12:00:00Z."""
    from securebank.lab.generate import generate_workload

    workload = generate_workload(customers=customers, transactions=count, seed=seed, fraud_rate=0.0)
    start = datetime(2024, 3, 1, 12, tzinfo=UTC)
    return [
        {**body, "timestamp": (start + timedelta(milliseconds=20 * i)).isoformat().replace("+00:00", "Z")}
        for i, body in enumerate(workload.transactions())
    ]


def kinesis_events(payloads: list[dict[str, Any]], batch_size: int) -> list[dict[str, Any]]:
    """Batches of `batch_size` records, built by the emulator's event source mapping (the one builder)."""
    from securebank.emulator.lambda_shapes import kinesis_event, stream_records

    records = stream_records(payloads, 49_600_000_000_000_000_000)
    arn = "arn:aws:kinesis:us-east-1:123456789012:stream/bench"
    return [
        kinesis_event(records[start : start + batch_size], "shardId-000000000000", arn, "us-east-1")
        for start in range(0, len(records), batch_size)
    ]


def run(args: argparse.Namespace) -> int:
    import boto3
    from moto import mock_aws

    from contracts import aws
    from securebank.emulator import moto_patches
    from securebank.measure.aws_calls import AwsCallCounter, index_keys

    if not args.unpatched_moto:
        moto_patches.apply()
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        os.environ.setdefault(name, "bench")
    os.environ.pop(aws.ENV_AWS_ENDPOINT_URL, None)
    payloads = bodies(args.transactions, args.customers, args.seed)
    events = kinesis_events(payloads, args.batch_size)
    with mock_aws():
        setup = boto3.Session(region_name="us-east-1")
        settings = _create_resources(setup)
        if args.merchant_rule:
            from securebank.measure.bench_policy import publish_merchant_rule

            publish_merchant_rule(setup, payloads)
        published = {}
        if args.policy:
            from securebank.measure.bench_policy import publish_policy_file

            published = {"policy": publish_policy_file(setup, args.policy)}
        release = None
        if args.shadow:
            from securebank.measure.bench_shadow import publish_shadow_release

            release = publish_shadow_release(setup, aws.LAKE_BUCKET)
        counter = AwsCallCounter({settings.transactions_table: index_keys(aws.TRANSACTIONS_TABLE)})
        session = boto3.Session(region_name="us-east-1")
        counter.attach(session)
        record_bytes = sum(len(json.dumps(body)) for body in payloads) / len(payloads)
        report = _process(
            events, settings, session, counter, args.transactions, args.redeliver_every, record_bytes, release
        )
        report["double_counted"] = _double_counted(setup, settings)
        report |= published
    print_report(report)
    if "shadow" in report:
        print(f"shadow release: {json.dumps(report['shadow'])}")
    if args.report_json:
        args.report_json.write_text(json.dumps(report, indent=2) + "\n")
    return 0 if report["double_counted"] == 0 else 1


def _create_resources(session: Any) -> Any:
    from contracts import aws
    from handlers.settings import Settings
    from securebank.emulator.resources import create_table

    dynamodb = session.client("dynamodb")
    for spec in (aws.TRANSACTIONS_TABLE, aws.CUSTOMERS_TABLE):
        create_table(dynamodb, spec, spec.name)  # the emulator's CreateTable, the one there is
    session.client("s3").create_bucket(Bucket=aws.LAKE_BUCKET)
    queue = session.client("sqs").create_queue(QueueName=aws.QUARANTINE_QUEUE)["QueueUrl"]
    return Settings(quarantine_queue_url=queue)  # flags out through the table's stream (the outbox pipe), no call here


def _process(
    events: list[dict[str, Any]],
    settings: Any,
    session: Any,
    counter: Any,
    total: int,
    redeliver_every: int,
    record_bytes: float,
    release: dict[str, Any] | None = None,
) -> dict[str, Any]:
    import contextlib
    import io

    import attrs

    from handlers.bootstrap import bootstrap
    from handlers.processor import handle
    from securebank.measure.bench_flags import flag_report
    from securebank.measure.bench_shadow import shadow_report
    from securebank.measure.cost import LAMBDA_MEMORY_GB, LAMBDA_MEMORY_MB_PER_VCPU, as_json, cost_per_million

    deps = bootstrap(settings, session)
    deps.logger.setLevel("WARNING")
    failures = 0
    begin, cpu_begin = time.perf_counter(), time.process_time()
    logs = io.StringIO()
    with contextlib.redirect_stdout(logs):  # EMF blobs and logs: what CloudWatch would ingest
        for number, event in enumerate(events, 1):
            failures += len(handle(event, deps)["batchItemFailures"])
            if redeliver_every and number % redeliver_every == 0:  # as after a lost checkpoint
                failures += len(handle(event, deps)["batchItemFailures"])
    elapsed, cpu = time.perf_counter() - begin, time.process_time() - cpu_begin
    calls = counter.per_100(total)
    invocations = len(events) + (len(events) // redeliver_every if redeliver_every else 0)
    # The processor's CPU (moto's taken out), stretched to the function's share of a vCPU at its memory size:
    # one core here taken as one Lambda vCPU.
    cpu_scale = max(1.0, LAMBDA_MEMORY_MB_PER_VCPU / float(LAMBDA_MEMORY_GB * 1024))
    compute = max(0.0, cpu - counter.cpu_seconds_sending) * cpu_scale
    latency = sum(n * ASSUMED_AWS_LATENCY_SECONDS.get(op.split(".")[0], 0.010) for op, n in counter.calls.items())
    usage = measured_usage(counter, total, invocations, compute + latency, record_bytes, len(logs.getvalue().encode()))
    breakdown = cost_per_million(usage)
    with_api = cost_per_million(attrs.evolve(usage, api_requests=total))
    shadow = {} if release is None else {"shadow": shadow_report(release, logs.getvalue(), sum(calls.values()))}
    return {
        "transactions": total,
        "batches": invocations,
        "redelivered_batches": invocations - len(events),
        "batch_item_failures": failures,
        "calls_per_100_transactions": calls,
        "total_calls_per_100_transactions": round(sum(calls.values()), 3),
        **flag_report(logs.getvalue(), total),
        "dynamodb_request_units_per_transaction": {
            "write": round(counter.write_units / total, 3),
            "read": round(counter.read_units / total, 3),
        },
        "cost_per_million_usd": str(breakdown["total"]),
        "cost_per_million_with_api_usd": str(with_api["total"]),
        "cost_breakdown_per_million_usd": as_json(breakdown),
        "api_gateway_per_million_usd_not_included": str(with_api["api_gateway"]),
        **cpu_per_transaction(cpu, counter.cpu_seconds_sending, total),
        "transactions_per_second": round(total / elapsed, 1),
        "seconds": round(elapsed, 2),
        "cpu_seconds": round(cpu, 2),
        "seconds_in_moto": round(counter.seconds_in_calls, 2),
        "assumptions": {
            "lambda_memory_gb": str(LAMBDA_MEMORY_GB),
            "lambda_cpu_scale": round(cpu_scale, 3),
            "aws_latency_seconds": ASSUMED_AWS_LATENCY_SECONDS,
            "kinesis_shards": SHARDS,
            "sustained_transactions_per_second": ASSUMED_TRANSACTIONS_PER_SECOND,
            "index_writes": f"each of the Transactions table's indexes ({', '.join(_index_names())}) at 1 WRU/KB",
        },
        **shadow,
    }


def _index_names() -> list[str]:
    from contracts.aws import TRANSACTIONS_TABLE

    return [
        f"{i.name} ({i.projection})" for i in (*TRANSACTIONS_TABLE.global_indexes, *TRANSACTIONS_TABLE.local_indexes)
    ]


def measured_usage(
    counter: AwsCallCounter,
    transactions: int,
    invocations: int,
    lambda_seconds: float,
    record_bytes: float,
    log_bytes: int,
) -> Usage:
    """What the processor used on in-process moto: calls and request units (the one call counter), log bytes
    (captured); Lambda duration is its own compute (scaled to its share of a vCPU) plus an assumed AWS latency per
    call; the stream is fed directly (no API Gateway) at an assumed sustained rate over SHARDS shards."""
    return Usage(
        transactions=transactions,
        calls=counter.calls,
        write_units=counter.write_units,
        read_units=counter.read_units,
        invocations=invocations,
        lambda_seconds=lambda_seconds,
        shards=SHARDS,
        transactions_per_second=ASSUMED_TRANSACTIONS_PER_SECOND,
        record_bytes=record_bytes,
        log_bytes=log_bytes,
    )


def _double_counted(session: Any, settings: Any) -> int:
    """Profiles whose total_transactions differs from the number of stored transactions of that customer."""
    dynamodb = session.client("dynamodb")
    stored: dict[str, int] = {}
    for page in dynamodb.get_paginator("scan").paginate(
        TableName=settings.transactions_table, ProjectionExpression="customer_id"
    ):
        for item in page["Items"]:
            stored[item["customer_id"]["S"]] = stored.get(item["customer_id"]["S"], 0) + 1
    wrong = 0
    for page in dynamodb.get_paginator("scan").paginate(TableName=settings.customers_table):
        for item in page["Items"]:
            wrong += int(item["total_transactions"]["N"]) != stored.pop(item["customer_id"]["S"], 0)
    return wrong + len(stored)
