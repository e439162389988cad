"""The local API: what the deployed API Gateway does with contracts/openapi.yaml, as a Starlette app.

POST /v1/transactions checks the key and the size (MAX_BODY_BYTES, as the deployed WAF does), parses the body with
the processor's strict parser (no duplicate key, no lone surrogate), validates it against the OpenAPI schema and
then as the processor will (the domain's parse, and the timestamp's bounds around its receipt), puts the body as
received on the stream with the customer_id as partition key (as the mapping template does with `$input.body`), and
answers 201 only once the record is on the stream.
GET /v1/transactions/{id} calls the query Lambda with an API Gateway proxy event; GET /v1/reviews and POST
/v1/transactions/{id}/label (its body checked against the contract's LabelRequest first, as API Gateway's validator
does) call the cases Lambda the same way.
Authorisation: the deployed API asks POST /v1/transactions for the API key and a SigV4 signature, and the analysts'
operations (GET by id, the review queue, the label) for a SigV4 signature alone (IAM: the stack's analyst role;
docs/infrastructure.md "Who can read"). There is no IAM here, so the API key
stands in for every scheme the contract names (STANDS_IN_FOR); GET /v1/health is open, as deployed.
GET /v1/health answers like the MOCK integration. Every error has the shape {"error": {"code", "message", "field"?}}.
"""

from __future__ import annotations

import contextlib
import secrets
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from adapters.serialization import loads
from adapters.strict_json import InvalidJsonError
from contracts.aws import (
    API_KEY_HEADER,
    HEALTH_PATH,
    LABEL_PATH_SUFFIX,
    MAX_BODY_BYTES,
    PARTITION_KEY_FIELD,
    REVIEWS_PATH,
    TRANSACTIONS_PATH,
)
from domain.model import ID_PATTERN, is_identifier
from domain.process_batch import DEFAULT_BOUNDS
from domain.receipt import TimeBounds
from securebank.emulator.schema import check_label, check_transaction
from securebank.emulator.stream_writer import StreamRejected, StreamWriter

QueryHandler = Callable[[dict[str, Any], Any], dict[str, Any]]
STANDS_IN_FOR = frozenset({"api_key", "sigv4"})
"""The contract's security schemes the local API key stands in for (contracts/openapi.yaml components)."""


def error(status: int, code: str, message: str, field: str | None = None) -> JSONResponse:
    body: dict[str, Any] = {"code": code, "message": message}
    if field is not None:
        body["field"] = field
    return JSONResponse({"error": body}, status_code=status)


@dataclass(frozen=True)
class ApiConfig:
    api_key: str
    writer: StreamWriter
    query_handler: QueryHandler | None = None
    time_bounds: TimeBounds = DEFAULT_BOUNDS
    """The processor's receipt bounds (handlers.settings reads the same environment variables)."""
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    cases_handler: QueryHandler | None = None
    """The cases Lambda's handler (the review queue and the label endpoint)."""


async def _read_body(request: Request) -> bytes | None:
    """The body, or None when it is over MAX_BODY_BYTES (checked on the header and while streaming)."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        return None
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def _authorized(request: Request, config: ApiConfig) -> bool:
    supplied = request.headers.get(API_KEY_HEADER, "")
    return secrets.compare_digest(supplied.encode(), config.api_key.encode())


async def submit_transaction(request: Request) -> Response:
    config: ApiConfig = request.app.state.config
    if not _authorized(request, config):
        return error(403, "forbidden", "Missing or invalid API key")
    media_type = request.headers.get("content-type", "application/json").split(";")[0].strip().lower()
    if media_type not in ("application/json", ""):
        return error(415, "unsupported_media_type", "Send the transaction as application/json")
    body = await _read_body(request)
    if body is None:
        return error(413, "payload_too_large", f"Request body over {MAX_BODY_BYTES} bytes")
    if not body.strip():
        return error(400, "invalid_request", "The request body is empty")
    try:
        # Strict UTF-8 without a BOM, as the processor decodes the record: json.loads(bytes) would also accept
        # UTF-16/32 and a BOM, and the client would get 201 for a record the processor must quarantine.
        text = body.decode("utf-8")
        if text.startswith("\ufeff"):
            raise ValueError("byte order mark")
        parsed = loads(text)
    except InvalidJsonError as invalid:  # a duplicate key or a lone surrogate, named (escaped: the reply is UTF-8)
        return error(400, "invalid_json", str(invalid), invalid.field)
    except (ValueError, RecursionError):
        return error(400, "invalid_json", "The request body is not valid UTF-8 JSON")
    problem = check_transaction(parsed, config.clock(), config.time_bounds)
    if problem is not None:
        return error(400, "invalid_request", problem.message, problem.field)
    transaction_id = parsed["transaction_id"]
    try:
        accepted = await config.writer.put(body, parsed[PARTITION_KEY_FIELD])
    except StreamRejected as rejected:
        return error(rejected.status, rejected.code, rejected.message)
    return JSONResponse(
        {
            "status": "accepted",
            "transaction_id": transaction_id,
            "sequence_number": accepted.sequence_number,
            "shard_id": accepted.shard_id,
        },
        status_code=201,
        headers={"Location": f"{TRANSACTIONS_PATH}/{transaction_id}"},
    )


def _proxy_event(
    request: Request, resource: str, path_parameters: dict[str, str] | None = None, body: str | None = None
) -> dict[str, Any]:
    return {
        "resource": resource,
        "path": request.url.path,
        "httpMethod": request.method,
        "headers": dict(request.headers),
        "queryStringParameters": dict(request.query_params) or None,
        "pathParameters": path_parameters,
        "requestContext": {"requestId": str(uuid.uuid4()), "stage": "local", "httpMethod": request.method},
        "body": body,
        "isBase64Encoded": False,
    }


async def _invoke(handler: QueryHandler | None, event: dict[str, Any], name: str) -> Response:
    """The proxy Lambda's answer as API Gateway gives it: 502 when it fails or answers in another shape."""
    if handler is None:
        return error(501, "not_implemented", f"No {name} handler is wired into this local API")
    try:
        result = await run_in_threadpool(handler, event, None)
    except Exception:  # API Gateway answers 502 when the Lambda fails
        return error(502, "upstream_error", f"The {name} function failed")
    if not isinstance(result, dict) or not isinstance(result.get("statusCode"), int):
        return error(502, "upstream_error", f"The {name} function returned a malformed response")
    headers = {k: str(v) for k, v in (result.get("headers") or {}).items()}
    if not any(k.lower() == "content-type" for k in headers):
        headers["content-type"] = "application/json"
    return Response(result.get("body") or "", status_code=result["statusCode"], headers=headers)


