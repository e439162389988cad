"""ReviewQueue contract: in memory and on DynamoDB's sparse ReviewIndex (moto), the pages list exactly the open
cases, newest processed first, whatever the page size; a label closes its case; the verdict a transaction keeps is
the label rule's (domain/labels.py), whatever order the labels arrive in; an unknown transaction is never labelled."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from adapters.dynamodb_cases import DynamoDbReviewQueue
from adapters.items import from_attribute_values, scored_to_item, to_attribute_values
from adapters.memory_cases import InMemoryReviewQueue
from adapters.serialization import parse_transaction
from contracts.aws import REVIEW_STATUS_ATTRIBUTE, REVIEW_STATUS_OPEN
from domain.cases import CaseLabel, ReviewQueue
from domain.labels import Label, Labels
from domain.model import CustomerId, TransactionId, TransactionKey
from domain.policy import FraudPolicy
from domain.ports import ScoredTransaction
from domain.scoring import score
from tests.conftest import Resources, transaction_body
from tests.contract.conftest import MOTO_EXAMPLES

START = datetime(2024, 3, 2, tzinfo=UTC)
Store = tuple[ReviewQueue, Callable[[ScoredTransaction, bool], None], Callable[[TransactionKey], bool | None]]


def scored(n: int, minute: int) -> ScoredTransaction:
    txn = parse_transaction(transaction_body(f"c{n % 3}", transaction_id=f"t{n}"))
    return ScoredTransaction(txn, score(FraudPolicy(), None, txn), START + timedelta(minutes=minute))


@pytest.fixture(params=["memory", "dynamodb"])
def make_store(request: pytest.FixtureRequest) -> Callable[[], Store]:
    """Factory of (queue, add(case, open), verdict(key)): a fresh store per Hypothesis example."""
    if request.param == "memory":

        def memory() -> Store:
            queue = InMemoryReviewQueue()
            held = queue.labels

            def verdict(key: TransactionKey) -> bool | None:
                return held[key].is_fraud if key in held else None

            return queue, lambda case, is_open: queue.add(case, open_case=is_open), verdict

        return memory
    make_resources: Callable[[], Resources] = request.getfixturevalue("make_resources")

    def dynamodb() -> Store:
        resources = make_resources()
        client: Any = resources.client("dynamodb")

        def add(case: ScoredTransaction, is_open: bool) -> None:
            item = scored_to_item(case) | ({REVIEW_STATUS_ATTRIBUTE: REVIEW_STATUS_OPEN} if is_open else {})
            client.put_item(TableName=resources.transactions_table, Item=to_attribute_values(item))

        def verdict(key: TransactionKey) -> bool | None:
            found = client.get_item(TableName=resources.transactions_table,
                                    Key={"customer_id": {"S": key[0]}, "transaction_id": {"S": key[1]}})  # fmt: skip
            return from_attribute_values(found["Item"]).get("label_is_fraud")

        return DynamoDbReviewQueue(client, resources.transactions_table), add, verdict

    return dynamodb


def every_page(queue: ReviewQueue, limit: int) -> list[TransactionKey]:
    keys: list[TransactionKey] = []
    page = queue.open_cases(limit)
    while True:
        keys += [case.transaction.key for case in page.cases]
        if page.next_cursor is None:
            return keys
        page = queue.open_cases(limit, page.next_cursor)


@MOTO_EXAMPLES
@given(
    minutes=st.lists(st.integers(0, 10_000), min_size=0, max_size=12, unique=True),
    open_flags=st.lists(st.booleans(), min_size=12, max_size=12),
    limit=st.integers(1, 5),
)
def test_pages_list_exactly_the_open_cases_newest_first(
    make_store: Callable[[], Store], minutes: list[int], open_flags: list[bool], limit: int
):
    queue, add, _ = make_store()
    cases = [scored(n, minute) for n, minute in enumerate(minutes)]
    for case, is_open in zip(cases, open_flags, strict=False):
        add(case, is_open)

    listed = every_page(queue, limit)

    expected = sorted((c for c, o in zip(cases, open_flags, strict=False) if o), key=lambda c: c.processed_at)
    assert listed == [c.transaction.key for c in reversed(expected)]


labels = st.lists(st.tuples(st.booleans(), st.integers(0, 3), st.sampled_from(["analyst", "chargeback"])), min_size=1,
                  max_size=5)  # fmt: skip


@MOTO_EXAMPLES
@given(arrivals=labels)
def test_the_verdict_kept_is_the_label_rules_and_every_label_closes_the_case(
    make_store: Callable[[], Store], arrivals: list[tuple[bool, int, str]]
):
    queue, add, verdict = make_store()
    case = scored(1, 0)
    add(case, True)
    key = case.transaction.key
    rule = Labels()
    for is_fraud, day, source in arrivals:
        at = START + timedelta(days=day)
        assert queue.close(CaseLabel(key[1], key[0], is_fraud, source, at))
        rule.add(TransactionId(key[1]), CustomerId(key[0]), Label(is_fraud, at))

    assert every_page(queue, 10) == []
    assert verdict(key) is rule.get(key)


def test_an_unknown_transaction_is_neither_found_nor_labelled(make_store: Callable[[], Store]):
    queue, add, _ = make_store()
    add(scored(1, 0), True)
    stranger = (CustomerId("nobody"), TransactionId("t1"))

    assert queue.exists(stranger) is False
    assert queue.close(CaseLabel(stranger[1], stranger[0], True, "analyst", START)) is False
    assert len(every_page(queue, 10)) == 1
