"""When each transaction's invocation completed: the end of the end-to-end latency the demo reports.

The processor stamps `processed_at` when it scores, before its DynamoDB transaction and the archive; a record is
only done when the invocation that carried it returns without reporting it failed. The wrapper appends one JSON
line per invocation (`{"t": wall clock, "ids": [...]}`); the demo keeps the first completion of each id.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

Handler = Callable[[dict[str, Any], Any], Any]
COMPLETIONS_PATTERN = "esm-completions-*.jsonl"


def completions_path(workdir: Path, instance: int) -> Path:
    """The log of one mapping process (matched by COMPLETIONS_PATTERN)."""
    return workdir / f"esm-completions-{instance}.jsonl"


def _transaction_id(record: dict[str, Any]) -> str | None:
    try:
        body = json.loads(base64.b64decode(record["kinesis"]["data"]))
    except (ValueError, KeyError, TypeError):
        return None
    value = body.get("transaction_id") if isinstance(body, dict) else None
    return value if isinstance(value, str) else None


def record_completions(handler: Handler, path: Path) -> Handler:
    lock = threading.Lock()

    def completing(event: dict[str, Any], context: Any) -> Any:
        response = handler(event, context)
        failures = response.get("batchItemFailures") if isinstance(response, dict) else None
        failed = {f.get("itemIdentifier") for f in failures or [] if isinstance(f, dict)}
        if "" in failed or None in failed:
            return response  # the whole batch failed
        done = [
            transaction_id
            for record in event.get("Records") or []
            if record["kinesis"]["sequenceNumber"] not in failed
            and (transaction_id := _transaction_id(record)) is not None
        ]
        line = json.dumps({"t": time.time(), "ids": done}) + "\n"
        with lock, path.open("a", encoding="utf-8") as out:
            out.write(line)
        return response

    return completing


def read_completions(path: Path) -> dict[str, float]:
    """transaction_id -> the wall-clock time its first successful invocation returned."""
    first: dict[str, float] = {}
    if not path.exists():
        return first
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            if not line.endswith("\n"):
                break  # a line still being written
            entry = json.loads(line)
            for transaction_id in entry["ids"]:
                first.setdefault(transaction_id, entry["t"])
    return first


def read_invocations(path: Path) -> list[tuple[float, int]]:
    """(wall-clock time the invocation returned, records it completed) for each invocation logged so far."""
    if not path.exists():
        return []
    events = []
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            if not line.endswith("\n"):
                break
            entry = json.loads(line)
            events.append((entry["t"], len(entry["ids"])))
    return events
