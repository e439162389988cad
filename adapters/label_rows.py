"""One label row (an analyst's verdict, a chargeback, a customer's report), validated field by field, and its line
in the lake. The label API (handlers/cases.py) and the label file import (securebank/ops/labels_file.py) both
validate through `label_row`, so the two ways in accept exactly the same labels.

A row: `transaction_id`, `customer_id`, `is_fraud` (a boolean), `source` (analyst|chargeback|customer; the
caller's default when absent), `labelled_at` (ISO 8601 with a zone; the caller's `now` when absent) and `note`
(optional, at most NOTE_MAX characters). The lake's line is `label_line`: the fields jobs/labels.py reads
(transaction_id, customer_id, is_fraud, labelled_at) plus source and, when given, note.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from domain.model import is_identifier

SOURCES = ("analyst", "chargeback", "customer")
FIELDS = ("transaction_id", "customer_id", "is_fraud", "source", "labelled_at", "note")
_ZONED = re.compile(r"(Z|[+-][0-9]{2}:[0-9]{2})$")  # as jobs/lake.py ZONED: Spark drops a label without it
NOTE_MAX = 1000


@dataclass(frozen=True)
class RowError:
    line: int
    field: str
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.field}: {self.reason}"


@dataclass(frozen=True)
class LabelRow:
    line: int
    transaction_id: str
    customer_id: str
    is_fraud: bool
    source: str
    labelled_at: datetime
    note: str | None

    def to_json(self) -> dict[str, Any]:
        """The lake's label line (`label_line`)."""
        return label_line(
            self.transaction_id, self.customer_id, self.is_fraud, self.labelled_at, self.source, self.note
        )


def label_line(
    transaction_id: str, customer_id: str, is_fraud: bool, labelled_at: datetime, source: str, note: str | None
) -> dict[str, Any]:
    """`{transaction_id, customer_id, is_fraud, labelled_at}` as jobs/labels.py reads it, plus `source` and, when
    given, `note`. labelled_at keeps the offset it was given in."""
    row: dict[str, Any] = {
        "transaction_id": transaction_id,
        "customer_id": customer_id,
        "is_fraud": is_fraud,
        "labelled_at": labelled_at.isoformat(),
        "source": source,
    }
    if note is not None:
        row["note"] = note
    return row


def label_row(
    line: int, record: dict[str, Any], default_source: str, now: datetime
) -> tuple[list[RowError], LabelRow | None]:
    """Every problem of one record (its unknown keys are the caller's concern), or the row when there is none."""
    errors = [
        RowError(line, name, "must be 1 to 64 letters, digits, '-' or '_'")
        for name in ("transaction_id", "customer_id")
        if not is_identifier(record.get(name))
    ]
    is_fraud = _boolean(record.get("is_fraud"))
    if is_fraud is None:
        errors.append(RowError(line, "is_fraud", "must be true or false"))
    source = record.get("source", default_source)
    if source not in SOURCES:
        errors.append(RowError(line, "source", f"must be one of {', '.join(SOURCES)}"))
    at = zoned(record["labelled_at"]) if "labelled_at" in record else now
    if at is None:
        errors.append(RowError(line, "labelled_at", "must be an ISO 8601 time with a zone (Z or +HH:MM)"))
    note = record.get("note")
    if note is not None and (type(note) is not str or len(note) > NOTE_MAX):
        errors.append(RowError(line, "note", f"must be text of at most {NOTE_MAX} characters"))
    if errors or is_fraud is None or at is None:
        return errors, None
    return [], LabelRow(line, record["transaction_id"], record["customer_id"], is_fraud, source, at, note)


def _boolean(value: object) -> bool | None:
    return value if type(value) is bool else None


def zoned(value: object) -> datetime | None:
    """An ISO 8601 time that ends in a zone (Z or +HH:MM), aware; None for anything else."""
    if not isinstance(value, str) or not _ZONED.search(value):
        return None
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        return None
    return at if at.utcoffset() is not None else None
