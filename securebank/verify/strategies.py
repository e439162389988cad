"""Hypothesis strategies of the differential harness: adversarial workloads and fault plans (STYLE E9).

Hypothesis is a dev dependency: only `python -m securebank verify` (inside `run`) and the tests import this module;
nothing in the Lambda bundle does.

A workload is built line by line, so that a line can refer to earlier ones (a resubmission, an id another customer
used). Every draw is small and local, so that Hypothesis shrinks a failing workload to a few lines: a burst of over
99 records costs two draws.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from hypothesis import strategies as st

from domain.receipt import DEFAULT_MAX_AHEAD, DEFAULT_MAX_BEHIND
from securebank.verify import classify
from securebank.verify.faults import (
    Cancellation,
    Crash,
    FaultPlan,
    FunctionError,
    InvocationFaults,
    Redelivery,
    S3Failure,
    SqsFailure,
    SubsetRedelivery,
    Throttle,
)
from securebank.verify.poison import POISONS, poisoned
from securebank.verify.workload import (
    AT_BOUND,
    BEYOND_BOUND,
    BURST,
    CURRENCIES,
    CURRENCY_PREFIX,
    EXTREME_INSTANT,
    OFFSET_PREFIX,
    OFFSETS,
    POISON_PREFIX,
    TELEPORT,
    TWO_CUSTOMER_BURST,
    Line,
    Workload,
    offset_name,
)

Body = dict[str, Any]

RECEIPT_START = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)
CUSTOMERS = ("ann", "ben", "cy", "dee")
TRANSACTION_IDS = tuple(f"t{i}" for i in range(6))
"""A small pool shared by every customer: ids repeat across customers, as card-level ids do."""
MERCHANTS = ("m0", "m1", "m2", "m3", "m4")
CATEGORIES = ("grocery", "fuel", "travel", "jewelry", "online")
PLACES = ((40.7128, -74.006), (51.5072, -0.1276), (35.68, 139.65), (-33.8688, 151.2093), (19.4326, -99.1332))
EDGE_PLACES = ((90.0, 180.0), (-90.0, -180.0), (0.0, -0.0), (1e-300, 5e-324), (-0.0, 179.99999999999997))
"""Poles, the antimeridian, signed zeros and floats DynamoDB cannot hold as a Number (stored as strings)."""
EDGE_AMOUNTS = {
    "USD": ("0.01", "9999999999999.99", "1E+3", "12.5", "0012.30"),
    "EUR": ("0.01", "9999999999999.99", "7.10"),
    "JPY": ("1", "9999999999999", "5000.00", "1E+3"),
}
"""The smallest and largest amounts, and other spellings of exact ones (exponent, fewer or trailing decimals)."""
EXTREME_TIMESTAMPS = (
    "9999-12-31T23:59:59-12:00",
    "0001-01-01T00:00:00+14:00",
    "0001-01-01T00:00:00Z",
    "9999-12-31T23:59:59Z",
    "9999-12-31T23:59:59.999999+14:00",
)
"""The issue's instants: the API accepted them, and the processor overflowed on each."""
WAVE_GAPS = (timedelta(0), timedelta(seconds=90), timedelta(hours=2), timedelta(hours=25), timedelta(days=31))
"""From one wave's receipt to the next: across the profile's 24 h memory and the 30-day bound."""
MICROSECOND = timedelta(microseconds=1)
EDGE_DRAW = 3  # one draw in 8 (0..7) takes an edge value instead of an ordinary one


@st.composite
def timestamps(draw: st.DrawFn, received_at: datetime) -> tuple[str, frozenset[str]]:
    """A timestamp as text relative to its receipt: near it, exactly at or just beyond a bound, or the extremes."""
    kind = draw(st.sampled_from(["near"] * 6 + ["at_ahead", "at_behind", "beyond_ahead", "beyond_behind", "extreme"]))
    if kind == "extreme":
        return draw(st.sampled_from(EXTREME_TIMESTAMPS)), frozenset({EXTREME_INSTANT})
    classes = set()
    if kind == "near":
        seconds = draw(st.integers(min_value=-3 * 86400, max_value=2 * 3600))
        delta = timedelta(seconds=seconds, microseconds=draw(st.sampled_from([0, 0, 1, 500_000, 999_999])))
    elif kind == "at_ahead":
        delta, classes = DEFAULT_MAX_AHEAD, {AT_BOUND}
    elif kind == "at_behind":
        delta, classes = -DEFAULT_MAX_BEHIND, {AT_BOUND}
    elif kind == "beyond_ahead":
        delta = DEFAULT_MAX_AHEAD + draw(st.sampled_from([MICROSECOND, timedelta(seconds=1), timedelta(days=400)]))
        classes = {BEYOND_BOUND}
    else:
        delta = -DEFAULT_MAX_BEHIND - draw(st.sampled_from([MICROSECOND, timedelta(seconds=1), timedelta(days=400)]))
        classes = {BEYOND_BOUND}
    offset = draw(st.sampled_from(OFFSETS))
    text = (received_at + delta).astimezone(timezone(offset)).isoformat()
    if not offset and draw(st.booleans()):
        text = text.replace("+00:00", "Z")
    return text, frozenset({*classes, OFFSET_PREFIX + offset_name(offset)})


