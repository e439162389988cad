"""A label file (a card network's chargebacks, an analyst's export), read and validated row by row.

CSV with a header row, or JSON Lines. Each row: `transaction_id`, `customer_id`, `is_fraud` (true/false), `source`
(analyst|chargeback|customer; the import's default when absent), `labelled_at` (ISO 8601 with a zone; the import's
time when absent) and `note` (optional). A row is rejected for a missing or malformed field, and two rows for the
same transaction of the same customer at the same `labelled_at` conflict when their `is_fraud` differ (the label
rule would pick the fraud silently). Every rejection names its line (the header is line 1 of a CSV) and field.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from domain.model import is_identifier

SOURCES = ("analyst", "chargeback", "customer")
FIELDS = ("transaction_id", "customer_id", "is_fraud", "source", "labelled_at", "note")
_ZONED = re.compile(r"(Z|[+-][0-9]{2}:[0-9]{2})$")  # as jobs/lake.py ZONED: Spark drops a label without it
_BOOLEANS = {"true": True, "false": False}
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
        """The lake's label line (`{transaction_id, customer_id, is_fraud, labelled_at}` as jobs/labels.py reads it,
        plus `source` and, when given, `note`)."""
        row: dict[str, Any] = {
            "transaction_id": self.transaction_id,
            "customer_id": self.customer_id,
            "is_fraud": self.is_fraud,
            "labelled_at": self.labelled_at.isoformat(),
            "source": self.source,
        }
        if self.note is not None:
            row["note"] = self.note
        return row


def parse(data: bytes, *, csv_format: bool, source: str, now: datetime) -> tuple[list[LabelRow], list[RowError]]:
    """The rows of a label file and every rejection; rows are usable only when there is no rejection."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return [], [RowError(1, "file", f"is not UTF-8 ({exc.reason} at byte {exc.start})")]
    records = _csv_records(text) if csv_format else _jsonl_records(text)
    rows: list[LabelRow] = []
    errors: list[RowError] = []
    for line, record in records:
        if isinstance(record, RowError):
            errors.append(record)
            continue
        row_errors, row = _row(line, record, source, now)
        errors.extend(row_errors)
        if row is not None:
            rows.append(row)
    if not rows and not errors:
        errors.append(RowError(1, "file", "has no label rows"))
    return rows, errors + _conflicts(rows)


def _csv_records(text: str) -> list[tuple[int, dict[str, Any] | RowError]]:
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = reader.fieldnames or []
    unknown = sorted(set(header) - set(FIELDS))
    if unknown or not header:
        return [(1, RowError(1, "header", f"unknown columns {unknown}" if header else "is missing"))]
    records: list[tuple[int, dict[str, Any] | RowError]] = []
    for record in reader:
        line = reader.line_num
        if None in record:
            records.append((line, RowError(line, "row", "has more values than the header has columns")))
            continue
        values = {k: v for k, v in record.items() if v not in (None, "")}
        if "is_fraud" in values:  # CSV spells a boolean true or false (any case); JSON Lines needs a JSON boolean
            values["is_fraud"] = _BOOLEANS.get(values["is_fraud"].strip().lower(), values["is_fraud"])
        records.append((line, values))
    return records


def _jsonl_records(text: str) -> list[tuple[int, dict[str, Any] | RowError]]:
    records: list[tuple[int, dict[str, Any] | RowError]] = []
    for line, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            record = json.loads(raw)
        except ValueError as exc:
            records.append((line, RowError(line, "row", f"is not JSON ({exc})")))
            continue
        if not isinstance(record, dict):
            records.append((line, RowError(line, "row", "is not a JSON object")))
            continue
        unknown = sorted(set(record) - set(FIELDS))
        if unknown:
            records.append((line, RowError(line, unknown[0], "is not a label field")))
            continue
        records.append((line, {k: v for k, v in record.items() if v is not None}))
    return records


def _row(
    line: int, record: dict[str, Any], default_source: str, now: datetime
) -> tuple[list[RowError], LabelRow | None]:
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
    at = _zoned(record["labelled_at"]) if "labelled_at" in record else now
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


def _zoned(value: object) -> datetime | None:
    if not isinstance(value, str) or not _ZONED.search(value):
        return None
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        return None
    return at if at.utcoffset() is not None else None


def _conflicts(rows: list[LabelRow]) -> list[RowError]:
    first: dict[tuple[str, str, datetime], LabelRow] = {}
    errors: list[RowError] = []
    for row in rows:
        seen = first.setdefault((row.customer_id, row.transaction_id, row.labelled_at), row)
        if seen.is_fraud != row.is_fraud:
            reason = f"conflicts with line {seen.line} (same customer, transaction and labelled_at)"
            errors.append(RowError(row.line, "is_fraud", reason))
    return errors
