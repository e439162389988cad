"""`python -m securebank demo`: the whole pipeline on emulated AWS, end to end, with a report.

Starts the local stack and measures what this machine carries in a short warm-up (securebank/demo/capacity.py);
then sends a generated workload over HTTP at a rate below that capacity (or at --rate), shows accepted, processed
and the backlog while it sends, waits until every accepted transaction is processed, reads the tables and queues
back, prints the report and exports the lake objects. It says whether the run kept up (securebank/demo/health.py).
Then, unless --no-loop, it runs the fraud operations loop on the same stack (securebank/demo/loop.py: cases,
labels, the jobs, a candidate in shadow on a second workload, its promotion) and reports it.
Exits 0 only if nothing was lost and no profile double-counted, the loop (when run) completed or said why it
skipped, and, under --strict, only if the run was healthy. With --attempts N, a strict run that fell behind (and
lost nothing) is run again on a fresh stack, up to N runs in all: a shared machine's load changes from one
ten-second run to the next, and a pipeline that cannot keep up with the rate it measured falls behind every time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import shutil
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from http import HTTPStatus
from pathlib import Path
from typing import Any

from securebank.demo.capacity import DEFAULT_RATE, RATE_SHARE, WARMUP_SECONDS, Capacity, measure_capacity, records_done
from securebank.demo.chaos import ChaosSettings
from securebank.demo.instrumentation import spec
from securebank.demo.loadgen import LoadResult, send_paced
from securebank.demo.loop import POLICY_CACHE_SECONDS
from securebank.demo.loop_jobs import export_lake
from securebank.demo.progress import LiveProgress
from securebank.demo.summary import print_report, summarize
from securebank.emulator.cputime import own_cpu_seconds, per_thousand
from securebank.emulator.stack import LocalStack, StackOptions, subtract_stats
from securebank.lab.generate import generate_workload

SECOND_WORKLOAD_SEED_OFFSET = 2  # the training history uses seed + 1000 and the invalid requests seed + 1
DUPLICATE_SUBMISSION_RATE = 0.02  # under --chaos: a client re-sends an already accepted transaction
Workload = tuple[list[dict[str, Any]], dict[str, dict[str, Any]], int]
"""The bodies to send (invalid and duplicate ones included), the labels by transaction id, and the duplicates."""
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
    parser.add_argument(
        "--rate",
        type=float,
        default=None,
        help=f"requests per second sent to the API (default: {RATE_SHARE * 100:.0f}%% of the capacity measured in the "
        f"warm-up, at most {DEFAULT_RATE:.0f}); above the capacity the backlog grows",
    )
    parser.add_argument(
        "--warmup-seconds", type=float, default=WARMUP_SECONDS, help="length of the capacity warm-up (0: none)"
    )
    parser.add_argument(
        "--strict", action="store_true", help="exit non-zero when the run fell behind (see securebank/demo/health.py)"
    )
    parser.add_argument(
        "--attempts",
        type=_at_least_one,
        default=1,
        help="under --strict, runs on a fresh stack (each measuring the machine again) until one keeps up; the report "
        "lists the earlier ones. A lost or double-counted transaction fails at once",
    )
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
        "--no-loop",
        action="store_true",
        help="skip the fraud operations loop after the workload (cases, labels, the jobs, shadow and promotion)",
    )
    parser.add_argument(
        "--batching-window",
        type=float,
        default=None,
        help="override the event source mapping's MaximumBatchingWindowInSeconds (default: contracts value)",
    )


def _at_least_one(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def _customers(args: argparse.Namespace) -> int:
    return int(args.customers or max(50, args.transactions // 20))


def _workload(args: argparse.Namespace, seed: int | None = None) -> Workload:
    customers = _customers(args)
    start = datetime.now(UTC).date() - timedelta(days=1)
    workload = generate_workload(
        customers=customers,
        transactions=args.transactions,
        seed=args.seed if seed is None else seed,
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


def _send_and_drain(stack: LocalStack, bodies: list[dict[str, Any]], rate: float, timeout: float) -> LoadResult:
    """Send at `rate` with the live display, then follow the drain until every accepted record is processed."""
    done_before = records_done(stack)
    with LiveProgress(len(bodies), lambda: records_done(stack) - done_before) as progress:
        load = asyncio.run(send_paced(stack.api_url, stack.api_key, bodies, rate, on_result=progress.on_result))
        on_stream = sum(1 for r in load.results if r.status == HTTPStatus.CREATED)
        drained = done_before + on_stream
        stack.wait_until_drained(drained, timeout, lambda done: progress.on_processed(done - done_before))
    return load


def _warm_up(stack: LocalStack, args: argparse.Namespace, console: Any) -> Capacity | None:
    if args.warmup_seconds <= 0:
        return None
    with console.status(f"measuring this machine's capacity: {args.warmup_seconds:g} s of load through the pipeline"):
        capacity = measure_capacity(stack, args.seed, seconds=args.warmup_seconds)
    if capacity.rate is None:
        console.print("capacity warm-up: too few invocations to measure a rate")
    else:
        bound = "" if capacity.saturated else "at least "
        console.print(
            f"measured capacity: {bound}{capacity.rate:.0f} transactions/s through the whole pipeline "
            f"({capacity.transactions} warm-up transactions at {capacity.warmup_rate:.0f}/s)"
        )
    return capacity


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
    """Publish the policy and make it the active version (a release record and its audit record, as a promote)."""
    from adapters.policy_store import S3Objects, publish_active
    from adapters.serialization import policy_from_json

    assert stack.resources is not None
    objects = S3Objects(stack.client("s3"), stack.resources.bucket)
    publish_active(objects, policy_from_json(path.read_text()), approved_by="demo", reason="demo: its scoring policy")


def _loop(
    stack: LocalStack,
    args: argparse.Namespace,
    truth: dict[str, dict[str, Any]],
    send: Callable[[list[dict[str, Any]]], object],
) -> dict[str, Any]:
    """The fraud operations loop after the workload, on a second workload of the same shape (another seed, other
    customers, no invalid or duplicate requests)."""
    from rich.console import Console

    from securebank.demo.loop import LoopInputs, other_customers, run_loop

    console = Console()
    second = argparse.Namespace(**vars(args) | {"chaos": False, "invalid_rate": 0.0})
    bodies, second_truth, _ = _workload(second, seed=args.seed + SECOND_WORKLOAD_SEED_OFFSET)
    inputs = LoopInputs(truth, other_customers(bodies), second_truth, send, args.output_dir, args.seed)
    console.rule("the fraud operations loop")
    return run_loop(stack, inputs, console.print)


def _cpu(stack: LocalStack) -> dict[str, float] | None:
    """CPU seconds so far by component; the demo's own process is the load generator (and its display)."""
    by_component = stack.cpu_seconds()
    return None if by_component is None else by_component | {"load_generator": own_cpu_seconds()}


