"""The review queue and the label endpoint, as one API Gateway proxy Lambda (dispatching on the event's resource).

GET /v1/reviews?status=open&limit=N&cursor=C: the open cases, newest processed first, `limit` 1 to 100 (default 20),
`{"cases": [...], "next_cursor": "..." | null}`. Each case: transaction_id, customer_id, risk_score (exact decimal
text, as GET by id answers), triggered_rules, reasons, policy_version, processed_at, timestamp. `status` accepts
`open` only; a cursor the API did not issue is a 400 naming `cursor`.

POST /v1/transactions/{transaction_id}/label with `{"customer_id", "is_fraud", "source", "labelled_at"?, "note"?}`:
validated as a label file's row is (adapters/label_rows.py), 404 for an unknown (customer_id, transaction_id), else
the label goes to the lake and then onto the item, which leaves the queue (domain/cases.py), and the answer is 202.
labelled_at defaults to the receipt time and may not be later than it (a label from the future would win over every
later verdict by the label rule). A retry of the same body with its labelled_at writes the same lake object; one
without labelled_at writes a second line, which readers deduplicate by the label rule.

Errors have the API's Error shape `{"error": {"code", "message", "field"?}}`, as handlers/query.py answers.
"""

from __future__ import annotations

import base64
import functools
import re
from datetime import datetime, timedelta
from typing import Any

from adapters.label_rows import label_row
from adapters.serialization import dumps, format_timestamp, loads, scored_to_dict
from contracts.aws import LABEL_PATH_SUFFIX, REVIEW_STATUS_OPEN, REVIEWS_PATH, TRANSACTIONS_PATH
from domain.cases import DEFAULT_PAGE, MAX_PAGE, CaseLabel, InvalidCursor, label_transaction
from domain.model import CustomerId, TransactionId, is_identifier
from domain.ports import ScoredTransaction
from handlers.bootstrap import CasesDependencies, bootstrap_cases
from handlers.settings import Settings

REVIEWS_RESOURCE = REVIEWS_PATH
LABEL_RESOURCE = f"{TRANSACTIONS_PATH}/{{transaction_id}}{LABEL_PATH_SUFFIX}"
PATH_PARAMETER = "transaction_id"
QUERY_PARAMETERS = {("GET", REVIEWS_RESOURCE): {"status", "limit", "cursor"}, ("POST", LABEL_RESOURCE): set()}
ROUTES = frozenset(QUERY_PARAMETERS)
BODY_FIELDS = frozenset({"customer_id", "is_fraud", "source", "labelled_at", "note"})
CASE_FIELDS = ("transaction_id", "customer_id", "risk_score", "triggered_rules", "reasons", "policy_version")
MAX_CURSOR_CHARS = 1024
LIMIT_TEXT = re.compile(r"[0-9]{1,3}")
CLOCK_SKEW = timedelta(minutes=5)
"""How far after its receipt a label's labelled_at may be (the caller's clock may run ahead a little)."""


@functools.cache
def _dependencies() -> CasesDependencies:
    return bootstrap_cases(Settings.from_env())


def lambda_handler(event: dict[str, Any], context: object) -> dict[str, Any]:
    return handle(event, _dependencies())


def handle(event: dict[str, Any], deps: CasesDependencies) -> dict[str, Any]:
    route = (str(event.get("httpMethod")), str(event.get("resource")))
    if route not in ROUTES:
        return _error(404, "not_found", "no such route")
    unknown = sorted(set(event.get("queryStringParameters") or {}) - QUERY_PARAMETERS[route])
    if unknown:  # a misspelt `limt` would otherwise be ignored silently
        return _error(400, "invalid_request", "is not a parameter of this operation", unknown[0])
    return reviews(event, deps) if route == ("GET", REVIEWS_RESOURCE) else label(event, deps)


