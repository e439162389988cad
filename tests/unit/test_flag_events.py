"""The fraud pipe's enrichment: a stream record of a committed flagged item gives the TransactionFlagged Detail the
processor's own PutEvents carried before the outbox (no amount, no location, the score exact); an unflagged item and
a label give none."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from adapters.flag_detail import detail, detail_text, matches
from adapters.items import scored_to_item, to_attribute_values
from contracts.aws import FLAG_EVENTS_FUNCTION, FLAGGED_STREAM_FILTER, REVIEW_STATUS_ATTRIBUTE
from domain.model import CustomerId, Location, Transaction, TransactionId
from domain.parameters import LargeAmountRule
from domain.policy import FraudPolicy
from domain.ports import ScoredTransaction
from domain.rules import score
from handlers.flag_events import lambda_handler

AT = datetime(2024, 3, 1, 12, 0, 0, 250000, tzinfo=UTC)
POLICY = FraudPolicy(version=7, large_amount=LargeAmountRule(weight=Decimal("0.85"), limit=Decimal("1000")))


def scored(amount: str) -> ScoredTransaction:
    txn = Transaction(TransactionId("t1"), CustomerId("c1"), Decimal(amount), "USD", "m1", "grocery", AT,
                      Location(40.7, -74.0))  # fmt: skip
    return ScoredTransaction(txn, score(POLICY, None, txn), AT)


def record(item: dict[str, Any], event_name: str = "INSERT") -> dict[str, Any]:
    """A DynamoDB stream record as the pipe hands it on (StreamViewType NEW_IMAGE)."""
    return {
        "eventID": "1",
        "eventName": event_name,
        "eventSource": "aws:dynamodb",
        "dynamodb": {"Keys": {}, "NewImage": to_attribute_values(item), "StreamViewType": "NEW_IMAGE"},
    }


def test_a_new_case_record_gives_the_detail_of_its_scored_transaction():
    flag = scored("1234.56")
    [out] = lambda_handler([record(scored_to_item(flag))], None)
    assert out == json.loads(detail(flag), parse_float=Decimal)
    assert detail_text(out) == detail(flag)
    assert out["risk_score"] == Decimal("0.85")
    assert out["is_fraud"] is True
    assert out["transaction_id"] == "t1"
    assert out["processed_at"] == "2024-03-01T12:00:00.250000Z"
    assert "amount" not in out
    assert "location" not in out


def test_an_unflagged_item_and_a_label_give_no_event():
    unflagged = scored_to_item(scored("10.00"))
    labelled = {k: v for k, v in scored_to_item(scored("1234.56")).items() if k != REVIEW_STATUS_ATTRIBUTE}
    flagged = scored_to_item(scored("1234.56"))
    records = [record(unflagged), record(labelled, "MODIFY"), record(flagged, "MODIFY"), record(flagged, "REMOVE")]
    assert lambda_handler(records, None) == []


def test_a_batch_gives_one_detail_per_new_case_in_order():
    items = [scored_to_item(scored(amount)) for amount in ("1500.00", "10.00", "2500.00")]
    out = lambda_handler([record(item) for item in items], None)
    assert [d["risk_score"] for d in out] == [Decimal("0.85"), Decimal("0.85")]
    assert len(out) == 2


def test_the_filter_is_the_pipes_pattern_on_review_status():
    open_case = {"eventName": "INSERT", "dynamodb": {"NewImage": {REVIEW_STATUS_ATTRIBUTE: {"S": "open"}}}}
    assert matches(FLAGGED_STREAM_FILTER, open_case)
    assert not matches(FLAGGED_STREAM_FILTER, {**open_case, "eventName": "MODIFY"})
    assert not matches(FLAGGED_STREAM_FILTER, {"eventName": "INSERT", "dynamodb": {"NewImage": {}}})
    closed = {"eventName": "INSERT", "dynamodb": {"NewImage": {REVIEW_STATUS_ATTRIBUTE: {"S": "closed"}}}}
    assert not matches(FLAGGED_STREAM_FILTER, closed)


def test_an_unreadable_record_fails_the_call_so_the_pipe_retries_it():
    broken = record(scored_to_item(scored("1234.56")))
    del broken["dynamodb"]["NewImage"]["customer_id"]
    with pytest.raises(KeyError):
        lambda_handler([broken], None)


def test_the_function_is_the_handler():
    assert FLAG_EVENTS_FUNCTION.handler == "handlers.flag_events.lambda_handler"
