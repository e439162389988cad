"""CPU time of the local stack's processes, each read from the kernel's own account of that process.

The stack's parent reads `/proc/<pid>/stat` (user + system time of every thread of the child, in clock ticks), so the
children pay nothing for being measured. Elsewhere than Linux there is no /proc: `process_cpu_seconds` answers None
and callers report the CPU split as unavailable. A process measures itself with `own_cpu_seconds` (os.times).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

_UTIME_AFTER_COMM = 11
"""utime is field 14 of /proc/<pid>/stat; counted from the field after the `(comm)` field (3), it is index 11."""


def process_cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds used so far by a running process, or None when it cannot be read."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2 :].split()  # the command name may contain spaces and parentheses
    ticks = int(fields[_UTIME_AFTER_COMM]) + int(fields[_UTIME_AFTER_COMM + 1])
    return ticks / os.sysconf("SC_CLK_TCK")


def own_cpu_seconds() -> float:
    """User + system CPU seconds of the calling process (every thread), portable."""
    times = os.times()
    return times.user + times.system


def cpu_by_component(pids: Mapping[str, list[int]]) -> dict[str, float] | None:
    """CPU seconds per component (the sum over its processes), or None if any process could not be read."""
    result: dict[str, float] = {}
    for component, component_pids in pids.items():
        total = 0.0
        for pid in component_pids:
            seconds = process_cpu_seconds(pid)
            if seconds is None:
                return None
            total += seconds
        result[component] = total
    return result


def per_thousand(before: Mapping[str, float], after: Mapping[str, float], transactions: int) -> dict[str, float]:
    """CPU milliseconds per 1,000 transactions (= CPU microseconds per transaction) for each component."""
    if transactions <= 0:
        return {}
    return {
        name: round((after[name] - before.get(name, 0.0)) * 1_000_000 / transactions, 1)
        for name in after
        if name in before
    }
