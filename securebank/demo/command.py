"""`python -m securebank demo`: the whole pipeline on emulated AWS, end to end, with a report.

Starts the local stack, sends a generated workload over HTTP at a set rate, waits until every accepted transaction
is processed, reads the tables and queues back, prints the report and exports the lake objects. Exits 0 only if
nothing was lost and no profile double-counted.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from http import HTTPStatus
from pathlib import Path
from typing import Any

from securebank.demo.chaos import ChaosSettings
from securebank.demo.completions import COMPLETIONS_PATTERN, read_completions
from securebank.demo.instrumentation import spec
from securebank.demo.loadgen import LoadResult, SendResult, percentile, send_paced
from securebank.demo.report import double_counted, parse_instant, read_state
from securebank.emulator.stack import LocalStack, StackOptions
from securebank.lab.generate import generate_workload
from securebank.measure.cost import Usage, as_json, cost_per_million

DUPLICATE_SUBMISSION_RATE = 0.02  # under --chaos: a client re-sends an already accepted transaction
INVALID_MUTATIONS: tuple[dict[str, Any], ...] = (
    {"amount": "12.345"},
    {"amount": "-5.00"},
    {"currency": "usd"},
    {"timestamp": "2026-01-01T10:00:00"},
    {"location": {"latitude": 91, "longitude": 0}},
    {"unexpected": "field"},
    {"merchant_category": "Not A Category"},
)


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--transactions", type=int, default=10_000)
    parser.add_argument("--rate", type=float, default=300, help="requests per second sent to the API")
    parser.add_argument("--chaos", action="store_true", help="inject faults; the report names them")
    parser.add_argument("--report-json", type=Path, default=None)
    parser.add_argument("--customers", type=int, default=None, help="default: transactions / 20, at least 50")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--fraud-rate", type=float, default=0.02)
    parser.add_argument(
        "--invalid-rate", type=float, default=0.01, help="share of extra requests with invalid bodies (answered 400)"
    )
    parser.add_argument(
        "--output-dir", type=Path, default=Path("build/demo"), help="where the lake is exported (git-ignored)"
    )
    parser.add_argument("--wait-seconds", type=float, default=180, help="how long to wait for processing")
    parser.add_argument(
        "--policy",
        type=Path,
        default=None,
        help="a FraudPolicy JSON (e.g. from `tune`) published to the lake before the run, as a learned version",
    )
    parser.add_argument(
        "--seed-policy",
        action="store_true",
        help="score with the seed policy; by default the demo first learns a policy from a separate training history",
    )
    parser.add_argument("--training-transactions", type=int, default=40_000, help="size of that training history")
    parser.add_argument(
        "--batching-window",
        type=float,
        default=None,
        help="override the event source mapping's MaximumBatchingWindowInSeconds (default: contracts value)",
    )


def _customers(args: argparse.Namespace) -> int:
    return int(args.customers or max(50, args.transactions // 20))


def _workload(args: argparse.Namespace) -> tuple[list[dict[str, Any]], dict[str, dict[str, Any]], int]:
    customers = _customers(args)
    start = datetime.now(UTC).date() - timedelta(days=1)
    workload = generate_workload(
        customers=customers,
        transactions=args.transactions,
        seed=args.seed,
        start=start,
        days=1,
        fraud_rate=args.fraud_rate,
    )
    bodies = list(workload.transactions())
    labels = {label["transaction_id"]: label for label in workload.labels()}
    duplicates = 0
    if args.chaos:  # re-send some transactions a little later, as a client retrying after a lost response would
        rng = random.Random(args.seed)
        for index in sorted(rng.sample(range(len(bodies)), int(len(bodies) * DUPLICATE_SUBMISSION_RATE)), reverse=True):
            bodies.insert(min(len(bodies), index + rng.randint(5, 200)), dict(bodies[index]))
            duplicates += 1
    rng = random.Random(args.seed + 1)
    for n in range(int(args.transactions * args.invalid_rate)):
        bad = dict(bodies[rng.randrange(len(bodies))]) | INVALID_MUTATIONS[n % len(INVALID_MUTATIONS)]
        bad["transaction_id"] = f"invalid_{n:06d}"
        bodies.insert(rng.randrange(len(bodies) + 1), bad)
    return bodies, labels, duplicates


def _send(stack: LocalStack, bodies: list[dict[str, Any]], rate: float) -> LoadResult:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    columns = (
        TextColumn("[bold]sending"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[accepted]} accepted, {task.fields[rejected]} rejected"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, transient=False) as progress:
        task = progress.add_task("send", total=len(bodies), accepted=0, rejected=0)
        counts = {"accepted": 0, "rejected": 0}

        def on_result(result: SendResult) -> None:
            counts["accepted" if result.status == HTTPStatus.CREATED else "rejected"] += 1
            progress.update(task, advance=1, accepted=counts["accepted"], rejected=counts["rejected"])

        return asyncio.run(send_paced(stack.api_url, stack.api_key, bodies, rate, on_result=on_result))


def _wait_until_processed(stack: LocalStack, records_on_stream: int, timeout: float) -> dict[str, Any]:
    from rich.console import Console

    with Console().status("waiting for the event source mapping to drain the stream") as status:
        return stack.wait_until_drained(
            records_on_stream,
            timeout,
            lambda done: status.update(f"processed {done}/{records_on_stream} records from the stream"),
        )


def _learn_policy(args: argparse.Namespace, console: Any) -> Path:
    """Learn a policy as the weekly job would, from a labelled history generated with another seed (other customers,
    another day) but the demo's shape (transactions per customer per day), so the demo is scored by a policy that
    never saw its workload."""
    from adapters.serialization import parse_transaction, policy_to_json
    from domain.labels import Labels
    from domain.policy import FraudPolicy
    from domain.tuning import tune
    from securebank.lab.tuning import build_history

    with console.status(f"learning a policy from {args.training_transactions:,} labelled training transactions"):
        per_customer = args.transactions / _customers(args)
        history = generate_workload(
            customers=max(50, round(args.training_transactions / per_customer)),
            transactions=args.training_transactions,
            seed=args.seed + 1_000,
            start=datetime.now(UTC).date() - timedelta(days=2),
            days=1,
            fraud_rate=args.fraud_rate,
        )
        transactions = [parse_transaction(body) for body in history.transactions()]
        labels = Labels.by_id({label["transaction_id"]: label["is_fraud"] for label in history.labels()})
        built = build_history(transactions, labels, FraudPolicy.default(), 0.25)
        policy = tune(built.tally, built.grid, FraudPolicy.default()).policy
    args.output_dir.mkdir(parents=True, exist_ok=True)
    path: Path = args.output_dir / "learned-policy.json"
    path.write_text(policy_to_json(policy))
    console.print(f"learned policy v{policy.version} (threshold {policy.threshold}) written to {path}")
    return path


def _publish_policy(stack: LocalStack, path: Path) -> None:
    from contracts.aws import policy_key

    assert stack.resources is not None
    text = path.read_text()
    version = int(json.loads(text)["version"])
    stack.client("s3").put_object(Bucket=stack.resources.bucket, Key=policy_key(version), Body=text.encode())


def _export_lake(stack: LocalStack, output_dir: Path) -> int:
    assert stack.resources is not None
    s3 = stack.client("s3")
    count = 0
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=stack.resources.bucket):
        for obj in page.get("Contents", []):
            target = output_dir / "lake" / obj["Key"]
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(s3.get_object(Bucket=stack.resources.bucket, Key=obj["Key"])["Body"].read())
            count += 1
    return count


def _report(
    args: argparse.Namespace,
    stack: LocalStack,
    load: LoadResult,
    labels: dict[str, dict[str, Any]],
    esm: dict[str, Any],
    duplicates: int,
    bodies: list[dict[str, Any]],
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
        usage = measured_usage(processed, esm, api_requests, record_bytes, shards, tps, stack.esm_log_bytes())
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
        "transactions_per_second": round(tps, 1),
        "offered_rate": args.rate,
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


def _print(report: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="SecureBank local pipeline", show_header=True)
    table.add_column("measure")
    table.add_column("value", justify="right")
    for key, value in report.items():
        if isinstance(value, dict):
            continue
        style = "bold red" if key in ("lost", "double_counted") and value else None
        table.add_row(key, str(value), style=style)
    for op, per_100 in report["aws_calls_per_100_transactions"].items():
        table.add_row(f"calls/100 tx  {op}", str(per_100))
    for fault, count in report["faults_injected"].items():
        table.add_row(f"fault injected  {fault}", str(count), style="yellow")
    for line, usd in report["cost_breakdown_usd"].items():
        table.add_row(f"USD/million  {line}", usd)
    Console().print(table)


def run(args: argparse.Namespace) -> int:
    from rich.console import Console

    console = Console()
    bodies, labels, duplicates = _workload(args)
    policy = args.policy if args.policy is not None or args.seed_policy else _learn_policy(args, console)
    chaos = ChaosSettings.demo() if args.chaos else None
    options = StackOptions(instrumentation=spec(chaos), batching_window_seconds=args.batching_window)
    with LocalStack(options) as stack:
        console.print(f"local stack up: API {stack.api_url}, moto {stack.moto.endpoint_url if stack.moto else '?'}")
        if policy is not None:
            _publish_policy(stack, policy)
        load = _send(stack, bodies, args.rate)
        on_stream = sum(1 for r in load.results if r.status == HTTPStatus.CREATED)
        esm = _wait_until_processed(stack, on_stream, args.wait_seconds)
        report = _report(args, stack, load, labels, esm, duplicates, bodies)
        report["lake_objects_exported"] = _export_lake(stack, args.output_dir)
    _print(report)
    if args.report_json is not None:
        args.report_json.parent.mkdir(parents=True, exist_ok=True)
        args.report_json.write_text(json.dumps(report, indent=2, sort_keys=False) + "\n")
    ok = report["lost"] == 0 and report["double_counted"] == 0
    console.print("[bold green]OK: nothing lost, nothing double-counted" if ok else "[bold red]FAILED")
    return 0 if ok else 1
