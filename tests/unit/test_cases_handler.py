"""The review queue and label Lambda (handlers/cases.py) with the in-memory queue and lake."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from adapters.memory_cases import InMemoryReviewQueue, RecordingLabelLake
from adapters.serialization import parse_transaction
from domain.policy import FraudPolicy
from domain.ports import ScoredTransaction
from domain.scoring import score
from handlers.bootstrap import CasesDependencies
from handlers.cases import handle
from tests.conftest import transaction_body

NOW = datetime(2024, 3, 2, 12, tzinfo=UTC)


class FixedClock:
    def now(self) -> datetime:
        return NOW


class QuietLogger:
    def info(self, *args: Any, **kwargs: Any) -> None:
        pass


def scored(customer: str, transaction_id: str, processed_minute: int) -> ScoredTransaction:
    txn = parse_transaction(transaction_body(customer, transaction_id=transaction_id))
    return ScoredTransaction(txn, score(FraudPolicy(), None, txn), NOW - timedelta(minutes=60 - processed_minute))


def deps(*cases: ScoredTransaction) -> CasesDependencies:
    queue = InMemoryReviewQueue()
    for case in cases:
        queue.add(case)
    return CasesDependencies(queue, RecordingLabelLake(), FixedClock(), QuietLogger())  # type: ignore[arg-type]


def reviews(d: CasesDependencies, **params: str) -> tuple[int, dict[str, Any]]:
    event = {"httpMethod": "GET", "resource": "/v1/reviews", "queryStringParameters": params or None}
    response = handle(event, d)
    assert response["headers"]["Content-Type"] == "application/json"
    return response["statusCode"], json.loads(response["body"])


def post_label(d: CasesDependencies, transaction_id: Any, body: Any, *, raw: str | None = None) -> tuple[int, Any]:
    event = {
        "httpMethod": "POST",
        "resource": "/v1/transactions/{transaction_id}/label",
        "pathParameters": {"transaction_id": transaction_id},
        "body": raw if raw is not None else json.dumps(body),
    }
    response = handle(event, d)
    return response["statusCode"], json.loads(response["body"])


def verdict(**overrides: Any) -> dict[str, Any]:
    return {"customer_id": "ann", "is_fraud": True, "source": "analyst", **overrides}


def test_lists_open_cases_newest_first_in_pages_that_follow_the_cursor():
    d = deps(*(scored("ann", f"t{minute}", minute) for minute in (5, 30, 10, 50, 20)))

    status, first = reviews(d, limit="2")
    _, second = reviews(d, limit="2", cursor=first["next_cursor"])
    _, last = reviews(d, limit="2", cursor=second["next_cursor"])

    assert status == 200
    pages = [[c["transaction_id"] for c in page["cases"]] for page in (first, second, last)]
    assert pages == [["t50", "t30"], ["t20", "t10"], ["t5"]]
    assert last["next_cursor"] is None


def test_a_case_carries_its_decision_as_get_by_id_shows_it():
    case = scored("ann", "t1", 1)
    _, page = reviews(deps(case))

    (listed,) = page["cases"]
    assert set(listed) == {"transaction_id", "customer_id", "risk_score", "triggered_rules", "reasons",
                           "policy_version", "processed_at", "timestamp"}  # fmt: skip
    assert listed["risk_score"] == str(case.decision.risk_score)
    assert listed["processed_at"] == "2024-03-02T11:01:00Z"
    assert listed["reasons"] == list(case.decision.reasons)


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"status": "closed"}, "status"),
        ({"limit": "0"}, "limit"),
        ({"limit": "101"}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"limit": "-1"}, "limit"),
        ({"cursor": "not base64 !"}, "cursor"),
        ({"cursor": base64.urlsafe_b64encode(b'{"a": 1}').decode()}, "cursor"),
        ({"cursor": ""}, "cursor"),
        ({"cursor": "A" * 2000}, "cursor"),
        ({"limt": "5"}, "limt"),
    ],
)
def test_a_bad_query_parameter_is_400_naming_it(params: dict[str, str], field: str):
    status, body = reviews(deps(scored("ann", "t1", 1)), **params)

    assert status == 400
    assert body["error"]["field"] == field


def test_a_label_is_accepted_written_to_the_lake_and_closes_the_case():
    d = deps(scored("ann", "t1", 1), scored("bob", "t2", 2))

    status, body = post_label(d, "t1", verdict(note="card stolen"))

    assert status == 202
    assert body == {"transaction_id": "t1", "customer_id": "ann", "status": "accepted", "is_fraud": True,
                    "source": "analyst", "labelled_at": NOW.isoformat()}  # fmt: skip
    lake = d.lake
    assert isinstance(lake, RecordingLabelLake)
    ((key, line),) = lake.objects.items()
    assert key.startswith("labels/year=2024/month=03/day=02/")
    assert json.loads(line) == {"transaction_id": "t1", "customer_id": "ann", "is_fraud": True, "source": "analyst",
                                "labelled_at": NOW.isoformat(), "note": "card stolen"}  # fmt: skip
    assert [c["transaction_id"] for c in reviews(d)[1]["cases"]] == ["t2"]


def test_a_retried_label_writes_the_same_object():
    d = deps(scored("ann", "t1", 1))
    body = verdict(labelled_at="2024-03-02T10:00:00+01:00")

    assert post_label(d, "t1", body)[0] == post_label(d, "t1", body)[0] == 202

    lake = d.lake
    assert isinstance(lake, RecordingLabelLake)
    assert (lake.writes, len(lake.objects)) == (2, 1)
    assert next(iter(lake.objects)).startswith("labels/year=2024/month=03/day=02/api-")


def test_an_unknown_transaction_is_404_and_writes_nothing():
    d = deps(scored("ann", "t1", 1))

    status, body = post_label(d, "t1", verdict(customer_id="bob"))

    assert status == 404
    assert body["error"]["code"] == "not_found"
    assert isinstance(d.lake, RecordingLabelLake)
    assert d.lake.objects == {}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"is_fraud": True, "source": "analyst"}, "customer_id"),
        (verdict(customer_id="has space"), "customer_id"),
        ({"customer_id": "ann", "source": "analyst"}, "is_fraud"),
        (verdict(is_fraud="yes"), "is_fraud"),
        ({"customer_id": "ann", "is_fraud": True}, "source"),
        (verdict(source="bank"), "source"),
        (verdict(labelled_at="2024-03-02T10:00:00"), "labelled_at"),
        (verdict(labelled_at="yesterday"), "labelled_at"),
        (verdict(labelled_at="2024-03-03T12:00:00Z"), "labelled_at"),
        (verdict(note="x" * 1001), "note"),
        (verdict(note=7), "note"),
        (verdict(transaction_id="t1"), "transaction_id"),
        (verdict(extra=1), "extra"),
    ],
)
def test_a_bad_label_field_is_400_naming_it(body: dict[str, Any], field: str):
    d = deps(scored("ann", "t1", 1))

    status, answer = post_label(d, "t1", body)

    assert status == 400
    assert answer["error"]["field"] == field
    assert isinstance(d.lake, RecordingLabelLake)
    assert d.lake.objects == {}


@pytest.mark.parametrize("raw", ["", "not json", "[1, 2]", '{"customer_id": "a", "customer_id": "b"}'])
def test_a_body_that_is_not_a_json_object_is_400(raw: str):
    status, answer = post_label(deps(scored("ann", "t1", 1)), "t1", None, raw=raw)

    assert status == 400
    assert answer["error"]["code"] == "invalid_request"


def test_a_malformed_transaction_id_is_400_naming_it():
    status, answer = post_label(deps(), "has space", verdict())

    assert (status, answer["error"]["field"]) == (400, "transaction_id")


def test_an_older_label_closes_the_case_but_keeps_the_newer_verdict():
    d = deps(scored("ann", "t1", 1))
    post_label(d, "t1", verdict(is_fraud=False, labelled_at="2024-03-02T11:00:00Z"))
    post_label(d, "t1", verdict(is_fraud=True, source="chargeback", labelled_at="2024-03-01T11:00:00Z"))

    queue = d.queue
    assert isinstance(queue, InMemoryReviewQueue)
    assert queue.labels[("ann", "t1")].is_fraud is False  # type: ignore[index]


def test_a_label_with_a_query_parameter_is_400_naming_it():
    event = {
        "httpMethod": "POST",
        "resource": "/v1/transactions/{transaction_id}/label",
        "pathParameters": {"transaction_id": "t1"},
        "queryStringParameters": {"force": "1"},
        "body": "{}",
    }
    response = handle(event, deps(scored("ann", "t1", 1)))

    assert (response["statusCode"], json.loads(response["body"])["error"]["field"]) == (400, "force")


def test_another_route_is_404():
    response = handle({"httpMethod": "DELETE", "resource": "/v1/reviews"}, deps())

    assert response["statusCode"] == 404
