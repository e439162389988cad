"""The bench's flags: how many transactions the workload flagged, from the processor's EMF output (DetectedCount),
so that the PutEvents share of the calls per 100 transactions is read against the flag rate that causes it (at most
one PutEvents per 10 flags of a batch, so about flag rate / 10 calls per transaction, plus one per batch that has a
flag: with 100-record batches, 1 % flagged costs up to 1 call per 100)."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from contracts.aws import METRIC_DETECTED_COUNT


def flag_report(logs: str, transactions: int) -> dict[str, Any]:
    flagged = 0
    for line in logs.splitlines():
        if not line.startswith("{") or '"_aws"' not in line:
            continue
        value = json.loads(line).get(METRIC_DETECTED_COUNT)
        for count in value if isinstance(value, list) else [value]:
            if isinstance(count, int | float):
                flagged += int(count)
    rate = Decimal(flagged) / transactions if transactions else Decimal(0)
    return {"flagged": flagged, "flag_rate": str(round(rate, 4))}
