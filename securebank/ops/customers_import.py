"""Import a KYC file into the Customers table: every row validated first, then each customer's profile updated.

One rejected row and nothing is written (securebank/ops/kyc_file.py names every bad line and field). A good file is
applied customer by customer (domain/kyc.py): profiles are read strongly consistent, 100 to a BatchGetItem; a
customer whose record changes something is written with a Put conditioned on the version read
(`DynamoDbProfileRepository.put_if_version`), so a processor commit in between makes the import read again and
retry, and the processor's own conditional write fails and retries on the imported profile: neither loses the
other's change. A customer not yet seen gets a profile at version 1, which their first transaction completes.

Idempotent: a record that changes nothing writes nothing, so importing the same file twice in a row changes nothing
the second time (`unchanged` counts those customers). A customer still contended after MAX_ATTEMPTS reads is
reported in `contended` (exit 1); the rest of the file stays applied, and running the import again finishes it.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from adapters.label_rows import RowError
from contracts.aws import BATCH_GET_MAX_KEYS
from domain.kyc import KycRecord, apply_kyc
from domain.model import CustomerId
from domain.profile import CustomerProfile
from securebank.ops.kyc_file import parse

MAX_ATTEMPTS = 5


class ProfileStore(Protocol):
    def get_many(self, customer_ids: Collection[CustomerId]) -> Mapping[CustomerId, CustomerProfile]: ...

    def put_if_version(self, profile: CustomerProfile, expected_version: int, written_at: datetime) -> bool: ...


@dataclass
class ImportReport:
    rows: int = 0
    rejected: list[RowError] = field(default_factory=list)
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    retried: int = 0
    """Conditional writes that found the profile moved (a concurrent processor commit) and were read again."""
    contended: list[str] = field(default_factory=list)
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        return not self.rejected and not self.contended

    def as_json(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "rejected": len(self.rejected),
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "retried": self.retried,
            "contended": self.contended,
            "dry_run": self.dry_run,
        }


def import_customers(
    store: ProfileStore, data: bytes, *, csv_format: bool, now: datetime, dry_run: bool = False
) -> ImportReport:
    """Validate the whole file, then (unless `dry_run`, which only counts) apply it customer by customer."""
    records, errors = parse(data, csv_format=csv_format, now=now)
    report = ImportReport(rows=len(records), rejected=errors, dry_run=dry_run)
    if errors:
        report.rows = 0
        return report
    unique = list({r.customer_id: r for r in records}.values())  # rows for one customer agree (validated)
    for start in range(0, len(unique), BATCH_GET_MAX_KEYS):
        chunk = unique[start : start + BATCH_GET_MAX_KEYS]
        profiles = store.get_many([r.customer_id for r in chunk])
        for record in chunk:
            _apply(store, record, profiles.get(record.customer_id), now, report)
    return report


def _apply(
    store: ProfileStore, record: KycRecord, current: CustomerProfile | None, now: datetime, report: ImportReport
) -> None:
    for _ in range(MAX_ATTEMPTS):
        updated = apply_kyc(current, record, now)
        if updated is None:
            report.unchanged += 1
            return
        expected = 0 if current is None else current.version
        if report.dry_run or store.put_if_version(updated, expected, now):
            if current is None:
                report.created += 1
            else:
                report.updated += 1
            return
        report.retried += 1
        current = store.get_many([record.customer_id]).get(record.customer_id)
    report.contended.append(record.customer_id)
