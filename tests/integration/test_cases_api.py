"""The review queue and label Lambda against moto: an open case (an item carrying review_status, as the processor
writes a flagged one) is listed from the sparse ReviewIndex; a label lands under labels/, reads back through the
lab's labels reader (the label rule, as the Spark jobs'), and takes the case off the queue."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import attrs

from adapters.items import from_attribute_values, scored_to_item, to_attribute_values
from adapters.serialization import parse_transaction
from contracts import aws
from domain.model import CustomerId, TransactionId
from domain.policy import FraudPolicy
from domain.ports import ScoredTransaction
from domain.scoring import score
from handlers.bootstrap import CasesDependencies, bootstrap_cases
from handlers.cases import handle
from handlers.settings import Settings
from securebank.lab.backtest import read_labels
from tests.conftest import Resources, transaction_body

NOW = datetime(2024, 3, 2, 12, tzinfo=UTC)


class FixedClock:
    def now(self) -> datetime:
        return NOW


def dependencies(resources: Resources) -> CasesDependencies:
    settings = Settings(transactions_table=resources.transactions_table, lake_bucket=resources.bucket)
    return attrs.evolve(bootstrap_cases(settings, resources.session), clock=FixedClock())


def put_case(resources: Resources, customer: str, transaction_id: str, minute: int, *, open_case: bool = True) -> None:
    txn = parse_transaction(transaction_body(customer, transaction_id=transaction_id))
    item = scored_to_item(ScoredTransaction(txn, score(FraudPolicy(), None, txn), NOW - timedelta(minutes=minute)))
    if open_case:
        item[aws.REVIEW_STATUS_ATTRIBUTE] = aws.REVIEW_STATUS_OPEN
    resources.client("dynamodb").put_item(TableName=resources.transactions_table, Item=to_attribute_values(item))


def call(deps: CasesDependencies, event: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    response = handle(event, deps)
    return response["statusCode"], json.loads(response["body"])


def reviews(deps: CasesDependencies, **params: str) -> tuple[int, dict[str, Any]]:
    return call(deps, {"httpMethod": "GET", "resource": aws.REVIEWS_PATH, "queryStringParameters": params or None})


def label(deps: CasesDependencies, transaction_id: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    event = {
        "httpMethod": "POST",
        "resource": "/v1/transactions/{transaction_id}/label",
        "pathParameters": {"transaction_id": transaction_id},
        "body": json.dumps(body),
    }
    return call(deps, event)


def lake_labels(resources: Resources) -> dict[str, str]:
    s3 = resources.client("s3")
    listing = s3.list_objects_v2(Bucket=resources.bucket, Prefix=aws.LABELS_PREFIX).get("Contents", [])
    return {o["Key"]: s3.get_object(Bucket=resources.bucket, Key=o["Key"])["Body"].read().decode() for o in listing}


def item(resources: Resources, customer: str, transaction_id: str) -> dict[str, Any]:
    key = {"customer_id": {"S": customer}, "transaction_id": {"S": transaction_id}}
    found = resources.client("dynamodb").get_item(TableName=resources.transactions_table, Key=key, ConsistentRead=True)
    return from_attribute_values(found["Item"])


def test_open_cases_are_listed_newest_first_across_pages(make_resources: Callable[[], Resources]):
    resources = make_resources()
    for minute, txn in ((40, "t40"), (10, "t10"), (30, "t30"), (20, "t20")):
        put_case(resources, "ann" if minute % 20 else "bob", txn, minute)
    put_case(resources, "ann", "unflagged", 5, open_case=False)
    deps = dependencies(resources)

    status, first = reviews(deps, limit="3")
    _, rest = reviews(deps, limit="3", cursor=first["next_cursor"])

    assert status == 200
    assert [c["transaction_id"] for c in first["cases"] + rest["cases"]] == ["t10", "t20", "t30", "t40"]
    assert rest["next_cursor"] is None
    assert first["cases"][0]["processed_at"] == "2024-03-02T11:50:00Z"


def test_a_tampered_cursor_is_400_naming_it(make_resources: Callable[[], Resources]):
    resources = make_resources()
    for minute in (1, 2):
        put_case(resources, "ann", f"t{minute}", minute)
    deps = dependencies(resources)
    _, page = reviews(deps, limit="1")
    cursor = json.loads(base64.urlsafe_b64decode(page["next_cursor"]))
    for tampered in ({**cursor, "review_status": "closed"}, {**cursor, "extra": "x"}, {**cursor, "processed_at": 1}):
        text = base64.urlsafe_b64encode(json.dumps(tampered).encode()).decode()
        status, body = reviews(deps, cursor=text)
        assert (status, body["error"]["field"]) == (400, "cursor")


def test_a_label_lands_in_the_lake_closes_the_case_and_reads_back_by_the_label_rule(
    make_resources: Callable[[], Resources],
):
    resources = make_resources()
    put_case(resources, "ann", "t1", 10)
    put_case(resources, "bob", "t2", 20)
    deps = dependencies(resources)

    status, accepted = label(deps, "t1", {"customer_id": "ann", "is_fraud": True, "source": "analyst"})

    assert (status, accepted["status"]) == (202, "accepted")
    assert [c["transaction_id"] for c in reviews(deps)[1]["cases"]] == ["t2"]
    stored = item(resources, "ann", "t1")
    assert aws.REVIEW_STATUS_ATTRIBUTE not in stored
    assert (stored["label_is_fraud"], stored["label_source"]) == (True, "analyst")
    assert stored["labelled_at"] == "2024-03-02T12:00:00.000000Z"
    ((key, body),) = lake_labels(resources).items()
    assert key.startswith(aws.labels_day_prefix(NOW.date()))
    labels, rejections = read_labels(enumerate(body.splitlines(), start=1))
    assert rejections == []
    assert labels.get((CustomerId("ann"), TransactionId("t1"))) is True
    assert labels.get((CustomerId("bob"), TransactionId("t1"))) is None


def test_a_retried_label_writes_the_same_object_once(make_resources: Callable[[], Resources]):
    resources = make_resources()
    put_case(resources, "ann", "t1", 10)
    deps = dependencies(resources)
    body = {"customer_id": "ann", "is_fraud": False, "source": "customer", "labelled_at": "2024-03-02T09:00:00Z"}

    assert label(deps, "t1", body)[0] == label(deps, "t1", body)[0] == 202

    assert len(lake_labels(resources)) == 1
    assert reviews(deps)[1]["cases"] == []


def test_an_older_chargeback_closes_nothing_more_and_keeps_the_newer_verdict(make_resources: Callable[[], Resources]):
    resources = make_resources()
    put_case(resources, "ann", "t1", 10)
    deps = dependencies(resources)
    newer = {"customer_id": "ann", "is_fraud": False, "source": "analyst", "labelled_at": "2024-03-02T11:00:00Z"}
    older = {"customer_id": "ann", "is_fraud": True, "source": "chargeback", "labelled_at": "2024-03-01T11:00:00Z"}

    assert label(deps, "t1", newer)[0] == label(deps, "t1", older)[0] == 202

    stored = item(resources, "ann", "t1")
    assert (stored["label_is_fraud"], stored["label_source"]) == (False, "analyst")
    assert len(lake_labels(resources)) == 2  # both kept in the lake; its readers apply the same rule


def test_an_unknown_transaction_is_404_and_writes_nothing(make_resources: Callable[[], Resources]):
    resources = make_resources()
    put_case(resources, "ann", "t1", 10)

    status, body = label(dependencies(resources), "t1", {"customer_id": "bob", "is_fraud": True, "source": "analyst"})

    assert (status, body["error"]["code"]) == (404, "not_found")
    assert lake_labels(resources) == {}
