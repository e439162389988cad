"""Factories for the contract tests: each returns a fresh implementation of a port, in memory or on moto."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from adapters.dynamodb_profiles import DynamoDbProfileRepository
from adapters.dynamodb_transactions import DynamoDbTransactionRepository
from adapters.memory import InMemoryProfileRepository, InMemoryTransactionRepository
from adapters.serialization import parse_transaction
from domain.model import Transaction
from domain.policy import FraudPolicy
from domain.ports import CustomerUpdate, ProfileRepository, ScoredTransaction, TransactionRepository
from domain.profile import CustomerProfile, apply_transaction
from domain.rules import score
from tests.conftest import Resources

MOTO_EXAMPLES = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
PROCESSED_AT = datetime(2024, 3, 2, tzinfo=UTC)

Repositories = tuple[ProfileRepository, TransactionRepository]


@pytest.fixture(params=["memory", "dynamodb"])
def make_repositories(request: pytest.FixtureRequest) -> Callable[[], Repositories]:
    """Factory of a (profiles, transactions) pair sharing one store: a fresh one per Hypothesis example."""
    if request.param == "memory":

        def memory() -> Repositories:
            profiles = InMemoryProfileRepository()
            return profiles, InMemoryTransactionRepository(profiles)

        return memory
    make_resources: Callable[[], Resources] = request.getfixturevalue("make_resources")

    def dynamodb() -> Repositories:
        resources = make_resources()
        client = resources.client("dynamodb")
        return (
            DynamoDbProfileRepository(client, resources.customers_table, sleep=lambda _: None),
            DynamoDbTransactionRepository(client, resources.transactions_table, resources.customers_table),
        )

    return dynamodb


def transaction(customer: str, n: int, amount: str = "25.00", minute: int = 0) -> Transaction:
    """Transaction `n` of `customer`: the same arguments always give the same transaction (as a redelivery does)."""
    return parse_transaction(
        {
            "transaction_id": f"{customer}-t{n}",
            "customer_id": customer,
            "amount": amount,
            "currency": "EUR",
            "merchant_id": f"m{n % 3}",
            "merchant_category": ("grocery", "fuel", "jewelry")[n % 3],
            "timestamp": f"2024-03-01T{8 + n:02d}:{minute:02d}:00Z",
            "location": {"latitude": 48.85 + n, "longitude": 2.35},
        }
    )


CUSTOMERS = ("ann", "ben", "cat")


def update(txns: list[Transaction], expected_version: int) -> CustomerUpdate:
    """A customer's update as process_batch builds it: scored in order, profile applied, version bumped."""
    policy = FraudPolicy.default()
    profile: CustomerProfile | None = None
    scored = []
    for txn in txns:
        decision = score(policy, profile, txn)
        profile = apply_transaction(profile or CustomerProfile.open(txn), txn, decision.is_fraud)
        scored.append(ScoredTransaction(txn, decision, PROCESSED_AT))
    assert profile is not None
    return CustomerUpdate(attrs.evolve(profile, version=expected_version + len(txns)), expected_version,
                          tuple(scored))  # fmt: skip


@st.composite
def customer_updates(draw: st.DrawFn, current: Callable[[str], int]) -> list[CustomerUpdate]:
    """Updates of distinct customers; each at the stored version, or (sometimes) at a stale or future one."""
    customers = draw(st.lists(st.sampled_from(CUSTOMERS), min_size=1, max_size=3, unique=True))
    updates = []
    for customer in customers:
        numbers = draw(st.lists(st.integers(0, 5), min_size=1, max_size=3, unique=True))
        fresh = draw(st.booleans() | st.just(True))
        expected = current(customer) if fresh else draw(st.integers(0, 4))
        updates.append(update([transaction(customer, n) for n in sorted(numbers)], expected))
    return updates


def version_of(profiles: ProfileRepository) -> Callable[[str], int]:
    def current(customer: str) -> int:
        found: Any = profiles.get_many([customer])
        return found[customer].version if customer in found else 0

    return current
