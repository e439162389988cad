"""`python -m securebank capacity --rps N`: what the deployed stack needs at N transactions a second, the first
limit that binds and what to change, latency and cost per month (the model: securebank/measure/capacity.py)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--rps", type=float, required=True, help="sustained transactions (requests) per second")
    parser.add_argument("--flag-rate", type=float, default=0.0, help="share of transactions flagged (0 to 1; 0)")
    parser.add_argument("--stack", default="prod", help="the Pulumi stack whose settings to check (prod)")
    parser.add_argument("--from-bench", type=Path, help="a `bench processor --report-json` report to use instead")
    parser.add_argument("--hot-customer-tps", type=float, default=10.0, help="one customer's rate to check (10)")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")


def run(args: argparse.Namespace) -> int:
    from securebank.measure.capacity import plan
    from securebank.measure.capacity_limits import stack_limits
    from securebank.measure.capacity_work import DEFAULT_WORK, BatchWork

    if not 0 <= args.flag_rate <= 1:
        raise SystemExit("--flag-rate must be in [0, 1]")
    work = BatchWork.from_bench_report(json.loads(args.from_bench.read_text())) if args.from_bench else DEFAULT_WORK
    report = plan(
        args.rps,
        work,
        stack_limits(args.stack),
        flag_rate=args.flag_rate,
        hot_customer_tps=args.hot_customer_tps,
    )
    report["work"] = str(args.from_bench) if args.from_bench else "default (bench processor, 2026-11-30)"
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        _print(report)
    return 0


def _print(report: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    verdict = "binds" if report["binds"] else "closest to binding"
    console.print(
        f"[bold]{report['rps']:,.0f} tx/s on stack {report['stack']}[/]: first limit {verdict}: "
        f"[bold]{report['binding_limit']}[/] at {report['binding_utilisation']:.0%}; change: {report['change']}",
        highlight=False,
    )
    limits = Table("limit", "binds at (tx/s)", "use", "change")
    for limit in sorted(report["limits"], key=lambda item: -item["utilisation"]):
        style = "red" if limit["utilisation"] >= 1 else None
        limits.add_row(
            limit["name"], f"{limit['capacity_rps']:,.0f}", f"{limit['utilisation']:.0%}", limit["change"], style=style
        )
    console.print(limits)
    needs = Table("needs", "value")
    for label, value in _needs(report):
        needs.add_row(label, value)
    console.print(needs)
    for warning in [report["per_client"].get("change"), *report["warnings"]]:
        if warning:
            console.print(f"[yellow]warning[/] {warning}", highlight=False)


def _needs(report: dict[str, Any]) -> list[tuple[str, str]]:
    seed = report["seed"]
    client = report["per_client"]
    hot = report["hot_keys"]
    return [
        ("stream", f"{report['stream_mode']}: {report['shards']} shards (configured: {report['configured_shards']})"),
        (
            "ParallelizationFactor",
            f"{report['parallelization_factor']} (configured: {report['configured_parallelization_factor']})",
        ),
        (
            "processor concurrency",
            f"{report['concurrency']} peak, {report['mean_busy_concurrency']} busy on average; reserved "
            f"{report['reserved_concurrency']}; account quota needed {report['account_concurrency_needed']}",
        ),
        ("DynamoDB writes", f"{report['wcu_per_second']:,} WRU/s {report['wcu_per_second_by_table']}"),
        ("DynamoDB reads", f"{report['rcu_per_second']:,} RRU/s"),
        (
            "hot keys",
            f"one customer up to {hot['max_customer_tps']} tx/s ({hot['customer_limit']}); one at "
            f"{hot['hot_customer_tps']} tx/s writes {hot['hot_customer_partition_wcu']} WRU/s to its partition",
        ),
        (
            "per client",
            f"{client['api_keys_needed']} API keys (configured {client['api_keys_configured']}), "
            f"{client['source_ips_needed']} source IPs at the WAF's {client['waf_rps_per_source_ip']} rps each",
        ),
        ("end to end", f"{report['end_to_end_ms']} ms for a batch's first record {report['latency_ms']}"),
        (
            "cost per month",
            f"${report['cost_per_month_usd']} ({report['stream_mode']}); by stream mode "
            f"{report['cost_per_month_by_stream_mode_usd']}; ${report['cost_per_million_excluding_api_usd']} "
            "per million without API Gateway",
        ),
        (
            "the specification's stack",
            ", ".join(
                f"{name} {check['seed']:,} {'suffices' if check['sufficient'] else 'does not suffice'} "
                f"(needs {check['needed']:,})"
                for name, check in seed.items()
            ),
        ),
    ]
