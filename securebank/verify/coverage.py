"""The coverage table of a soak: every input class, poison kind, fault and mapping event, with how often it occurred
and in how many examples; classes that never occurred are listed with 0, so that a gap shows."""

from __future__ import annotations

from collections import Counter

from securebank.verify.classify import SAME_INSTANT_OTHER_SPELLING
from securebank.verify.faults import FAULT_CLASSES
from securebank.verify.injection import BURST_IN_ONE_BATCH, TWO_COMMIT_CALLS
from securebank.verify.poison import POISONS
from securebank.verify.real import REPEATED_LAKE_LINES, REPEATED_QUARANTINE
from securebank.verify.workload import (
    AT_BOUND,
    BEYOND_BOUND,
    BURST,
    CONFLICTING_RESUBMISSION,
    CURRENCIES,
    CURRENCY_PREFIX,
    EXTREME_INSTANT,
    IDENTICAL_RESUBMISSION,
    OFFSET_PREFIX,
    OFFSETS,
    OUT_OF_ORDER,
    POISON_PREFIX,
    SHARED_ID,
    TELEPORT,
    TWO_CUSTOMER_BURST,
    offset_name,
)

Row = tuple[str, int, int]
INPUTS = (
    SHARED_ID,
    IDENTICAL_RESUBMISSION,
    SAME_INSTANT_OTHER_SPELLING,
    CONFLICTING_RESUBMISSION,
    AT_BOUND,
    BEYOND_BOUND,
    EXTREME_INSTANT,
    OUT_OF_ORDER,
    TELEPORT,
    *(CURRENCY_PREFIX + c for c in CURRENCIES),
    BURST,
    BURST_IN_ONE_BATCH,
    TWO_CUSTOMER_BURST,
    TWO_COMMIT_CALLS,
    REPEATED_QUARANTINE,
    REPEATED_LAKE_LINES,
)
MAPPING_EVENTS = ("invocations", "partial_failures", "function_errors", "bisections", "retries")
MAPPING = tuple(f"mapping: {event}" for event in MAPPING_EVENTS)


def sections(occurrences: Counter[str], examples_with: Counter[str]) -> dict[str, list[Row]]:
    def rows(names: tuple[str, ...], strip: str = "") -> list[Row]:
        return [(name.removeprefix(strip), occurrences[name], examples_with[name]) for name in names]

    offsets = [OFFSET_PREFIX + offset_name(o) for o in OFFSETS]
    missing = [o.removeprefix(OFFSET_PREFIX) for o in offsets if not occurrences[o]]
    fewest = min(occurrences[o] for o in offsets)
    offset_row = (
        f"UTC offsets -12:00..+14:00: {len(offsets) - len(missing)}/{len(offsets)}"
        + (f", missing {' '.join(missing)}" if missing else f", fewest {fewest}"),
        sum(occurrences[o] for o in offsets),
        max((examples_with[o] for o in offsets), default=0),
    )
    return {
        "input classes (records)": [*rows(INPUTS), offset_row],
        "poison records": rows(tuple(POISON_PREFIX + p for p in POISONS), POISON_PREFIX),
        "faults that happened": rows(FAULT_CLASSES),
        "event source mapping": rows(MAPPING, "mapping: "),
    }
