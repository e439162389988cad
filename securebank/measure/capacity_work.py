"""The processor's measured work per batch, the input of the capacity model, from `bench processor --report-json`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from attrs import frozen

from securebank.measure.cost import PRICES_USD

# `python -m securebank bench processor --report-json report.json`, run 2026-11-30 11:40 UTC on this 2-core machine
# (10,000 transactions, 1,000 customers, batches of 100, seed 7; the tree of 8b8ab08: MerchantIndex removed, so
# 6.057 WRU a transaction, 7.057 before). Only the fields the model reads are kept.
DEFAULT_BENCH_REPORT: dict[str, Any] = {
    "transactions": 10_000,
    "batches": 100,
    "calls_per_100_transactions": {
        "dynamodb.BatchGetItem": 1.0,
        "dynamodb.TransactWriteItems": 2.0,
        "s3.ListObjectsV2": 0.01,
        "s3.PutObject": 1.0,
    },
    "dynamodb_request_units_per_transaction": {"write": 6.057, "read": 0.922},
    "cost_breakdown_per_million_usd": {"cloudwatch_logs": "0.0033"},
    "processor_cpu_ms_per_transaction": 1.16,
    "seconds": 34.44,
    "seconds_in_moto": 18.28,
    "assumptions": {"aws_latency_seconds": {"dynamodb": 0.01, "s3": 0.02, "sqs": 0.01}},
}
DEFAULT_RECORD_BYTES = 281.2
"""Mean Kinesis record of that workload: 270.2 bytes of JSON body + 11 bytes of partition key (customer_id),
measured with `securebank.measure.bench_processor.bodies(10_000, 1_000, 7)` on 2026-11-30. The bench report has no
record size: a report that has `record_bytes` (body + key) overrides it."""
DEFAULT_LATENCY_SECONDS = 0.010


@frozen
class BatchWork:
    """What the processor does for one batch of `batch_size` transactions, as measured on moto."""

    batch_size: int
    calls_per_100: Mapping[str, float]  # service.Operation -> calls per 100 transactions
    write_units_per_transaction: float
    read_units_per_transaction: float
    compute_ms_per_batch: float  # the processor's own time per batch on the measuring machine (moto's excluded)
    aws_latency_seconds: Mapping[str, float]  # assumed per call, by service, in place of moto's in-process time
    record_bytes: float
    log_bytes_per_transaction: float

    @classmethod
    def from_bench_report(cls, report: Mapping[str, Any]) -> BatchWork:
        """From `bench processor --report-json`: compute per batch is the processor's CPU per transaction (moto's
        taken out) times the batch, or in an older report the run's time outside AWS calls over its batches; log
        bytes come back from the run's CloudWatch Logs line of the one price table."""
        batches = int(report["batches"])
        transactions = int(report["transactions"])
        units = report["dynamodb_request_units_per_transaction"]
        logs_usd = float(report["cost_breakdown_per_million_usd"]["cloudwatch_logs"])
        log_bytes = logs_usd / float(PRICES_USD["cloudwatch_logs_ingested_gb"]) * 1e9 / 1e6
        batch_size = round(transactions / batches)
        if report.get("processor_cpu_ms_per_transaction") is not None:
            compute_ms = float(report["processor_cpu_ms_per_transaction"]) * batch_size
        else:
            compute_ms = (float(report["seconds"]) - float(report["seconds_in_moto"])) / batches * 1000
        return cls(
            batch_size=batch_size,
            calls_per_100=dict(report["calls_per_100_transactions"]),
            write_units_per_transaction=float(units["write"]),
            read_units_per_transaction=float(units["read"]),
            compute_ms_per_batch=compute_ms,
            aws_latency_seconds=dict(report["assumptions"]["aws_latency_seconds"]),
            record_bytes=float(report.get("record_bytes", DEFAULT_RECORD_BYTES)),
            log_bytes_per_transaction=log_bytes,
        )

    def calls_ms(self, batch_size: int, operations: tuple[str, ...] | None = None) -> float:
        """Milliseconds one batch of `batch_size` waits on AWS calls (all, or only `operations`), one call at a
        time, at the assumed latency per call."""
        total = 0.0
        for op, per_100 in self.calls_per_100.items():
            if operations is None or op in operations:
                latency = self.aws_latency_seconds.get(op.split(".")[0], DEFAULT_LATENCY_SECONDS)
                total += per_100 * batch_size / 100 * latency * 1000
        return total


DEFAULT_WORK = BatchWork.from_bench_report(DEFAULT_BENCH_REPORT)
