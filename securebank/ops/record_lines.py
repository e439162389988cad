"""The records of the operator's file formats (label files, KYC files), CSV or JSON Lines, each checked for its
shape before the file's own rules check its values. Blank JSON lines are skipped; every other line is a record or a
RowError naming its line."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Collection
from typing import Any

from adapters.label_rows import RowError

Record = tuple[int, dict[str, Any] | RowError]


def jsonl_records(text: str, fields: Collection[str], what: str) -> list[Record]:
    """(line, fields without nulls) per non-blank line, or (line, RowError) for a line that is not a JSON object or
    names a field outside `fields` (`what` says whose fields they are: "label", "customer")."""
    records: list[Record] = []
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
        unknown = sorted(set(record) - set(fields))
        if unknown:
            records.append((line, RowError(line, unknown[0], f"is not a {what} field")))
            continue
        records.append((line, {k: v for k, v in record.items() if v is not None}))
    return records


def csv_records(text: str, fields: Collection[str]) -> list[Record]:
    """(line, the non-empty cells by column) per row of a CSV file whose header names only `fields`; a header with
    another column, no header, or a row longer than the header is a RowError."""
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = reader.fieldnames or []
    unknown = sorted(set(header) - set(fields))
    if unknown or not header:
        return [(1, RowError(1, "header", f"unknown columns {unknown}" if header else "is missing"))]
    records: list[Record] = []
    for record in reader:
        line = reader.line_num
        if None in record:
            records.append((line, RowError(line, "row", "has more values than the header has columns")))
            continue
        records.append((line, {k: v for k, v in record.items() if v not in (None, "")}))
    return records
