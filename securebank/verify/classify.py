"""Input classes that depend on the whole workload, derived after it is built: ids shared across customers,
resubmissions (identical or conflicting, by the domain's own equality), and out-of-order timestamps."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

import attrs

from adapters.records import parse_record
from domain.model import CustomerId, Transaction, TransactionId, TransactionKey
from securebank.verify.workload import (
    CONFLICTING_RESUBMISSION,
    IDENTICAL_RESUBMISSION,
    OUT_OF_ORDER,
    SHARED_ID,
    Line,
    Workload,
)

SAME_INSTANT_OTHER_SPELLING = "resubmission: same instant, other offset"


def parsed(line: Line) -> Transaction | None:
    """The line's transaction as both paths read it, or None for a record they must quarantine."""
    try:
        return parse_record(line.data)
    except ValueError:
        return None


def with_derived_classes(workload: Workload) -> Workload:
    transactions = [parsed(line) for line in workload.lines]
    customers_of: dict[TransactionId, set[CustomerId]] = defaultdict(set)
    for txn in transactions:
        if txn is not None:
            customers_of[txn.transaction_id].add(txn.customer_id)
    first: dict[TransactionKey, tuple[int, Transaction, bytes]] = {}
    newest: dict[CustomerId, datetime] = {}
    derived: list[set[str]] = []
    for index, (line, txn) in enumerate(zip(workload.lines, transactions, strict=True)):
        classes: set[str] = set()
        derived.append(classes)
        if txn is None:
            continue
        if len(customers_of[txn.transaction_id]) > 1:
            classes.add(SHARED_ID)
        at, earlier, data = first.setdefault(txn.key, (index, txn, line.data))
        if at != index:
            if earlier != txn:
                classes.add(CONFLICTING_RESUBMISSION)
            else:
                classes.add(IDENTICAL_RESUBMISSION if data == line.data else SAME_INSTANT_OTHER_SPELLING)
        latest = newest.get(txn.customer_id)
        if latest is not None and txn.timestamp < latest:
            classes.add(OUT_OF_ORDER)
        newest[txn.customer_id] = txn.timestamp if latest is None else max(latest, txn.timestamp)
    lines = iter(derived)
    return Workload(
        tuple(tuple(attrs.evolve(line, classes=line.classes | next(lines)) for line in wave) for wave in workload.waves)
    )
