"""Flags out, on moto: the processor Lambda's flagged transaction is an open case in the sparse ReviewIndex, and its
TransactionFlagged event reaches the cases queue through the outbox: the Transactions table's stream, the pipe
emulator (securebank/emulator/pipe.py: the filter, the enrichment, PutEvents), the bus and its rule (the local
stack's resources). An unflagged transaction and a label send nothing; an EventBridge outage delays the events and
fails no invocation; shadow scoring stores both decisions."""

from __future__ import annotations

import json
import uuid
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
from domain.ports import ShadowDecision
from handlers.bootstrap import ProcessorDependencies, bootstrap
from handlers.processor import handle
from handlers.settings import Settings
from securebank.emulator.pipe import OutboxPipe
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


def pipe(local: LocalResources, session: Any, events: Any = None) -> OutboxPipe:
    assert local.transactions_stream_arn is not None and local.event_bus_name is not None
    return OutboxPipe(session.client("dynamodbstreams"), events or session.client("events"),
                      local.transactions_stream_arn, local.event_bus_name)  # fmt: skip


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


def test_a_flagged_transaction_is_an_open_case_and_its_event_reaches_the_cases_queue_through_the_outbox(
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
    assert cases_events(local, aws_session) == []  # the processor itself sends nothing
    relay = pipe(local, aws_session)
    assert relay.poll_once() == len(flagged)
    assert (relay.stats.records_read, relay.stats.put_events_calls) == (len(batch), 1)  # one INSERT per item
    events = cases_events(local, aws_session)
    assert sorted(e["detail"]["transaction_id"] for e in events) == sorted(flagged)  # each once, none unflagged
    for event in events:
        assert (event["source"], event["detail-type"]) == (aws.FLAGGED_EVENT_SOURCE, aws.FLAGGED_DETAIL_TYPE)
        assert event["detail"]["risk_score"] == float(ACTIVE.large_amount.weight)  # a JSON number
        assert "amount" not in event["detail"]
        assert "location" not in event["detail"]


def test_a_label_sends_no_event(local: LocalResources, aws_session: Any) -> None:
    batch = bodies()
    handle(kinesis_event(batch), dependencies(local, aws_session))
    relay = pipe(local, aws_session)
    relay.poll_once()
    cases_events(local, aws_session)
    case = open_cases(local, aws_session)[0]
    aws_session.client("dynamodb").update_item(  # what a label does to the item (adapters of handlers/cases.py)
        TableName=local.transactions_table,
        Key={"customer_id": {"S": case["customer_id"]}, "transaction_id": {"S": case["transaction_id"]}},
        UpdateExpression="REMOVE #s SET label_is_fraud = :t",
        ExpressionAttributeNames={"#s": aws.REVIEW_STATUS_ATTRIBUTE},
        ExpressionAttributeValues={":t": {"BOOL": True}},
    )

    assert relay.poll_once() == 0
    assert relay.stats.records_read == len(batch) + 1  # the MODIFY was read, and filtered out
    assert cases_events(local, aws_session) == []


def test_an_eventbridge_outage_delays_the_events_and_fails_no_invocation(
    local: LocalResources, aws_session: Any
) -> None:
    class Outage:
        def __init__(self, events: Any) -> None:
            self.events, self.down = events, True

        def put_events(self, **request: Any) -> dict[str, Any]:
            if self.down:
                raise ConnectionError("events endpoint unreachable")
            return self.events.put_events(**request)  # type: ignore[no-any-return]

    batch = bodies()
    response = handle(kinesis_event(batch), dependencies(local, aws_session))
    assert response["batchItemFailures"] == []

    eventbridge = Outage(aws_session.client("events"))
    relay = pipe(local, aws_session, events=eventbridge)
    for _ in range(2):
        with pytest.raises(ConnectionError):
            relay.poll_once()
    assert cases_events(local, aws_session) == []
    eventbridge.down = False  # EventBridge is back: the pending batch goes out, once

    assert relay.poll_once() == 2
    assert {e["detail"]["transaction_id"] for e in cases_events(local, aws_session)} == {
        batch[1]["transaction_id"], batch[3]["transaction_id"]}  # fmt: skip
    assert relay.poll_once() == 0


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
    pipe(local, aws_session).poll_once()
    assert batch[2]["transaction_id"] not in {e["detail"]["transaction_id"] for e in cases_events(local, aws_session)}
