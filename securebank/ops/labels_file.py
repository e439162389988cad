"""A label file (a card network's chargebacks, an analyst's export), read and validated row by row.

CSV with a header row, or JSON Lines. Each row: `transaction_id`, `customer_id`, `is_fraud` (true/false), `source`
(analyst|chargeback|customer; the import's default when absent), `labelled_at` (ISO 8601 with a zone; the import's
time when absent) and `note` (optional). Each row is validated by adapters/label_rows.py, as the label API's body
is. A row is rejected for a missing or malformed field, and two rows for the same transaction of the same customer
at the same `labelled_at` conflict when their `is_fraud` differ (the label rule would pick the fraud silently).
Every rejection names its line (the header is line 1 of a CSV) and field.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from adapters.label_rows import FIELDS, NOTE_MAX, SOURCES, LabelRow, RowError, label_row
from securebank.ops.record_lines import csv_records, jsonl_records

__all__ = ["FIELDS", "NOTE_MAX", "SOURCES", "LabelRow", "RowError", "parse"]

_BOOLEANS = {"true": True, "false": False}


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
        row_errors, row = label_row(line, record, source, now)
        errors.extend(row_errors)
        if row is not None:
            rows.append(row)
    if not rows and not errors:
        errors.append(RowError(1, "file", "has no label rows"))
    return rows, errors + _conflicts(rows)


def _csv_records(text: str) -> list[tuple[int, dict[str, Any] | RowError]]:
    records = csv_records(text, FIELDS)
    for _, values in records:
        if isinstance(values, dict) and "is_fraud" in values:  # CSV spells a boolean true or false (any case)
            values["is_fraud"] = _BOOLEANS.get(values["is_fraud"].strip().lower(), values["is_fraud"])
    return records


def _jsonl_records(text: str) -> list[tuple[int, dict[str, Any] | RowError]]:
    return jsonl_records(text, FIELDS, "label")


def _conflicts(rows: list[LabelRow]) -> list[RowError]:
    first: dict[tuple[str, str, datetime], LabelRow] = {}
    errors: list[RowError] = []
    for row in rows:
        seen = first.setdefault((row.customer_id, row.transaction_id, row.labelled_at), row)
        if seen.is_fraud != row.is_fraud:
            reason = f"conflicts with line {seen.line} (same customer, transaction and labelled_at)"
            errors.append(RowError(row.line, "is_fraud", reason))
    return errors