def reviews(event: dict[str, Any], deps: CasesDependencies) -> dict[str, Any]:
    params = event.get("queryStringParameters") or {}
    if params.get("status", REVIEW_STATUS_OPEN) != REVIEW_STATUS_OPEN:
        return _error(400, "invalid_request", f"must be {REVIEW_STATUS_OPEN}", "status")
    limit_text = params.get("limit")
    limit = DEFAULT_PAGE if limit_text is None else _limit(limit_text)
    if limit is None:
        return _error(400, "invalid_request", f"must be a whole number from 1 to {MAX_PAGE}", "limit")
    cursor = params.get("cursor")
    if cursor is not None and not 0 < len(cursor) <= MAX_CURSOR_CHARS:
        return _error(400, "invalid_request", "is not a cursor this API issued", "cursor")
    try:
        page = deps.queue.open_cases(limit, cursor)
    except InvalidCursor as invalid:
        return _error(400, "invalid_request", str(invalid), "cursor")
    deps.logger.info("review queue read", extra={"cases": len(page.cases)})
    return _response(200, {"cases": [case_to_dict(c) for c in page.cases], "next_cursor": page.next_cursor})


def case_to_dict(scored: ScoredTransaction) -> dict[str, Any]:
    whole = scored_to_dict(scored)
    case = {name: whole[name] for name in CASE_FIELDS}
    case["processed_at"] = format_timestamp(scored.processed_at)
    case["timestamp"] = whole["timestamp"]
    return case


def label(event: dict[str, Any], deps: CasesDependencies) -> dict[str, Any]:
    case = _case_label(event, deps.clock.now())
    if not isinstance(case, CaseLabel):
        return case
    if not label_transaction(case, deps.queue, deps.lake):
        deps.logger.info("label for an unknown transaction", extra={"transaction_id": case.transaction_id})
        return _error(404, "not_found", f"no transaction {case.transaction_id} of customer {case.customer_id}")
    deps.logger.info("label accepted", extra={"transaction_id": case.transaction_id, "source": case.source})
    accepted = {
        "transaction_id": case.transaction_id,
        "customer_id": case.customer_id,
        "status": "accepted",
        "is_fraud": case.is_fraud,
        "source": case.source,
        "labelled_at": case.labelled_at.isoformat(),
    }
    return _response(202, accepted)


def _case_label(event: dict[str, Any], received: datetime) -> CaseLabel | dict[str, Any]:
    """The label the request carries, or the 400 naming its first bad field."""
    transaction_id = (event.get("pathParameters") or {}).get(PATH_PARAMETER)
    if not is_identifier(transaction_id):
        return _error(400, "invalid_request", "must be 1 to 64 letters, digits, '-' or '_'", PATH_PARAMETER)
    body = _body(event)
    if not isinstance(body, dict):
        return _error(400, "invalid_request", "The request body must be a JSON object")
    unknown = sorted(set(body) - BODY_FIELDS)
    if unknown:
        return _error(400, "invalid_request", "is not a label field", unknown[0])
    errors, row = label_row(1, {**body, "transaction_id": transaction_id}, "", received)
    if errors or row is None:
        first = errors[0]
        return _error(400, "invalid_request", "is required" if first.field not in body else first.reason, first.field)
    if row.labelled_at > received + CLOCK_SKEW:
        return _error(400, "invalid_request", "must not be later than the label's receipt", "labelled_at")
    return CaseLabel(
        TransactionId(row.transaction_id), CustomerId(row.customer_id), row.is_fraud, row.source, row.labelled_at,
        row.note,
    )  # fmt: skip


def _limit(text: str) -> int | None:
    if not LIMIT_TEXT.fullmatch(text):
        return None
    value = int(text)
    return value if 1 <= value <= MAX_PAGE else None


def _body(event: dict[str, Any]) -> object:
    """The parsed JSON body, or None when it is absent or not strict UTF-8 JSON."""
    raw = event.get("body")
    if raw is None:
        return None
    try:
        text = base64.b64decode(raw).decode("utf-8") if event.get("isBase64Encoded") else raw
        return loads(text)
    except (ValueError, RecursionError):
        return None


def _error(status: int, code: str, message: str, field: str | None = None) -> dict[str, Any]:
    error = {"code": code, "message": message} | ({"field": field} if field else {})
    return _response(status, {"error": error})


def _response(status: int, body: dict[str, Any]) -> dict[str, Any]:
    return {"statusCode": status, "headers": {"Content-Type": "application/json"}, "body": dumps(body)}
