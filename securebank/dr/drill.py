"""The DR drill on the local stack: lose the primary region mid-traffic, fail over to the second, count the loss.

1. The primary stack (us-east-1 on moto) takes `before` transactions while a replicator copies its tables and lake
   to a second moto region every `interval` seconds (securebank/dr/replicator.py).
2. Right after the last acknowledgement the primary region is lost: replication stops, then its API and processor.
3. The second region starts its API and processor over the replicas (securebank/dr/region.py) and takes the
   `after` transactions.
4. Every transaction the primary acknowledged is classed by where it was at the failure: replicated (in the second
   region's table), processed but not yet replicated, or not yet processed (still in the primary's stream). The
   last two are what the second region does not have: with AWS they wait in us-east-1 until it returns, and are lost
   only if it never does. The report gives their count and the window of acknowledgements they span (the RPO seen).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http import HTTPStatus
from typing import Any

from contracts import aws
from securebank.demo.loadgen import LoadResult, send_paced
from securebank.dr.region import SecondRegion
from securebank.dr.replicator import Replicator
from securebank.emulator.stack import LocalStack
from securebank.lab.generate import generate_workload

DRAIN_TIMEOUT_SECONDS = 120


@dataclass(frozen=True)
class DrillPlan:
    before: int = 1000
    after: int = 300
    rate: float = 200
    interval: float = 1.0
    seed: int = 7


def _bodies(plan: DrillPlan) -> list[dict[str, Any]]:
    count = plan.before + plan.after
    yesterday = datetime.now(UTC).date() - timedelta(days=1)  # within the API's receipt bounds
    workload = generate_workload(
        customers=max(50, count // 20), transactions=count, seed=plan.seed, start=yesterday, days=1
    )
    return list(workload.transactions())


def stored_ids(client: Any, table: str) -> set[str]:
    """The transaction ids in a transactions table."""
    name = aws.TRANSACTION_ID.name
    pages = client.get_paginator("scan").paginate(TableName=table, ProjectionExpression=name)
    return {item[name]["S"] for page in pages for item in page["Items"]}


def object_count(client: Any, bucket: str) -> int:
    return sum(page.get("KeyCount", 0) for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket))


def accepted(load: LoadResult) -> dict[str, float]:
    """transaction id -> when its first attempt left (wall clock), for the requests answered 201."""
    return {r.transaction_id: r.sent_at for r in load.results if r.status == HTTPStatus.CREATED}


def run_drill(plan: DrillPlan) -> dict[str, Any]:
    bodies = _bodies(plan)
    with LocalStack() as primary:
        assert primary.resources is not None and primary.api is not None
        second = SecondRegion(primary)
        replica = second.create()
        replicator = Replicator((primary.client, primary.resources), (second.client, replica), plan.interval)
        replicator.start()
        try:
            before = asyncio.run(send_paced(primary.api_url, primary.api_key, bodies[: plan.before], plan.rate))
            failed_at = time.time()
            replicator.stop()  # the region is lost: nothing leaves it any more ...
            for child in (primary.api, *primary.esm):
                child.stop()  # ... and it neither answers nor processes
            # Known here only because the "lost" region is local: what it held when it went.
            in_primary = stored_ids(primary.client("dynamodb"), primary.resources.transactions_table)
            in_second = stored_ids(second.client("dynamodb"), replica.transactions_table)
            lake = (
                object_count(primary.client("s3"), primary.resources.bucket),
                object_count(second.client("s3"), replica.bucket),
            )
            began = time.monotonic()
            second.start()
            failover_seconds = time.monotonic() - began
            after = asyncio.run(send_paced(second.api_url, second.api_key, bodies[plan.before :], plan.rate))
            second.wait_until_drained(len(accepted(after)), DRAIN_TIMEOUT_SECONDS)
            in_second_after = stored_ids(second.client("dynamodb"), replica.transactions_table)
        finally:
            second.stop()
            second.cleanup()
    return report(plan, before, after, failed_at, (in_primary, in_second, in_second_after), lake, replicator) | {
        "failover_seconds": round(failover_seconds, 2)
    }


def report(
    plan: DrillPlan,
    before: LoadResult,
    after: LoadResult,
    failed_at: float,
    tables: tuple[set[str], set[str], set[str]],
    lake: tuple[int, int],
    replicator: Replicator,
) -> dict[str, Any]:
    in_primary, in_second, in_second_after = tables
    acknowledged = accepted(before)
    replicated = acknowledged.keys() & in_second
    not_replicated = (acknowledged.keys() & in_primary) - in_second
    unprocessed = acknowledged.keys() - in_primary
    missing = not_replicated | unprocessed
    after_acknowledged = accepted(after)
    return {
        "plan": {
            "before": plan.before,
            "after": plan.after,
            "rate": plan.rate,
            "replication_interval_s": plan.interval,
        },
        "replication_passes": replicator.passes,
        "primary": {
            "acknowledged": len(acknowledged),
            "replicated": len(replicated),
            "processed_not_replicated": len(not_replicated),
            "unprocessed_in_stream": len(unprocessed),
            "missing_in_second_region": len(missing),
            "loss_window_seconds": round(failed_at - min((acknowledged[t] for t in missing), default=failed_at), 2),
            "lake_objects": lake[0],
            "lake_objects_replicated": lake[1],
        },
        "second_region": {
            "acknowledged": len(after_acknowledged),
            "stored": len(after_acknowledged.keys() & in_second_after),
            "missing": len(after_acknowledged.keys() - in_second_after),
            "replicas_kept": len(replicated - in_second_after) == 0,
        },
    }