@st.composite
def amounts(draw: st.DrawFn, currency: str) -> str | int:
    """An amount in `currency`'s minor units: JPY whole yen (sometimes a JSON integer), others cents."""
    if draw(st.integers(0, 7)) == EDGE_DRAW:
        edge: str = draw(st.sampled_from(EDGE_AMOUNTS[currency]))
        return edge
    if currency == "JPY":
        yen = draw(st.integers(min_value=1, max_value=3_000_000))
        return yen if draw(st.booleans()) else str(yen)
    return str(draw(st.decimals(min_value=Decimal("0.01"), max_value=Decimal("20000"), places=2)))


@st.composite
def bodies(draw: st.DrawFn, received_at: datetime, customer: str, transaction_id: str) -> tuple[Body, frozenset[str]]:
    currency = draw(st.sampled_from(CURRENCIES))
    timestamp, classes = draw(timestamps(received_at))
    latitude, longitude = draw(st.sampled_from(PLACES if draw(st.integers(0, 7)) != EDGE_DRAW else EDGE_PLACES))
    body = {
        "transaction_id": transaction_id,
        "customer_id": customer,
        "amount": draw(amounts(currency)),
        "currency": currency,
        "merchant_id": draw(st.sampled_from(MERCHANTS)),
        "merchant_category": draw(st.sampled_from(CATEGORIES)),
        "timestamp": timestamp,
        "location": {"latitude": latitude, "longitude": longitude},
    }
    return body, classes | {CURRENCY_PREFIX + currency}


def _text(body: Body) -> bytes:
    return json.dumps(body).encode()


def _changed(draw: st.DrawFn, body: Body, received_at: datetime) -> Body:
    """`body` with one field changed: a conflicting resubmission (or, for the offset, the same instant)."""
    change = draw(st.sampled_from(["amount", "merchant", "timestamp", "offset"]))
    if change == "amount":
        return {**body, "amount": str(Decimal(str(body["amount"])) + 1)}
    if change == "merchant":
        return {**body, "merchant_id": draw(st.sampled_from([m for m in MERCHANTS if m != body["merchant_id"]]))}
    if change == "timestamp":
        return {**body, "timestamp": draw(timestamps(received_at))[0]}
    try:
        instant = datetime.fromisoformat(body["timestamp"])
        return {**body, "timestamp": instant.astimezone(timezone(draw(st.sampled_from(OFFSETS)))).isoformat()}
    except (ValueError, OverflowError):  # an extreme instant has no other spelling
        return body


class _Builder:
    """The lines of a workload so far, and the valid bodies they carried (for resubmissions and shared ids)."""

    def __init__(self) -> None:
        self.waves: list[tuple[Line, ...]] = []
        self.bodies: list[Body] = []
        self.received_at = RECEIPT_START

    def line(self, data: bytes, partition_key: str, classes: frozenset[str], step_ms: int = 0) -> Line:
        self.received_at += timedelta(milliseconds=step_ms)
        return Line(data, partition_key, self.received_at, classes)


@st.composite
def _line(draw: st.DrawFn, build: _Builder) -> Line:
    step = draw(st.sampled_from([0, 1, 250, 1000]))
    at = build.received_at + timedelta(milliseconds=step)
    action = draw(st.sampled_from(["fresh"] * 5 + ["resubmit"] * 3 + ["share"] * 2 + ["poison"] * 2 + ["teleport"]))
    if action in ("resubmit", "share", "teleport") and build.bodies:
        earlier = build.bodies[draw(st.integers(min_value=0, max_value=len(build.bodies) - 1))]
        if action == "resubmit":
            body = earlier if draw(st.booleans()) else _changed(draw, earlier, at)
            return build.line(_text(body), body["customer_id"], frozenset(), step)
        if action == "teleport":  # the same customer at the same instant, somewhere else: infinite speed
            latitude, longitude = draw(st.sampled_from(PLACES + EDGE_PLACES))
            body = {**earlier, "transaction_id": draw(st.sampled_from(TRANSACTION_IDS)),
                    "location": {"latitude": latitude, "longitude": longitude}}  # fmt: skip
            build.bodies.append(body)
            return build.line(_text(body), body["customer_id"], frozenset({TELEPORT}), step)
        others = [c for c in CUSTOMERS if c != earlier["customer_id"]]
        customer = draw(st.sampled_from(others))
        body, classes = draw(bodies(at, customer, earlier["transaction_id"]))
        build.bodies.append(body)
        return build.line(_text(body), customer, classes, step)
    customer = draw(st.sampled_from(CUSTOMERS))
    body, classes = draw(bodies(at, customer, draw(st.sampled_from(TRANSACTION_IDS))))
    if action == "poison":
        kind = draw(st.sampled_from(POISONS))
        return build.line(poisoned(kind, body), customer, frozenset({POISON_PREFIX + kind}), step)
    build.bodies.append(body)
    return build.line(_text(body), customer, classes, step)


