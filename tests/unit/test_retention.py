"""Retention: every table and lake prefix has a stated period (docs/infrastructure.md, "Retention") that agrees with
the code, and the processor writes the TTL attribute the tables expire by."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

import contracts.aws
from adapters.items import profile_to_item, scored_to_item
from components.buckets import LAKE_RETENTION
from components.glue import GLUE_TEMP_PREFIX
from contracts.aws import PROFILE_RETENTION_DAYS, TRANSACTION_RETENTION_DAYS, TTL_ATTRIBUTE
from domain.model import CustomerId, Location, Transaction, TransactionId
from domain.policy import FraudPolicy
from domain.ports import ScoredTransaction
from domain.profile import CustomerProfile, apply_transaction
from domain.receipt import DEFAULT_MAX_AHEAD, DEFAULT_MAX_BEHIND
from domain.scoring import Scorer

ROOT = Path(__file__).resolve().parents[2]
PERIOD = re.compile(r"\b\d[\d,]* (?:hours|days)\b|\bindefinitely\b")
AT = datetime(2025, 3, 1, 12, tzinfo=UTC)


def retention_rows() -> dict[str, str]:
    """The Retention section's table: first cell (the store) -> the whole row."""
    text = (ROOT / "docs" / "infrastructure.md").read_text(encoding="utf-8")
    section = text.split("\n## Retention\n", 1)[1].split("\n## ", 1)[0]
    return {line.split("|")[1].strip(): line for line in section.splitlines() if line.startswith("| ")}


def lake_prefixes() -> set[str]:
    """Every S3 prefix contracts/aws.py names (`*_PREFIX`), and the Glue jobs' scratch prefix."""
    named = {
        value
        for name, value in vars(contracts.aws).items()
        if name.endswith("_PREFIX") and isinstance(value, str) and value.endswith("/")
    }
    return named | {GLUE_TEMP_PREFIX}


def _row_of(prefix: str, rows: dict[str, str]) -> str:
    [row] = [row for store, row in rows.items() if f"`{prefix}`" in store]
    return row


def test_every_lake_prefix_of_the_contracts_has_a_row_with_a_period() -> None:
    rows = retention_rows()
    assert {"raw/transactions/", "labels/", "glue/tmp/"} <= lake_prefixes()  # the scan finds the prefixes
    for prefix in sorted(lake_prefixes()):
        assert PERIOD.search(_row_of(prefix, rows).split("|")[2]), f"{prefix}: no period in its row"


@pytest.mark.parametrize("prefix", sorted(LAKE_RETENTION))
def test_the_documented_period_is_the_lifecycle_rules(prefix: str) -> None:
    kept = _row_of(prefix, retention_rows()).split("|")[2]
    days = LAKE_RETENTION[prefix].expire_days
    assert (f"{days:,} days" if days is not None else "indefinitely") in kept
    for after, storage_class in LAKE_RETENTION[prefix].transitions:
        assert f"{storage_class} after {after} days" in kept


def test_the_tables_rows_state_the_contracts_periods() -> None:
    rows = retention_rows()
    assert f"{TRANSACTION_RETENTION_DAYS} days" in rows["Transactions table items"]
    assert f"{PROFILE_RETENTION_DAYS} days" in rows["Customers table items (profiles)"]


def test_a_transaction_outlives_every_resubmission_the_processor_accepts() -> None:
    """A resubmission is accepted at most MAX_BEHIND after its timestamp, the first copy at most MAX_AHEAD before
    it: the first copy must still be stored for the conditional Put to recognise the second."""
    assert timedelta(days=TRANSACTION_RETENTION_DAYS) > DEFAULT_MAX_BEHIND + DEFAULT_MAX_AHEAD


def _transaction(at: datetime, transaction_id: str = "t-1") -> Transaction:
    return Transaction(
        transaction_id=TransactionId(transaction_id),
        customer_id=CustomerId("c-1"),
        amount=Decimal("12.50"),
        currency="USD",
        merchant_id="m-1",
        merchant_category="grocery",
        timestamp=at,
        location=Location(40.7, -74.0),
    )


def test_a_stored_transaction_expires_its_retention_after_processing() -> None:
    txn = _transaction(AT - timedelta(days=3))
    item = scored_to_item(ScoredTransaction(txn, Scorer(FraudPolicy.default()).score(None, txn), AT))
    assert item[TTL_ATTRIBUTE] == int((AT + timedelta(days=TRANSACTION_RETENTION_DAYS)).timestamp())


def test_every_transaction_moves_its_customers_profile_expiry() -> None:
    first = _transaction(AT)
    profile = apply_transaction(CustomerProfile.open(first), first, flagged=False)
    later = apply_transaction(profile, _transaction(AT + timedelta(days=300), "t-2"), flagged=False)
    expiries = [profile_to_item(p)[TTL_ATTRIBUTE] for p in (profile, later)]
    assert expiries[1] - expiries[0] == int(timedelta(days=300).total_seconds())
    assert expiries[1] == int((AT + timedelta(days=300 + PROFILE_RETENTION_DAYS)).timestamp())
