"""The bench's flags: how many transactions the workload flagged, from the processor's EMF output (DetectedCount).
The processor makes no call for a flag (the outbox pipe on the table's stream sends the TransactionFlagged events),
so the calls per 100 transactions do not depend on it; the flag rate says what the pipe would carry (one PutEvents
of at most 10 events per batch of stream records)."""

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
