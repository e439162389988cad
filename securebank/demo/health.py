"""Whether a demo run kept up with what it offered: the rates it is judged on, and the judgement.

processed_rate: the rate at which the pipeline completed transactions in the body of the run, measured on
completion times rather than on the run's length. Number the processed transactions in the order they were sent;
each invocation that completed some of them is a point (the mean number of its transactions, its completion time);
leave out the points in the first and the last tenth of the numbers, fit a straight line through the others (least
squares) and take the inverse of its slope. A pipeline that keeps up completes each transaction a steady delay
after it was sent, so the slope is 1/offered rate however short the run; one that falls behind completes them in
turn at its own pace, so the slope is 1/that pace. The first and last tenths are where the pipeline fills (its
first batch) and empties (the last batch is smaller and waits the whole batching window): that says nothing about
keeping up, and would count against short runs only. One point per invocation, at the middle of its batch, puts
the points on the line when every batch is on time: the steps of batch completion do not bias the slope (as a fit
through every transaction would, by about (batch / run)^2).

The same fit on the send times gives the rate at which those transactions were offered (`accepted_rate`: the
offered rate less the requests the API refused, and less any lag of the load generator behind its schedule). A run
is healthy when processed_rate >= 0.98 x accepted_rate and the end-to-end p99 is under 1 s.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

HEALTHY_SHARE = 0.98
"""processed_rate / offered_rate at or above which a run kept up."""
HEALTHY_P99_MS = 1000.0
"""End-to-end p99 (send to committed) under which a run is healthy."""
EDGE_SHARE = 0.10
"""The share of the run left out at each end by processed_rate."""
MIN_EVENTS = 2
"""Invocations needed to measure a span between them."""
MIN_POINTS = 3
"""Fewer invocations than this in the body of the run: processed_rate falls back to count / (last completion - first
send)."""


@dataclass(frozen=True)
class Pace:
    sent: float
    """The rate at which the processed transactions were sent (the same fit, on their send times)."""
    processed: float
    """processed_rate (module doc)."""


def pace(sent_and_completed: Sequence[tuple[float, float]]) -> Pace:
    """The rates at which the processed transactions were sent and completed, from their (sent_at, completed_at)
    pairs (module doc). Both come from the same points, so their ratio leaves out what is not the pipeline's: the
    invalid requests among the offered ones, a load generator that could not keep its own schedule."""
    if not sent_and_completed:
        return Pace(0.0, 0.0)
    ordered = sorted(sent_and_completed)
    count = len(ordered)
    ranks_by_invocation: dict[float, list[int]] = defaultdict(list)
    for rank, (_, completed) in enumerate(ordered):
        ranks_by_invocation[completed].append(rank)
    low, high = count * EDGE_SHARE, count * (1 - EDGE_SHARE)
    points = [
        (statistics.fmean(ranks), statistics.fmean(ordered[rank][0] for rank in ranks), completed)
        for completed, ranks in ranks_by_invocation.items()
        if low <= statistics.fmean(ranks) < high
    ]
    if len(points) < MIN_POINTS:
        first, last = ordered[0][0], ordered[-1][0]
        span = max(completed for _, completed in ordered) - first
        return Pace(_per_second(count - 1, last - first), _per_second(count, span))
    ranks = [rank for rank, _, _ in points]
    sent = statistics.linear_regression(ranks, [at for _, at, _ in points]).slope
    completed = statistics.linear_regression(ranks, [at for _, _, at in points]).slope
    return Pace(_per_second(1, sent), _per_second(1, completed))


def _per_second(count: float, seconds: float) -> float:
    return count / seconds if seconds > 0 else 0.0


def completion_rate(events: Sequence[tuple[float, int]], until: float) -> float | None:
    """Records per second between the first and the last invocation that completed by `until`, from
    (completed_at, records) per invocation; the first invocation's records count before the span starts. None with
    fewer than two such invocations."""
    during = sorted(event for event in events if event[0] <= until)
    if len(during) < MIN_EVENTS or during[-1][0] <= during[0][0]:
        return None
    return sum(records for _, records in during[1:]) / (during[-1][0] - during[0][0])


@dataclass(frozen=True)
class Health:
    healthy: bool
    kept_up: bool
    fast_enough: bool
    processed_share: float
    """processed_rate / offered_rate."""
    fell_behind_by: float
    """The share of the offered rate the pipeline did not keep up with (0 when it kept up)."""
    message: str


def judge(offered_rate: float, processed: float, p99_ms: float) -> Health:
    """The verdict on a run, with a sentence saying by how much it fell behind (if it did)."""
    share = processed / offered_rate if offered_rate > 0 else 0.0
    kept_up = share >= HEALTHY_SHARE
    fast_enough = p99_ms < HEALTHY_P99_MS
    figures = f"processed {processed:.0f}/s of {offered_rate:.0f}/s offered ({share:.0%}), p99 {p99_ms / 1000:.2f} s"
    if kept_up and fast_enough:
        message = f"kept up: {figures}"
    else:
        reasons = [
            *([] if kept_up else [f"under {HEALTHY_SHARE:.0%} of the offered rate"]),
            *([] if fast_enough else [f"p99 not under {HEALTHY_P99_MS / 1000:.0f} s"]),
        ]
        message = f"fell behind: {figures}; {' and '.join(reasons)}"
    return Health(
        healthy=kept_up and fast_enough,
        kept_up=kept_up,
        fast_enough=fast_enough,
        processed_share=round(share, 4),
        fell_behind_by=round(max(0.0, 1 - share), 4),
        message=message,
    )
