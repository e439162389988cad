"""The demo's report: what the run did (read back from the stack), how fast, and what it would cost.

`summarize` measures; `measured_usage` states what the local stack used, for the one cost model
(securebank/measure/cost.py); `print_report` prints the table.

Rates: `offered_rate` is the rate of requests the load generator was set to send (invalid ones included);
`processed_rate` is the rate at which the pipeline completed transactions in the body of the run, from their
completion times in the order they were sent, and `accepted_rate` the rate at which those same transactions were
sent, by the same fit on their send times (securebank/demo/health.py: processed_rate equals accepted_rate when the
pipeline keeps up, however short the run, and is the pipeline's own pace when it falls behind);
`transactions_per_second` is processed / (last completion - first send), which includes the pipeline's fill and
drain and so reads lower on short runs. `healthy` holds when processed_rate >= 0.98 x accepted_rate and the
end-to-end p99 is under 1 s; `fell_behind_by` is the share of the
offered rate not kept up with, and `health` says it in a sentence. The command adds `measured_capacity` (the
warm-up's) and `cpu_ms_per_1000`: each process's CPU milliseconds per 1,000 processed transactions during the run
(read from the kernel's account of each process: securebank/emulator/cputime.py). Counters, calls, costs and
logs are the measured run's (the warm-up's are subtracted); the warm-up's transactions stay in the tables and the
lake, so `stored_transactions` and `lake_objects_exported` include them (`capacity.warmup_transactions` of them).
The fraud operations loop's keys (securebank/demo/loop.py LOOP_KEYS, its details under `loop`) are printed in a
table of their own, in the order of the loop's steps.
"""

from __future__ import annotations

import argparse
import json
from decimal import Decimal
from http import HTTPStatus
from typing import Any

from securebank.demo.completions import COMPLETIONS_PATTERN, read_completions
from securebank.demo.health import judge, pace
from securebank.demo.loadgen import LoadResult, SendResult, percentile
from securebank.demo.loop import LOOP_KEYS
from securebank.demo.report import double_counted, parse_instant, read_state
from securebank.emulator.stack import LocalStack
from securebank.measure.cost import Usage, as_json, cost_per_million


def summarize(
    args: argparse.Namespace,
    stack: LocalStack,
    load: LoadResult,
    labels: dict[str, dict[str, Any]],
    esm: dict[str, Any],
    duplicates: int,
    bodies: list[dict[str, Any]],
    offered_rate: float,
    log_bytes_before: int = 0,
) -> dict[str, Any]:
    assert stack.resources is not None
    first_201: dict[str, SendResult] = {}
    for result in load.results:
        if result.status == HTTPStatus.CREATED and result.transaction_id not in first_201:
            first_201[result.transaction_id] = result
    sent_ids = {r.transaction_id for r in load.results}
    accepted = len(first_201)
    state = read_state(stack.client("dynamodb"), stack.client("sqs"), stack.resources)
    processed_ids = set(first_201) & set(state.transactions)
    processed = len(processed_ids)
    flagged_ids = {i for i in processed_ids if state.transactions[i]["is_fraud"]}
    fraud_ids = {i for i in processed_ids if labels.get(i, {}).get("is_fraud")}
    true_positives = len(flagged_ids & fraud_ids)
    ingest = [r.latency_ms for r in first_201.values()]
    completed: dict[str, float] = {}
    for path in stack.workdir.glob(COMPLETIONS_PATTERN):
        for transaction_id, moment in read_completions(path).items():
            completed[transaction_id] = min(moment, completed.get(transaction_id, moment))
    end_to_end = [(completed[i] - first_201[i].sent_at) * 1000 for i in processed_ids if i in completed]
    scored_to_completed = [
        (completed[i] - parse_instant(state.transactions[i]["processed_at"])) * 1000
        for i in processed_ids
        if i in completed and state.transactions[i].get("processed_at")
    ]
    rates = pace([(first_201[i].sent_at, completed[i]) for i in processed_ids if i in completed])
    health = judge(rates.sent, rates.processed, percentile(end_to_end, 99))
    last_processed = max((completed[i] for i in processed_ids if i in completed), default=0.0)
    duration = max(last_processed - load.started, 1e-9)
    tps = processed / duration if processed else 0.0
    calls = esm.get("calls", {})
    per_100 = {op: round(n * 100 / processed, 2) for op, n in sorted(calls.items())} if processed else {}
    record_bytes = sum(len(json.dumps(b)) for b in bodies) / max(len(bodies), 1)
    cost = {"total": Decimal(0)}
    if processed:
        shards = len(stack.client("kinesis").list_shards(StreamName=stack.resources.stream_name)["Shards"])
        api_requests = sum(r.attempts for r in load.results)
        log_bytes = stack.esm_log_bytes() - log_bytes_before
        usage = measured_usage(processed, esm, api_requests, record_bytes, shards, tps, log_bytes)
        cost = cost_per_million(usage)
    injected = dict(esm.get("injected", {}))
    if duplicates:
        injected["duplicate_submission"] = duplicates
    return {
        "accepted": accepted,
        "rejected": len(sent_ids - set(first_201)),
        "processed": processed,
        "quarantined": state.quarantined,
        "lost": accepted - processed - state.quarantined,
        "double_counted": double_counted(state),
        "flagged": len(flagged_ids),
        "precision": round(true_positives / len(flagged_ids), 4) if flagged_ids else 0.0,
        "recall": round(true_positives / len(fraud_ids), 4) if fraud_ids else 0.0,
        "ingest_p50_ms": round(percentile(ingest, 50), 1),
        "ingest_p99_ms": round(percentile(ingest, 99), 1),
        "end_to_end_p50_ms": round(percentile(end_to_end, 50), 1),
        "end_to_end_p99_ms": round(percentile(end_to_end, 99), 1),
        "end_to_end_measured": len(end_to_end),
        "scored_to_committed_p50_ms": round(percentile(scored_to_completed, 50), 1),
        "offered_rate": offered_rate,
        "accepted_rate": round(rates.sent, 1),
        "processed_rate": round(rates.processed, 1),
        "healthy": health.healthy,
        "fell_behind_by": health.fell_behind_by,
        "health": health.message,
        "transactions_per_second": round(tps, 1),
        "send_seconds": round(load.elapsed, 2),
        "aws_calls_per_100_transactions": per_100,
        "cost_per_million_usd": str(cost["total"]),
        "cost_breakdown_usd": as_json(cost),
        "faults_injected": injected,
        "chaos": bool(args.chaos),
        "on_failure_batches": state.on_failure_messages,
        "stored_transactions": len(state.transactions),
        "event_source_mapping": esm.get("mapping", {}),
        "processor": {
            "invocations": esm.get("handler_invocations", 0),
            "mean_invocation_ms": round(
                1000 * esm.get("handler_seconds", 0.0) / max(esm.get("handler_invocations", 0), 1), 1
            ),
            "mean_call_ms": {
                op: round(ms / calls[op], 1) for op, ms in esm.get("call_ms", {}).items() if calls.get(op)
            },
        },
        "batching_window_seconds": esm.get("settings", {}).get("maximum_batching_window_seconds"),
        "lake_objects_exported": 0,
        "lake_dir": str(args.output_dir / "lake"),
    }


