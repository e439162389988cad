"""The RestApi body: contracts/openapi.yaml with its `${...}` placeholders filled, plus the deployment overlays.

Overlays (added here, not in the contract, because the local API cannot honour them): SigV4 (IAM) auth on POST on
top of the API key, a cache key on GET by id, and CORS (OPTIONS preflight by MOCK, the allowed origin on responses).
GET by id is IAM-authorised in the contract itself (its `sigv4` scheme); the local API stands the API key in for it.
"""

from __future__ import annotations

import copy
import hashlib
import json
import string
from typing import Any

import yaml

from contracts.aws import OPENAPI_PATH, TRANSACTIONS_PATH

ITEM_PATH = f"{TRANSACTIONS_PATH}/{{transaction_id}}"
SIGV4 = "sigv4"
CACHE_KEY_PARAMETERS = ("method.request.path.transaction_id", "method.request.querystring.customer_id")
CORS_METHODS = {TRANSACTIONS_PATH: "OPTIONS,POST", ITEM_PATH: "OPTIONS,GET"}
CORS_HEADERS = "Content-Type,Authorization,X-Amz-Date,X-Amz-Security-Token,x-api-key"


def render_body(substitutions: dict[str, str], cors_origin: str, text: str | None = None) -> str:
    """The JSON body for aws.apigateway.RestApi. `safe_substitute` leaves VTL's `$input`, `$util`, `$context` alone."""
    text = OPENAPI_PATH.read_text() if text is None else text
    document = yaml.safe_load(string.Template(text).safe_substitute(substitutions))
    missing = [
        f"${{{key}}}"
        for key in ("region", "stream_name", "api_role_arn", "query_lambda_invoke_arn", "cases_lambda_invoke_arn")
        if f"${{{key}}}" in text and key not in substitutions
    ]
    if missing:
        raise ValueError(f"unsubstituted placeholders in the API contract: {missing}")
    return json.dumps(overlay(document, cors_origin), sort_keys=True, separators=(",", ":"))


def body_hash(body: str) -> str:
    return hashlib.sha256(body.encode()).hexdigest()


def overlay(document: dict[str, Any], cors_origin: str) -> dict[str, Any]:
    document = copy.deepcopy(document)
    origin = f"'{cors_origin}'"
    scheme = document.get("components", {}).get("securitySchemes", {}).get(SIGV4, {})
    if scheme.get("x-amazon-apigateway-authtype") != "awsSigv4":
        raise ValueError(f"the API contract must define the {SIGV4!r} security scheme (awsSigv4)")
    paths = document["paths"]
    post = paths[TRANSACTIONS_PATH]["post"]
    post["security"] = [{"api_key": [], SIGV4: []}]
    get = paths[ITEM_PATH]["get"]
    # The cache is keyed by every parameter that selects the answer, and by nothing about the caller: IAM authorises
    # each request before the cache is looked up, and every principal allowed to invoke GET may read every
    # transaction (docs/infrastructure.md, "Who can read"). Nor could it be: cache keys are request parameters, and
    # none names a SigV4 caller (the Authorization header carries a new signature on every request).
    get["x-amazon-apigateway-integration"]["cacheKeyParameters"] = list(CACHE_KEY_PARAMETERS)

    # CORS: the Kinesis integration's responses carry the origin; the proxy Lambda sets it itself.
    for response in post["x-amazon-apigateway-integration"]["responses"].values():
        response.setdefault("responseParameters", {})["method.response.header.Access-Control-Allow-Origin"] = origin
    # Every POST method response declares the header (import rejects an integration response setting an undeclared
    # one); shared `$ref` responses are inlined so that GET's copies stay as the contract has them.
    for status, response in post["responses"].items():
        resolved = copy.deepcopy(_resolve(document, response))
        resolved.setdefault("headers", {})["Access-Control-Allow-Origin"] = {"schema": {"type": "string"}}
        post["responses"][status] = resolved
    for gateway_response in document.get("x-amazon-apigateway-gateway-responses", {}).values():
        gateway_response.setdefault("responseParameters", {})["gatewayresponse.header.Access-Control-Allow-Origin"] = (
            origin
        )
    for path, methods in CORS_METHODS.items():
        paths[path]["options"] = _preflight(methods, origin, with_id=path == ITEM_PATH)
    return document


def _resolve(document: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        target: Any = document
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def _preflight(methods: str, origin: str, *, with_id: bool) -> dict[str, Any]:
    headers = {
        "Access-Control-Allow-Origin": origin,
        "Access-Control-Allow-Methods": f"'{methods}'",
        "Access-Control-Allow-Headers": f"'{CORS_HEADERS}'",
    }
    operation: dict[str, Any] = {
        "summary": "CORS preflight",
        "security": [],
        "x-amazon-apigateway-request-validator": "none",
        "responses": {
            "200": {
                "description": "CORS preflight",
                "headers": {name: {"schema": {"type": "string"}} for name in headers},
            }
        },
        "x-amazon-apigateway-integration": {
            "type": "mock",
            "passthroughBehavior": "when_no_match",
            "requestTemplates": {"application/json": '{"statusCode": 200}'},
            "responses": {
                "default": {
                    "statusCode": "200",
                    "responseParameters": {f"method.response.header.{name}": value for name, value in headers.items()},
                }
            },
        },
    }
    if with_id:
        operation["parameters"] = [
            {"name": "transaction_id", "in": "path", "required": True, "schema": {"type": "string"}}
        ]
    return operation