def _burst(build: _Builder, wave: int, customers: tuple[str, ...], count: int) -> list[Line]:
    """`count` (> 99) records, each 10 ms after the previous one, of one customer in a row, or of two taking turns
    (a batch of 50 + 50 then needs two TransactWriteItems calls, which a crash can fall between)."""
    lines = []
    for i in range(count):
        at = build.received_at + timedelta(milliseconds=10)
        customer = customers[i % len(customers)]
        body = {
            "transaction_id": f"w{wave}b{i}",
            "customer_id": customer,
            "amount": f"{10 + i % 50}.{i % 100:02d}",
            "currency": "USD",
            "merchant_id": MERCHANTS[i % len(MERCHANTS)],
            "merchant_category": CATEGORIES[i % len(CATEGORIES)],
            "timestamp": (at - timedelta(seconds=count - i)).isoformat(),
            "location": {"latitude": PLACES[0][0], "longitude": PLACES[0][1]},
        }
        build.bodies.append(body)
        classes = {BURST if len(customers) == 1 else TWO_CUSTOMER_BURST, CURRENCY_PREFIX + "USD"}
        lines.append(build.line(_text(body), customer, frozenset(classes), 10))
    return lines


@st.composite
def workloads(draw: st.DrawFn, max_waves: int = 4, max_lines: int = 25) -> Workload:
    build = _Builder()
    for wave in range(draw(st.integers(min_value=1, max_value=max_waves))):
        build.received_at += draw(st.sampled_from(WAVE_GAPS)) + timedelta(milliseconds=draw(st.integers(0, 999)))
        lines: list[Line] = []
        burst = draw(st.integers(min_value=0, max_value=9))  # one wave in ten starts with a burst of one customer,
        if burst in (4, 5):  # one in ten with one of two (not bounds: Hypothesis favours bounds)
            customers = tuple(draw(st.lists(st.sampled_from(CUSTOMERS), min_size=burst - 3, max_size=burst - 3,
                                            unique=True)))  # fmt: skip
            lines += _burst(build, wave, customers, draw(st.integers(100, 110)))
        for _ in range(draw(st.integers(min_value=0 if lines else 1, max_value=max_lines))):
            lines.append(draw(_line(build)))
        build.waves.append(tuple(lines))
    return classify.with_derived_classes(Workload(tuple(build.waves)))


_first_calls = st.sampled_from([1, 1, 1, 2])
"""Which call of its kind in the invocation fails: mostly the first (most invocations make one of each)."""
_aws_faults = st.one_of(
    st.builds(Throttle, call=_first_calls),
    st.builds(
        Cancellation,
        call=_first_calls,
        action=st.integers(0, 199),
        code=st.sampled_from(["TransactionConflict", "ThrottlingError"]),
    ),
    st.builds(S3Failure, call=_first_calls),
    st.builds(SqsFailure, call=_first_calls),
    st.builds(Crash, after_writes=st.integers(1, 3)),
)
_delivery_faults = st.one_of(
    st.builds(Redelivery), st.builds(SubsetRedelivery, start=st.integers(0, 99)), st.builds(FunctionError)
)
_aws_only = st.builds(InvocationFaults, aws=st.lists(_aws_faults, min_size=1, max_size=2).map(tuple))
invocation_faults = st.one_of(
    st.just(InvocationFaults()),
    _aws_only,
    _aws_only,
    st.builds(InvocationFaults, aws=st.tuples(_aws_faults), delivery=_delivery_faults),
    st.builds(InvocationFaults, delivery=_delivery_faults),
)


def fault_plans(max_invocations: int = 30) -> st.SearchStrategy[FaultPlan]:
    """Faults of the first invocations (most workloads take 2 to 10), at most two faulty ones in a row."""
    return st.lists(invocation_faults, min_size=1, max_size=max_invocations).map(FaultPlan.of)
