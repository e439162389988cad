"""GET /v1/transactions/{transaction_id}: the stored transaction and its decision, as an API Gateway proxy response.

200 with the transaction (the POST body fields) and its decision (risk_score, is_fraud, triggered_rules, reasons,
policy_version) and processed_at; 404 when unknown; 400 for an id (or customer_id) that does not match the API's
Identifier pattern. Errors have the API's Error shape `{"error": {"code", "message", "field"?}}`.

A transaction's identity is (customer_id, transaction_id): ids may repeat across customers. With
`?customer_id=C` the answer is that customer's transaction. Without it, an id stored for one customer is answered,
and an id stored for several is a 409 `ambiguous_transaction_id` asking for customer_id (without naming the
customers: one caller must not learn of another's transactions).
"""

from __future__ import annotations

import functools
from typing import Any

from adapters.serialization import dumps, format_timestamp, scored_to_dict
from domain.model import CustomerId, TransactionId, is_identifier
from handlers.bootstrap import QueryDependencies, bootstrap_query
from handlers.settings import Settings

PATH_PARAMETER = "transaction_id"
CUSTOMER_PARAMETER = "customer_id"


@functools.cache
def _dependencies() -> QueryDependencies:
    return bootstrap_query(Settings.from_env())


def lambda_handler(event: dict[str, Any], context: object) -> dict[str, Any]:
    return handle(event, _dependencies())


def handle(event: dict[str, Any], deps: QueryDependencies) -> dict[str, Any]:
    transaction_id = (event.get("pathParameters") or {}).get(PATH_PARAMETER)
    if not is_identifier(transaction_id):
        return _error(400, "invalid_request", "must be 1 to 64 letters, digits, '-' or '_'", PATH_PARAMETER)
    customer_id = (event.get("queryStringParameters") or {}).get(CUSTOMER_PARAMETER)
    if customer_id is not None and not is_identifier(customer_id):
        return _error(400, "invalid_request", "must be 1 to 64 letters, digits, '-' or '_'", CUSTOMER_PARAMETER)
    if customer_id is None:
        found = deps.transactions.find(TransactionId(transaction_id), limit=2)
        if len(found) > 1:
            message = f"transaction_id {transaction_id} belongs to more than one customer: ask with ?customer_id="
            return _error(409, "ambiguous_transaction_id", message, CUSTOMER_PARAMETER)
        scored = found[0] if found else None
    else:
        key = (CustomerId(customer_id), TransactionId(transaction_id))
        scored = deps.transactions.get_many([key]).get(key)
    if scored is None:
        deps.logger.info("transaction not found", extra={"transaction_id": transaction_id})
        return _error(404, "not_found", f"no transaction {transaction_id}")
    deps.logger.info("transaction read", extra={"transaction_id": transaction_id})
    return _response(200, {**scored_to_dict(scored), "processed_at": format_timestamp(scored.processed_at)})


def _error(status: int, code: str, message: str, field: str | None = None) -> dict[str, Any]:
    error = {"code": code, "message": message} | ({"field": field} if field else {})
    return _response(status, {"error": error})


def _response(status: int, body: dict[str, Any]) -> dict[str, Any]:
    return {"statusCode": status, "headers": {"Content-Type": "application/json"}, "body": dumps(body)}
