"""A KYC file (the bank's customer records), read and validated row by row, all before anything is written.

CSV with a header row, or JSON Lines. Each row: `customer_id` (required), and any of `risk_profile`
(low|medium|high), `account_created` (RFC 3339: date, time and a zone, not in the future), `home_latitude` with
`home_longitude` (both or neither) and `timezone` (an IANA zone name, e.g. Europe/Paris). A blank CSV cell or a JSON
null leaves that attribute as it is; a row must set at least one. Two rows for one customer must agree. Every
rejection names its line (the header is line 1 of a CSV) and field, as the label import's do
(securebank/ops/labels_file.py).
"""

from __future__ import annotations

import functools
import re
import zoneinfo
from datetime import datetime
from typing import Any, get_args

from adapters.label_rows import RowError
from domain.kyc import KycRecord
from domain.model import EARLIEST, CustomerId, InvalidTransaction, Location, is_identifier
from domain.profile import RiskProfile
from securebank.ops.record_lines import csv_records, jsonl_records

FIELDS = ("customer_id", "risk_profile", "account_created", "home_latitude", "home_longitude", "timezone")
RISK_PROFILES: tuple[str, ...] = get_args(RiskProfile)
_RFC3339 = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?"  # date and time
    r"([Zz]|[+-][0-9]{2}:[0-9]{2})"  # the zone: required
)


@functools.cache
def _zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def parse(data: bytes, *, csv_format: bool, now: datetime) -> tuple[list[KycRecord], list[RowError]]:
    """The records of a KYC file and every rejection; the records are usable only when there is no rejection."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return [], [RowError(1, "file", f"is not UTF-8 ({exc.reason} at byte {exc.start})")]
    records: list[tuple[int, KycRecord]] = []
    errors: list[RowError] = []
    for line, raw in _csv_records(text) if csv_format else _jsonl_records(text):
        if isinstance(raw, RowError):
            errors.append(raw)
            continue
        row_errors, record = kyc_record(line, raw, now)
        errors.extend(row_errors)
        if record is not None:
            records.append((line, record))
    if not records and not errors:
        errors.append(RowError(1, "file", "has no customer rows"))
    errors.extend(_disagreements(records))
    return [record for _, record in records], sorted(errors, key=lambda e: e.line)


def kyc_record(line: int, row: dict[str, Any], now: datetime) -> tuple[list[RowError], KycRecord | None]:
    """Every problem of one row, or its record when there is none."""
    errors: list[RowError] = []
    customer = row.get("customer_id")
    if not is_identifier(customer):
        errors.append(RowError(line, "customer_id", "must be 1 to 64 letters, digits, '-' or '_'"))
    risk = row.get("risk_profile")
    if risk is not None and risk not in RISK_PROFILES:
        errors.append(RowError(line, "risk_profile", f"must be one of {', '.join(RISK_PROFILES)}"))
    created = _created(line, row.get("account_created"), now, errors)
    home = _home(line, row.get("home_latitude"), row.get("home_longitude"), errors)
    zone = row.get("timezone")
    if zone is not None and (type(zone) is not str or zone not in _zones()):
        errors.append(RowError(line, "timezone", "must be an IANA time zone name, e.g. Europe/Paris"))
    if not errors and risk is None and created is None and home is None and zone is None:
        errors.append(RowError(line, "row", "sets no attribute (risk_profile, account_created, home, timezone)"))
    if errors:
        return errors, None
    return [], KycRecord(CustomerId(str(customer)), risk, created, home, zone)


def _created(line: int, value: object, now: datetime, errors: list[RowError]) -> datetime | None:
    if value is None:
        return None
    if type(value) is not str or not _RFC3339.fullmatch(value):
        errors.append(RowError(line, "account_created", "must be an RFC 3339 date-time with a zone"))
        return None
    try:
        created = datetime.fromisoformat(value.upper().replace("Z", "+00:00"))
    except ValueError as exc:
        errors.append(RowError(line, "account_created", f"is not a valid date-time ({exc})"))
        return None
    if not EARLIEST <= created <= now:
        errors.append(RowError(line, "account_created", "must be from 1970 to now (not in the future)"))
        return None
    return created


def _home(line: int, latitude: object, longitude: object, errors: list[RowError]) -> Location | None:
    if latitude is None and longitude is None:
        return None
    found = len(errors)
    values: list[float] = []
    for name, value in (("home_latitude", latitude), ("home_longitude", longitude)):
        number = _number(value)
        if number is None:
            errors.append(RowError(line, name, "must be a number (the other home coordinate is given)"))
        values.append(0.0 if number is None else number)
    if len(errors) > found:
        return None
    try:
        return Location(*values)
    except InvalidTransaction as exc:
        errors.append(RowError(line, exc.field.replace("location.", "home_"), exc.reason))
        return None


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        return float(value)
    except ValueError:
        return None


def _csv_records(text: str) -> list[tuple[int, dict[str, Any] | RowError]]:
    records = csv_records(text, FIELDS)
    return [(line, r if isinstance(r, RowError) else {k: v.strip() for k, v in r.items()}) for line, r in records]


def _jsonl_records(text: str) -> list[tuple[int, dict[str, Any] | RowError]]:
    return jsonl_records(text, FIELDS, "customer")


def _disagreements(records: list[tuple[int, KycRecord]]) -> list[RowError]:
    first: dict[str, tuple[int, KycRecord]] = {}
    errors: list[RowError] = []
    for line, record in records:
        seen_line, seen = first.setdefault(record.customer_id, (line, record))
        if seen != record:
            errors.append(RowError(line, "customer_id", f"has other values on line {seen_line}"))
    return errors
