"""The TransactionFlagged publisher against a fake PutEvents: at most 10 entries a call, the failed entries sent again
once, then an error; the Detail carries the case's facts, the score as an exact JSON number, no amount nor location
field (the amount rules' reasons quote the amount: the bus and the cases queue are KMS-encrypted)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from adapters.eventbridge_flags import EventBridgeFlagEvents, FlagEventsFailed, detail
from adapters.serialization import loads
from contracts.aws import FLAGGED_DETAIL_TYPE, FLAGGED_EVENT_SOURCE, PUT_EVENTS_MAX_ENTRIES
from domain.model import CustomerId, Location, Transaction, TransactionId
from domain.parameters import LargeAmountRule
from domain.policy import FraudPolicy
from domain.ports import ScoredTransaction
from domain.rules import score

AT = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)
POLICY = FraudPolicy(version=7, large_amount=LargeAmountRule(weight=Decimal("0.85"), limit=Decimal("1000")))
BUS = "SecureBank-Fraud-test"


def flag(n: int) -> ScoredTransaction:
    txn = Transaction(TransactionId(f"t{n}"), CustomerId("c1"), Decimal("1234.56"), "USD", "m1", "grocery",
                      AT + timedelta(minutes=n), Location(40.7, -74.0))  # fmt: skip
    return ScoredTransaction(txn, score(POLICY, None, txn), AT)


class FakeEvents:
    """PutEvents that rejects the entries whose transaction ids are in `reject`, `times` times each."""

    def __init__(self, reject: set[str] | None = None, times: int = 1) -> None:
        self.calls: list[list[dict[str, Any]]] = []
        self.reject, self.left = reject or set(), dict.fromkeys(reject or set(), times)

    def put_events(self, Entries: list[dict[str, Any]]) -> dict[str, Any]:  # noqa: N803 - boto3's parameter name
        self.calls.append(Entries)
        results = []
        for entry in Entries:
            tid = json.loads(entry["Detail"])["transaction_id"]
            if self.left.get(tid, 0) > 0:
                self.left[tid] -= 1
                results.append({"ErrorCode": "ThrottlingException", "ErrorMessage": "slow down"})
            else:
                results.append({"EventId": f"e-{tid}"})
        return {"FailedEntryCount": sum("ErrorCode" in r for r in results), "Entries": results}


def test_flags_are_put_on_the_bus_at_most_ten_entries_a_call():
    events = FakeEvents()
    EventBridgeFlagEvents(events, BUS).publish([flag(n) for n in range(23)])
    assert [len(call) for call in events.calls] == [PUT_EVENTS_MAX_ENTRIES, PUT_EVENTS_MAX_ENTRIES, 3]
    entry = events.calls[0][0]
    assert (entry["EventBusName"], entry["Source"], entry["DetailType"]) == (BUS, FLAGGED_EVENT_SOURCE,
                                                                             FLAGGED_DETAIL_TYPE)  # fmt: skip


def test_no_flags_no_call():
    events = FakeEvents()
    EventBridgeFlagEvents(events, BUS).publish([])
    assert events.calls == []


def test_entries_reported_failed_are_sent_again_once_alone():
    events = FakeEvents(reject={"t2", "t5"})
    EventBridgeFlagEvents(events, BUS).publish([flag(n) for n in range(6)])
    assert [[json.loads(e["Detail"])["transaction_id"] for e in call] for call in events.calls][1] == ["t2", "t5"]
    assert len(events.calls) == 2


def test_entries_failing_twice_raise_so_that_the_records_are_redelivered():
    events = FakeEvents(reject={"t1"}, times=2)
    with pytest.raises(FlagEventsFailed, match="ThrottlingException"):
        EventBridgeFlagEvents(events, BUS).publish([flag(0), flag(1)])


def test_the_detail_is_the_cases_facts_with_no_amount_or_location_field():
    scored = flag(3)
    body = detail(scored)
    parsed = loads(body)
    assert set(parsed) == {"transaction_id", "customer_id", "risk_score", "is_fraud", "triggered_rules", "reasons",
                           "policy_version", "processed_at", "timestamp"}  # fmt: skip
    assert parsed["risk_score"] == scored.decision.risk_score == Decimal("0.85")
    assert '"risk_score":0.85,' in body  # a JSON number with the exact decimal text, not a string nor a float
    assert parsed["is_fraud"] is True
    assert parsed["reasons"] == list(scored.decision.reasons)
    assert parsed["policy_version"] == POLICY.version
    assert parsed["processed_at"] == "2024-03-01T12:00:00Z"
    assert "40.7" not in body  # no location; the amount appears only in the amount rules' reason text
    assert "1234.56" not in body.replace(parsed["reasons"][0], "")
