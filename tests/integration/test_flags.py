"""Flags out, on moto: the processor Lambda's flagged transaction is an open case in the sparse ReviewIndex and its
TransactionFlagged event reaches the cases queue through the bus's rule (the local stack's resources); a publish
outage fails the invocation and the redelivery publishes without a second commit; shadow scoring stores both
decisions."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import attrs
import pytest

from adapters.dynamodb_transactions import DynamoDbTransactionRepository
from adapters.items import from_attribute_values
from adapters.memory import FixedClock, StaticPolicySource
from contracts import aws
from domain.model import CustomerId, TransactionId, TransactionKey
from domain.parameters import LargeAmountRule
from domain.policy import FraudPolicy
from domain.ports import ScoredTransaction, ShadowDecision
from handlers.bootstrap import ProcessorDependencies, bootstrap
from handlers.processor import FlagEventsUnavailable, handle
from handlers.settings import Settings
from securebank.emulator.resources import LocalResources, create_resources
from tests.conftest import kinesis_event, transaction_body

ACTIVE = FraudPolicy(version=2, large_amount=LargeAmountRule(weight=Decimal("0.85"), limit=Decimal("1000")))
SHADOW = FraudPolicy(version=3, large_amount=LargeAmountRule(weight=Decimal("0.95"), limit=Decimal("500")))


@pytest.fixture
def local(aws_session: Any) -> LocalResources:
    return create_resources(aws_session, None, suffix=f"-{uuid.uuid4().hex[:8]}")


def dependencies(local: LocalResources, session: Any, shadow: FraudPolicy | None = None) -> ProcessorDependencies:
    deps = bootstrap(Settings.from_env(local.processor_environment()), session)
    ports = attrs.evolve(deps.ports, clock=FixedClock(datetime(2024, 3, 2, tzinfo=UTC)),
                         policy=StaticPolicySource(ACTIVE, shadow))  # fmt: skip
    return attrs.evolve(deps, ports=ports)


def open_cases(local: LocalResources, session: Any) -> list[dict[str, Any]]:
    response = session.client("dynamodb").query(
        TableName=local.transactions_table,
        IndexName=aws.REVIEW_INDEX.name,
        KeyConditionExpression="#s = :open",
        ExpressionAttributeNames={"#s": aws.REVIEW_STATUS_ATTRIBUTE},
        ExpressionAttributeValues={":open": {"S": aws.REVIEW_STATUS_OPEN}},
        ScanIndexForward=False,
    )
    return [from_attribute_values(item) for item in response["Items"]]


def cases_events(local: LocalResources, session: Any) -> list[dict[str, Any]]:
    sqs, events = session.client("sqs"), []
    while messages := sqs.receive_message(QueueUrl=local.cases_queue_url, MaxNumberOfMessages=10).get("Messages"):
        events += [json.loads(m["Body"]) for m in messages]
        sqs.delete_message_batch(QueueUrl=local.cases_queue_url,
                                 Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]}
                                          for i, m in enumerate(messages)])  # fmt: skip
    return events


def bodies() -> list[dict[str, Any]]:
    return [transaction_body("alice"), transaction_body("alice", amount="1500.00"),
            transaction_body("bob", amount="700.00"), transaction_body("bob", amount="2500.00")]  # fmt: skip


def test_a_flagged_transaction_is_an_open_case_and_its_event_reaches_the_cases_queue(
    local: LocalResources, aws_session: Any
) -> None:
    batch = bodies()
    response = handle(kinesis_event(batch), dependencies(local, aws_session))

    assert response["batchItemFailures"] == []
    flagged = {batch[1]["transaction_id"], batch[3]["transaction_id"]}
    cases = open_cases(local, aws_session)
    assert {c["transaction_id"] for c in cases} == flagged
    assert [c[aws.REVIEW_SORT_ATTRIBUTE] for c in cases] == sorted((c[aws.REVIEW_SORT_ATTRIBUTE] for c in cases),
                                                                    reverse=True)  # fmt: skip
    events = cases_events(local, aws_session)
    assert {e["detail"]["transaction_id"] for e in events} == flagged
    for event in events:
        assert (event["source"], event["detail-type"]) == (aws.FLAGGED_EVENT_SOURCE, aws.FLAGGED_DETAIL_TYPE)
        assert event["detail"]["risk_score"] == float(ACTIVE.large_amount.weight)  # a JSON number
        assert "amount" not in event["detail"]
        assert "location" not in event["detail"]


def test_a_publish_outage_fails_the_invocation_and_the_redelivery_publishes_without_a_second_commit(
    local: LocalResources, aws_session: Any
) -> None:
    class Unreachable:
        def publish(self, flags: Sequence[ScoredTransaction]) -> None:
            raise ConnectionError("events endpoint unreachable")

    batch, deps = bodies(), dependencies(local, aws_session)
    with pytest.raises(FlagEventsUnavailable):
        handle(kinesis_event(batch), attrs.evolve(deps, ports=attrs.evolve(deps.ports, flags=Unreachable())))
    assert cases_events(local, aws_session) == []
    stored = aws_session.client("dynamodb").scan(TableName=local.transactions_table)["Items"]

    response = handle(kinesis_event(batch), deps)

    assert response["batchItemFailures"] == []
    assert {e["detail"]["transaction_id"] for e in cases_events(local, aws_session)} == {
        batch[1]["transaction_id"], batch[3]["transaction_id"]}  # fmt: skip
    assert aws_session.client("dynamodb").scan(TableName=local.transactions_table)["Items"] == stored


def test_shadow_scoring_stores_both_decisions(local: LocalResources, aws_session: Any) -> None:
    batch = bodies()
    handle(kinesis_event(batch), dependencies(local, aws_session, SHADOW))

    repository = DynamoDbTransactionRepository(aws_session.client("dynamodb"), local.transactions_table,
                                               local.customers_table)  # fmt: skip
    keys: list[TransactionKey] = [(CustomerId(b["customer_id"]), TransactionId(b["transaction_id"])) for b in batch]
    stored = repository.get_many(keys)
    assert [stored[k].decision.is_fraud for k in keys] == [False, True, False, True]
    assert [stored[k].shadow for k in keys] == [
        ShadowDecision(Decimal("0"), False, 3),
        ShadowDecision(Decimal("0.95"), True, 3),
        ShadowDecision(Decimal("0.95"), True, 3),
        ShadowDecision(Decimal("0.95"), True, 3),
    ]
    # the shadow opens no case and sends no event: bob's 700.00, flagged by the shadow alone, is neither
    assert batch[2]["transaction_id"] not in {c["transaction_id"] for c in open_cases(local, aws_session)}
    assert batch[2]["transaction_id"] not in {e["detail"]["transaction_id"] for e in cases_events(local, aws_session)}