def measured_usage(
    processed: int,
    esm: dict[str, Any],
    api_requests: int,
    record_bytes: float,
    shards: int,
    transactions_per_second: float,
    log_bytes: int,
) -> Usage:
    """What the local stack used: the API's requests, the processor's calls and request units (counted in the
    mapping processes by the one call counter), the handler's wall time on this machine, the processor's logs."""
    units = esm.get("units", {})
    return Usage(
        transactions=processed,
        calls=esm.get("calls", {}),
        write_units=units.get("write_units", 0),
        read_units=units.get("read_units", 0),
        invocations=esm.get("handler_invocations", 0),
        lambda_seconds=esm.get("handler_seconds", 0.0),
        shards=shards,
        transactions_per_second=max(transactions_per_second, 1e-9),
        record_bytes=record_bytes,
        api_requests=api_requests,
        log_bytes=log_bytes,
    )


def print_report(report: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="SecureBank local pipeline", show_header=True)
    table.add_column("measure")
    table.add_column("value", justify="right")
    for key, value in report.items():
        if isinstance(value, dict | list) or key in LOOP_KEYS or key == "loop_error":
            continue
        style = "bold red" if key in ("lost", "double_counted") and value else None
        if key in ("healthy", "health", "fell_behind_by") and not report["healthy"]:
            style = "bold yellow"
        table.add_row(key, str(value), style=style)
    for attempt, health in enumerate(report.get("earlier_attempts", []), start=1):
        table.add_row(f"attempt {attempt}", health, style="bold yellow")
    for component, milliseconds in report.get("cpu_ms_per_1000", {}).items():
        table.add_row(f"CPU ms/1000 tx  {component}", str(milliseconds))
    for op, per_100 in report["aws_calls_per_100_transactions"].items():
        table.add_row(f"calls/100 tx  {op}", str(per_100))
    for fault, count in report["faults_injected"].items():
        table.add_row(f"fault injected  {fault}", str(count), style="yellow")
    for line, usd in report["cost_breakdown_usd"].items():
        table.add_row(f"USD/million  {line}", usd)
    Console().print(table)
    if "loop_seconds" in report or report.get("loop_error"):
        Console().print(loop_table(report))


def loop_table(report: dict[str, Any]) -> Any:
    """The fraud operations loop's keys, in the order of its steps (securebank/demo/loop.py); None is printed as
    "-" (a step skipped, or a ratio with nothing to divide by)."""
    from rich.table import Table

    table = Table(title="The fraud operations loop", show_header=True)
    table.add_column("step")
    table.add_column("value", justify="right")
    for key in (*LOOP_KEYS, "loop_error"):
        value = report.get(key)
        if key == "loop_error" and value is None:
            continue
        style = "bold red" if key == "loop_error" else "yellow" if key == "loop_skipped" and value else None
        table.add_row(key, "-" if value is None else str(value), style=style)
    for key, value in report.get("loop", {}).items():
        if not isinstance(value, dict | list):
            table.add_row(f"  {key}", "-" if value is None else str(value))
    return table