async def get_transaction(request: Request) -> Response:
    config: ApiConfig = request.app.state.config
    if not _authorized(request, config):
        return error(403, "forbidden", "Missing or invalid API key")
    transaction_id = request.path_params["transaction_id"]
    if not is_identifier(transaction_id):
        return error(400, "invalid_request", f"transaction_id must match ^{ID_PATTERN}$", "transaction_id")
    event = _proxy_event(request, f"{TRANSACTIONS_PATH}/{{transaction_id}}", {"transaction_id": transaction_id})
    return await _invoke(config.query_handler, event, "query")


async def list_reviews(request: Request) -> Response:
    config: ApiConfig = request.app.state.config
    if not _authorized(request, config):
        return error(403, "forbidden", "Missing or invalid API key")
    return await _invoke(config.cases_handler, _proxy_event(request, REVIEWS_PATH), "cases")


async def label_transaction(request: Request) -> Response:
    config: ApiConfig = request.app.state.config
    if not _authorized(request, config):
        return error(403, "forbidden", "Missing or invalid API key")
    transaction_id = request.path_params["transaction_id"]
    if not is_identifier(transaction_id):
        return error(400, "invalid_request", f"transaction_id must match ^{ID_PATTERN}$", "transaction_id")
    body = await _read_body(request)
    if body is None:
        return error(413, "payload_too_large", f"Request body over {MAX_BODY_BYTES} bytes")
    try:
        text = body.decode("utf-8")
        parsed = loads(text)
    except InvalidJsonError as invalid:
        return error(400, "invalid_json", str(invalid), invalid.field)
    except (ValueError, RecursionError):
        return error(400, "invalid_json", "The request body is not valid UTF-8 JSON")
    problem = check_label(parsed)
    if problem is not None:
        return error(400, "invalid_request", problem.message, problem.field)
    resource = f"{TRANSACTIONS_PATH}/{{transaction_id}}{LABEL_PATH_SUFFIX}"
    event = _proxy_event(request, resource, {"transaction_id": transaction_id}, text)
    return await _invoke(config.cases_handler, event, "cases")


async def health(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "client_error")
    return error(exc.status_code, code, str(exc.detail))


async def _server_error(request: Request, exc: Exception) -> Response:
    """Any failure still answers in the Error shape, as API Gateway's DEFAULT_5XX does, never as text/plain."""
    return error(500, "server_error", "The local API failed")


def create_app(config: ApiConfig) -> Starlette:
    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await config.writer.start()
        try:
            yield
        finally:
            await config.writer.stop()

    app = Starlette(
        routes=[
            Route(TRANSACTIONS_PATH, submit_transaction, methods=["POST"]),
            Route(f"{TRANSACTIONS_PATH}/{{transaction_id}}", get_transaction, methods=["GET"]),
            Route(f"{TRANSACTIONS_PATH}/{{transaction_id}}{LABEL_PATH_SUFFIX}", label_transaction, methods=["POST"]),
            Route(REVIEWS_PATH, list_reviews, methods=["GET"]),
            Route(HEALTH_PATH, health, methods=["GET"]),
        ],
        exception_handlers={HTTPException: _http_error, Exception: _server_error},
        lifespan=lifespan,
    )
    app.state.config = config
    return app