def run(args: argparse.Namespace) -> int:
    from rich.console import Console

    console = Console()
    workload = _workload(args)
    policy = args.policy if args.policy is not None or args.seed_policy else _learn_policy(args, console)
    earlier: list[str] = []
    for attempt in range(1, args.attempts + 1):
        report = _attempt(args, workload, policy, console)
        if not _again(report, args, attempt):
            break
        earlier.append(report["health"])
        console.print(
            f"[bold yellow]attempt {attempt} of {args.attempts} {report['health']}: a fresh stack measures the "
            "machine again and sends the same workload once more"
        )
    report["attempt"] = len(earlier) + 1
    report["earlier_attempts"] = earlier
    print_report(report)
    if args.report_json is not None:
        args.report_json.parent.mkdir(parents=True, exist_ok=True)
        args.report_json.write_text(json.dumps(report, indent=2, sort_keys=False) + "\n")
    return _verdict(report, args.strict, console)


def _again(report: dict[str, Any], args: argparse.Namespace, attempt: int) -> bool:
    """Whether to run once more: only under --strict, with attempts left, after a run that fell behind but lost and
    double-counted nothing (a lost or double-counted transaction fails at once, whatever the machine's load)."""
    intact = report["lost"] == 0 and report["double_counted"] == 0 and not report.get("loop_error")
    return bool(args.strict and attempt < args.attempts and intact and not report["healthy"])


def _attempt(args: argparse.Namespace, workload: Workload, policy: Path | None, console: Any) -> dict[str, Any]:
    """One run on a fresh local stack: warm-up, the workload, the report, the loop (unless --no-loop), the lake."""
    bodies, labels, duplicates = workload
    chaos = ChaosSettings.demo() if args.chaos else None
    options = StackOptions(
        instrumentation=spec(chaos),
        batching_window_seconds=args.batching_window,
        policy_cache_seconds=None if args.no_loop else POLICY_CACHE_SECONDS,
    )
    with LocalStack(options) as stack:
        console.print(f"local stack up: API {stack.api_url}, moto {stack.moto.endpoint_url if stack.moto else '?'}")
        if policy is not None:
            _publish_policy(stack, policy)
        capacity = _warm_up(stack, args, console)
        offered = capacity.offered_rate(args.rate) if capacity else (args.rate or DEFAULT_RATE)
        console.print(f"offering {offered:g} transactions/s{' (--rate)' if args.rate else ''}")
        esm_before, cpu_before, logs_before = stack.esm_stats(), _cpu(stack), stack.esm_log_bytes()
        load = _send_and_drain(stack, bodies, offered, args.wait_seconds)
        cpu_after = _cpu(stack)
        esm = subtract_stats(stack.esm_stats(), esm_before)
        report = summarize(args, stack, load, labels, esm, duplicates, bodies, offered, logs_before)
        report["measured_capacity"] = capacity.as_report()["rate"] if capacity else None
        report["capacity"] = capacity.as_report() if capacity else {}
        report["cpu_ms_per_1000"] = (
            per_thousand(cpu_before, cpu_after, report["processed"]) if cpu_before and cpu_after else {}
        )
        if not args.no_loop:
            report |= _loop(stack, args, labels, lambda more: _send_and_drain(stack, more, offered, args.wait_seconds))
        shutil.rmtree(args.output_dir / "lake", ignore_errors=True)  # an earlier attempt's (or run's) objects
        report["lake_objects_exported"] = len(export_lake(stack, args.output_dir / "lake"))
    return report


def _verdict(report: dict[str, Any], strict: bool, console: Any) -> int:
    intact = report["lost"] == 0 and report["double_counted"] == 0
    if report.get("loop_skipped"):
        console.print(f"[bold yellow]the fraud operations loop skipped {report['loop_skipped']}")
    if report["healthy"]:
        console.print(f"[bold green]{report['health']}")
    else:
        console.print(f"[bold yellow]WARNING: the pipeline {report['health']}")
    if not intact:
        console.print("[bold red]FAILED: transactions lost or double-counted")
        return 1
    if report.get("loop_error"):
        console.print(f"[bold red]FAILED: the fraud operations loop: {report['loop_error']}")
        return 1
    if strict and not report["healthy"]:
        console.print("[bold red]FAILED (--strict): the run did not keep up")
        return 1
    console.print("[bold green]OK: nothing lost, nothing double-counted")
    return 0
