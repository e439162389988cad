"""The local API serves the review queue and the label endpoint like the deployed API Gateway: the API key stands in
for IAM, the label body is checked against the contract first, and both call the cases Lambda (here on moto)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from contracts.aws import API_KEY_HEADER
from handlers.cases import handle
from securebank.emulator.api import ApiConfig, create_app
from securebank.emulator.stream_writer import StreamWriter
from tests.conftest import Resources
from tests.integration.test_cases_api import dependencies, lake_labels, put_case

KEY = "test-key"


@pytest.fixture
def served(make_resources: Callable[[], Resources]) -> Iterator[tuple[TestClient, Resources]]:
    resources = make_resources()
    deps = dependencies(resources)

    def cases(event: dict[str, Any], context: object) -> dict[str, Any]:
        return handle(event, deps)

    writer = StreamWriter(resources.client("kinesis"), "unused")
    app = create_app(ApiConfig(KEY, writer, cases_handler=cases))
    with TestClient(app, headers={API_KEY_HEADER: KEY}) as client:
        yield client, resources


def test_an_open_case_is_listed_and_a_label_takes_it_off_the_queue(served: tuple[TestClient, Resources]):
    client, resources = served
    put_case(resources, "ann", "t1", 10)
    put_case(resources, "bob", "t2", 20)

    listed = client.get("/v1/reviews", params={"status": "open", "limit": "5"})
    labelled = client.post("/v1/transactions/t1/label", json={"customer_id": "ann", "is_fraud": True,
                                                               "source": "analyst"})  # fmt: skip
    after = client.get("/v1/reviews")

    assert listed.status_code == 200
    assert [c["transaction_id"] for c in listed.json()["cases"]] == ["t1", "t2"]
    assert (labelled.status_code, labelled.json()["status"]) == (202, "accepted")
    assert [c["transaction_id"] for c in after.json()["cases"]] == ["t2"]
    assert len(lake_labels(resources)) == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"is_fraud": True, "source": "analyst"}, "customer_id"),
        ({"customer_id": "ann", "is_fraud": "yes", "source": "analyst"}, "is_fraud"),
        ({"customer_id": "ann", "is_fraud": True, "source": "bank"}, "source"),
        ({"customer_id": "ann", "is_fraud": True, "source": "analyst", "labelled_at": "today"}, "labelled_at"),
        ({"customer_id": "ann", "is_fraud": True, "source": "analyst", "extra": 1}, "extra"),
    ],
)
def test_a_bad_label_body_is_400_naming_the_field(served: tuple[TestClient, Resources], body: dict, field: str):
    client, resources = served
    put_case(resources, "ann", "t1", 10)

    response = client.post("/v1/transactions/t1/label", json=body)

    assert response.status_code == 400
    assert response.json()["error"]["field"] == field
    assert lake_labels(resources) == {}


def test_an_unknown_transaction_is_404(served: tuple[TestClient, Resources]):
    client, _ = served

    response = client.post("/v1/transactions/nope/label", json={"customer_id": "a", "is_fraud": False,
                                                                 "source": "customer"})  # fmt: skip

    assert (response.status_code, response.json()["error"]["code"]) == (404, "not_found")


def test_both_routes_ask_for_the_api_key(served: tuple[TestClient, Resources]):
    client, _ = served

    unkeyed = [client.get("/v1/reviews", headers={API_KEY_HEADER: "wrong"}),
               client.post("/v1/transactions/t1/label", json={}, headers={API_KEY_HEADER: "wrong"})]  # fmt: skip

    assert [r.status_code for r in unkeyed] == [403, 403]


def test_a_bad_cursor_is_400_naming_it(served: tuple[TestClient, Resources]):
    client, _ = served

    response = client.get("/v1/reviews", params={"cursor": "garbage!"})

    assert (response.status_code, response.json()["error"]["field"]) == (400, "cursor")
