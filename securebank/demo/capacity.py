"""The capacity warm-up: how many transactions a second this machine carries through the whole local pipeline.

Before the measured run, the demo sends a few seconds of open-loop load, above the default rate, through the same
stack (API -> stream -> mapping -> processor -> tables), and measures the rate at which invocations completed
records while it was sending (`health.completion_rate`: between the first and the last invocation that returned
before the last response). If the pipeline fell behind that load, that rate is its capacity with the API, moto and
the load generator all busy; if it kept up, the capacity is at least the warm-up's rate. Then it waits until the
stream is drained, so the measured run starts empty (and warm: clients built, policy loaded).

The warm-up's customers are its own (`warmup_` ids), so the measured run's profiles start as they would have.
Its transactions stay in the tables and the lake; the report counts only the measured run's.
"""

from __future__ import annotations

import asyncio
import math
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http import HTTPStatus
from typing import Any

from contracts.aws import EVENT_SOURCE
from securebank.demo.completions import COMPLETIONS_PATTERN, read_invocations
from securebank.demo.health import HEALTHY_SHARE, completion_rate
from securebank.demo.loadgen import send_paced
from securebank.emulator.stack import LocalStack
from securebank.lab.generate import generate_workload

DEFAULT_RATE = 300.0
"""The rate the demo offers when the machine carries it (the user's --rate overrides)."""
WARMUP_RATE = 1.5 * DEFAULT_RATE
"""Above the default, so that a machine which cannot carry the default falls behind during the warm-up."""
WARMUP_SECONDS = 4.0
RATE_SHARE = 0.7
"""The demo offers this share of the measured capacity: the headroom that keeps the backlog (and latency) flat.

The warm-up overstates what a busy machine carries for long: with other processes taking CPU, the measured run
carried only 0.75-0.77 x the warm-up's rate (2026-11-30 CI, 284/s after 371/s; 2026-12-01 with two busy loops on
this 2-core machine, 179/s after 239/s), so 0.8 left no headroom and the strict demo failed. Lower is not safer for
long: a 100-record batch fills more slowly at a lower rate, and its first record's wait counts in the end-to-end p99
(at 175/s with two busy loops, 0.6 x 292/s, p99 was 1.35 s although the run kept up). 0.7 leaves a tenth of headroom
against the ratios above; `make test` also allows a second attempt (securebank/demo/command.py). On an idle machine
the warm-up keeps up with its 450/s, and 0.7 x that is above the 300/s cap."""
WARMUP_SEED_OFFSET = 2_000
WARMUP_CUSTOMERS_PER_TRANSACTION = 1 / 20


@dataclass(frozen=True)
class Capacity:
    rate: float | None
    """Records per second carried while saturated (None: too few invocations to tell)."""
    saturated: bool
    """False when the pipeline kept up with the warm-up: then `rate` is a lower bound."""
    warmup_rate: float
    transactions: int
    seconds: float

    def offered_rate(self, requested: float | None) -> float:
        """The user's rate if given; else RATE_SHARE of the capacity, at most DEFAULT_RATE (whole requests/s)."""
        if requested is not None:
            return requested
        if self.rate is None:
            return DEFAULT_RATE
        return float(max(1, min(DEFAULT_RATE, math.floor(RATE_SHARE * self.rate))))

    def as_report(self) -> dict[str, Any]:
        return {
            "rate": None if self.rate is None else round(self.rate, 1),
            "saturated": self.saturated,
            "lower_bound": not self.saturated,
            "warmup_rate": self.warmup_rate,
            "warmup_transactions": self.transactions,
            "warmup_seconds": round(self.seconds, 1),
        }


def warmup_bodies(count: int, seed: int) -> list[dict[str, Any]]:
    """`count` valid transactions of customers the measured workload does not have."""
    workload = generate_workload(
        customers=max(50, math.ceil(count * WARMUP_CUSTOMERS_PER_TRANSACTION)),
        transactions=count,
        seed=seed + WARMUP_SEED_OFFSET,
        start=datetime.now(UTC).date() - timedelta(days=1),
        days=1,
        fraud_rate=0.0,
    )
    return [body | {"customer_id": f"warmup_{body['customer_id']}"} for body in workload.transactions()]


def records_done(stack: LocalStack) -> int:
    """Records the mapping has checkpointed or discarded so far (from its stats file, cheap to read)."""
    mapping = stack.esm_stats().get("mapping", {})
    return int(mapping.get("records_checkpointed", 0) + mapping.get("records_discarded", 0))


def measure_capacity(
    stack: LocalStack, seed: int, seconds: float = WARMUP_SECONDS, rate: float = WARMUP_RATE, timeout: float = 120
) -> Capacity:
    """Send the warm-up, measure the rate carried while sending, and wait until the stream is drained."""
    began = time.time()
    batch = EVENT_SOURCE.batch_size
    count = max(batch, round(rate * seconds / batch) * batch)  # whole batches: no partial batch waits the window
    done_before = records_done(stack)
    load = asyncio.run(send_paced(stack.api_url, stack.api_key, warmup_bodies(count, seed), rate))
    accepted = sum(1 for result in load.results if result.status == HTTPStatus.CREATED)
    stack.wait_until_drained(done_before + accepted, timeout)
    events = [event for path in stack.workdir.glob(COMPLETIONS_PATTERN) for event in read_invocations(path)]
    carried = completion_rate([event for event in events if event[0] >= began], until=load.finished)
    return Capacity(
        rate=carried,
        saturated=carried is not None and carried < HEALTHY_SHARE * rate,
        warmup_rate=rate,
        transactions=accepted,
        seconds=time.time() - began,
    )
