"""Schemathesis against the local API served by uvicorn on 127.0.0.1, from contracts/openapi.yaml.

Bounded: a fixed number of examples per operation, no deadline. Checks: no 5xx, every documented status and
content type, responses match their schemas, and every 4xx carries the error shape. `positive_data_acceptance` is
left out on purpose: the API rejects schema-valid bodies that break the exact rules the schema cannot state
(a float amount with 3 decimals, 2026-13-01 as a timestamp).
"""

import json
import socket
import threading
import time

import boto3
import pytest
import schemathesis
import uvicorn
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from contracts.aws import API_KEY_HEADER
from securebank.local.api import ApiConfig, create_app
from securebank.local.moto_server import MotoServer
from securebank.local.resources import create_resources
from securebank.local.schema import OPENAPI_PATH
from securebank.local.stream_writer import StreamWriter

KEY = "fuzz-key"
schema = schemathesis.openapi.from_path(OPENAPI_PATH)


def fake_query(event, context):
    body = {"error": {"code": "not_found", "message": "no such transaction"}}
    return {"statusCode": 404, "headers": {"content-type": "application/json"}, "body": json.dumps(body)}


@pytest.fixture(scope="module")
def base_url():
    session = boto3.Session(region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing")
    with MotoServer() as moto:
        resources = create_resources(session, moto.endpoint_url, shard_count=1)
        kinesis = session.client("kinesis", endpoint_url=moto.endpoint_url)
        app = create_app(ApiConfig(KEY, StreamWriter(kinesis, resources.stream_name), fake_query))
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False))
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
        thread.start()
        for _ in range(200):
            if server.started:
                break
            time.sleep(0.02)
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
        server.should_exit = True
        thread.join(timeout=10)


def error_shape_on_4xx(ctx, response, case):
    if 400 <= response.status_code < 500:
        body = json.loads(response.content)
        assert set(body) == {"error"}, body
        assert isinstance(body["error"]["code"], str) and isinstance(body["error"]["message"], str), body
        assert set(body["error"]) <= {"code", "message", "field"}, body


@schema.parametrize()
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_local_api_never_fails_with_5xx_and_every_4xx_has_the_error_shape(case, base_url):
    response = case.call(base_url=base_url, headers={API_KEY_HEADER: KEY}, timeout=10)
    case.validate_response(
        response,
        checks=[
            not_a_server_error,
            status_code_conformance,
            content_type_conformance,
            response_schema_conformance,
            negative_data_rejection,
        ],
        additional_checks=[error_shape_on_4xx],
    )
    assert response.status_code < 500
    error_shape_on_4xx(None, response, case)
