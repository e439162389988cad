"""`bench processor`'s report: the CPU split per transaction and the printed summary (the run is in
securebank/measure/bench_processor.py)."""

from __future__ import annotations

from typing import Any

MS = 1000


def cpu_per_transaction(cpu_seconds: float, moto_cpu_seconds: float, transactions: int) -> dict[str, float | None]:
    """The run's CPU split into moto's share (measured by the call counter) and the processor's (the rest), in
    milliseconds per transaction, and the processor's over moto's (None when moto used none)."""
    if transactions <= 0:
        raise ValueError(f"transactions: must be positive, got {transactions}")
    if not 0 <= moto_cpu_seconds <= cpu_seconds:
        raise ValueError(f"moto's CPU ({moto_cpu_seconds} s) must lie within the run's ({cpu_seconds} s)")
    processor = cpu_seconds - moto_cpu_seconds
    return {
        "processor_cpu_ms_per_transaction": round(MS * processor / transactions, 3),
        "moto_cpu_ms_per_transaction": round(MS * moto_cpu_seconds / transactions, 3),
        "processor_to_moto_cpu_ratio": round(processor / moto_cpu_seconds, 3) if moto_cpu_seconds else None,
    }


def print_report(report: dict[str, Any]) -> None:
    print(
        f"processor benchmark: {report['transactions']} transactions in {report['batches']} batches "
        f"({report['transactions_per_second']} tx/s on moto, {report['seconds_in_moto']} s of {report['seconds']} s "
        f"inside AWS calls)"
    )
    print(
        f"CPU per transaction: processor {report['processor_cpu_ms_per_transaction']} ms, moto "
        f"{report['moto_cpu_ms_per_transaction']} ms (processor / moto = {report['processor_to_moto_cpu_ratio']})"
    )
    print("AWS calls per 100 transactions:")
    for op, n in report["calls_per_100_transactions"].items():
        print(f"  {op:32s} {n:8.3f}")
    print(f"  {'total':32s} {report['total_calls_per_100_transactions']:8.3f}  (target <= 4)")
    units = report["dynamodb_request_units_per_transaction"]
    print(f"DynamoDB request units per transaction (estimated): {units['write']} WRU, {units['read']} RRU")
    print(f"modelled cost per million transactions, without API Gateway: ${report['cost_per_million_usd']}")
    for name, usd in report["cost_breakdown_per_million_usd"].items():
        if name != "total":
            print(f"  {name:16s} ${usd}")
    print(
        f"  with API Gateway REST ingest (${report['api_gateway_per_million_usd_not_included']}): "
        f"${report['cost_per_million_with_api_usd']}"
    )
    print(
        f"double counted profiles: {report['double_counted']}; batch item failures: {report['batch_item_failures']};"
        f" batches delivered twice: {report['redelivered_batches']}"
    )
