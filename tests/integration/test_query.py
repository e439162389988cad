"""The query Lambda against moto: a transaction processed by the processor is served by id through the GSI."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from handlers.bootstrap import bootstrap_query
from handlers.processor import handle as process
from handlers.query import handle
from handlers.settings import Settings
from tests.conftest import Resources, kinesis_event, transaction_body
from tests.integration.test_processor import dependencies


def get(transaction_id: Any, resources: Resources) -> tuple[int, dict[str, Any]]:
    deps = bootstrap_query(Settings(transactions_table=resources.transactions_table), resources.session)
    response = handle({"httpMethod": "GET", "pathParameters": {"transaction_id": transaction_id}}, deps)
    assert response["headers"]["Content-Type"] == "application/json"
    return response["statusCode"], json.loads(response["body"])


def test_returns_a_processed_transaction_with_its_decision(make_resources: Callable[[], Resources]):
    resources = make_resources()
    far_and_at_night = {"timestamp": "2024-03-01T03:00:00Z", "location": {"latitude": -33.87, "longitude": 151.21}}
    bodies = [transaction_body("fay", amount="20.00"), transaction_body("fay", amount="19.99", **far_and_at_night)]
    process(kinesis_event(bodies), dependencies(resources))

    status, body = get(bodies[1]["transaction_id"], resources)

    assert status == 200
    assert {k: body[k] for k in ("transaction_id", "customer_id", "amount", "merchant_id")} == {
        k: bodies[1][k] for k in ("transaction_id", "customer_id", "amount", "merchant_id")}  # fmt: skip
    assert (body["risk_score"], body["is_fraud"]) == ("0.3", False)  # seed weights: location 0.2 + time 0.1
    assert body["triggered_rules"] == ["location_anomaly", "time_anomaly"]
    assert len(body["reasons"]) == 2
    assert body["policy_version"] == 1
    assert body["processed_at"] == "2024-03-02T00:00:00Z"


def test_an_unknown_id_is_404_with_the_error_shape(make_resources: Callable[[], Resources]):
    status, body = get("nope", make_resources())

    assert status == 404
    assert body["error"]["code"] == "not_found"


@pytest.mark.parametrize("bad", ["", "a" * 65, "has space", "semi;colon", None, 7])
def test_a_malformed_id_is_400_naming_the_field(make_resources: Callable[[], Resources], bad: Any):
    status, body = get(bad, make_resources())

    assert status == 400
    assert body["error"]["field"] == "transaction_id"
