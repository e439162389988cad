"""The local API behaves like the deployed API Gateway: key, schema, stream, error shape."""

import base64
import json
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta, timezone

import boto3
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from contracts.aws import API_KEY_HEADER, KINESIS_MAX_RECORD_BYTES, MAX_BODY_BYTES
from securebank.emulator.api import STANDS_IN_FOR, ApiConfig, create_app
from securebank.emulator.moto_server import MotoServer
from securebank.emulator.resources import create_resources
from securebank.emulator.schema import openapi_document
from securebank.emulator.stream_writer import StreamWriter

KEY = "test-key"
GOOD = {
    "transaction_id": "tx_1",
    "customer_id": "cust_1",
    "amount": "12.34",
    "currency": "EUR",
    "merchant_id": "m_1",
    "merchant_category": "grocery",
    # an hour ago in Paris: within the receipt bounds whenever the suite runs
    "timestamp": (datetime.now(UTC) - timedelta(hours=1)).astimezone(timezone(timedelta(hours=1))).isoformat(),
    "location": {"latitude": 48.85, "longitude": 2.35},
}


@pytest.fixture(scope="module")
def stack():
    session = boto3.Session(region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing")
    with MotoServer() as moto:
        resources = create_resources(session, moto.endpoint_url, shard_count=1)
        kinesis = session.client("kinesis", endpoint_url=moto.endpoint_url)
        yield kinesis, resources


def fake_query(event, context):
    if event["pathParameters"]["transaction_id"] == "known":
        return {"statusCode": 200, "body": json.dumps({"transaction_id": "known", "customer_id": "c"})}
    return {"statusCode": 404, "body": json.dumps({"error": {"code": "not_found", "message": "no such transaction"}})}


@pytest.fixture(scope="module")
def client(stack):
    kinesis, resources = stack
    app = create_app(ApiConfig(KEY, StreamWriter(kinesis, resources.stream_name), fake_query))
    with TestClient(app, headers={API_KEY_HEADER: KEY}) as test_client:
        yield test_client


def stream_payloads(stack):
    kinesis, resources = stack
    iterator = kinesis.get_shard_iterator(
        StreamName=resources.stream_name, ShardId="shardId-000000000000", ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    return [r["Data"] for r in kinesis.get_records(ShardIterator=iterator, Limit=10000)["Records"]]


def assert_error(response, status, field=None):
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"}
    assert isinstance(body["error"]["code"], str) and isinstance(body["error"]["message"], str)
    assert body["error"].get("field") == field
    return body["error"]


def test_accepted_transaction_is_on_the_stream_as_the_raw_body_keyed_by_customer(client, stack):
    body = json.dumps(GOOD | {"transaction_id": "tx_stream"}).encode()
    response = client.post("/v1/transactions", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 201
    assert response.headers["location"] == "/v1/transactions/tx_stream"
    assert response.json()["status"] == "accepted"
    assert body in stream_payloads(stack)


def test_concurrent_requests_are_batched_and_every_201_is_on_the_stream(client, stack):
    ids = [f"tx_c{n}" for n in range(60)]
    with ThreadPoolExecutor(12) as pool:
        responses = list(pool.map(lambda i: client.post("/v1/transactions", json=GOOD | {"transaction_id": i}), ids))
    assert [r.status_code for r in responses] == [201] * 60
    on_stream = {json.loads(p)["transaction_id"] for p in stream_payloads(stack)}
    assert set(ids) <= on_stream


def test_the_local_key_stands_in_for_every_scheme_the_contract_asks_for():
    """Deployed, GET by id takes only a SigV4 signature (IAM); locally the API key stands in for it, as for POST's."""
    document = openapi_document()
    asked = {
        scheme
        for operations in document["paths"].values()
        for operation in operations.values()
        for alternative in operation.get("security", document["security"])
        for scheme in alternative
    }
    assert asked == set(document["components"]["securitySchemes"]) == STANDS_IN_FOR
    assert document["paths"]["/v1/transactions/{transaction_id}"]["get"]["security"] == [{"sigv4": []}]


def test_missing_or_wrong_key_is_403_and_nothing_is_put(client, stack):
    before = len(stream_payloads(stack))
    assert_error(client.post("/v1/transactions", json=GOOD, headers={API_KEY_HEADER: "wrong"}), 403)
    kinesis, resources = stack
    app = create_app(ApiConfig(KEY, StreamWriter(kinesis, resources.stream_name), fake_query))
    with TestClient(app) as anonymous:
        assert_error(anonymous.post("/v1/transactions", json=GOOD), 403)
        assert_error(anonymous.get("/v1/transactions/known"), 403)
        assert anonymous.get("/v1/health").json() == {"status": "ok"}
    assert len(stream_payloads(stack)) == before


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"amount": "-1.00"}, "amount"),
        ({"amount": "0"}, "amount"),
        ({"amount": "0.00"}, "amount"),
        ({"amount": 0}, "amount"),
        ({"amount": -3.5}, "amount"),
        ({"amount": "1.234"}, "amount"),
        ({"amount": 1.234}, "amount"),
        ({"amount": True}, "amount"),
        ({"amount": [1]}, "amount"),
        ({"currency": "euro"}, "currency"),
        ({"currency": "eur"}, "currency"),
        ({"timestamp": "2026-01-01T10:00:00"}, "timestamp"),
        ({"timestamp": "2026-02-30T10:00:00Z"}, "timestamp"),
        ({"location": {"latitude": 91, "longitude": 0}}, "location.latitude"),
        ({"location": {"latitude": 0, "longitude": 180.5}}, "location.longitude"),
        ({"location": {"latitude": 0, "longitude": 0, "altitude": 3}}, "location.altitude"),
        ({"location": "Paris"}, "location"),
        ({"unexpected": "x"}, "unexpected"),
        ({"customer_id": 42}, "customer_id"),
        ({"transaction_id": "has space"}, "transaction_id"),
        ({"merchant_category": "Grocery"}, "merchant_category"),
    ],
)
def test_invalid_fields_are_400_naming_the_field(client, change, field):
    assert_error(client.post("/v1/transactions", json=GOOD | {"transaction_id": "tx_v"} | change), 400, field)


@pytest.mark.parametrize("amount", [12, 12.5, "12", "12.5", "0.01", 9999999999999.99])
def test_integer_one_decimal_and_string_amounts_are_accepted(client, amount):
    assert client.post("/v1/transactions", json=GOOD | {"amount": amount}).status_code == 201


def test_a_missing_field_is_named(client):
    body = {k: v for k, v in GOOD.items() if k != "merchant_id"}
    assert_error(client.post("/v1/transactions", json=body), 400, "merchant_id")


@pytest.mark.parametrize("content", [b"", b"   ", b"{not json", b'{"amount": NaN}', b"[]", b"null", b'"text"', b"[[[["])
def test_malformed_empty_or_non_object_bodies_are_400(client, content):
    response = client.post("/v1/transactions", content=content, headers={"content-type": "application/json"})
    assert_error(response, 400)


def test_a_body_over_the_limit_is_413(client):
    padding = "x" * (MAX_BODY_BYTES + 10)
    response = client.post("/v1/transactions", content=json.dumps(GOOD | {"pad": padding}).encode())
    assert_error(response, 413)


def test_a_non_json_content_type_is_415(client):
    assert_error(client.post("/v1/transactions", content=b"a=b", headers={"content-type": "text/plain"}), 415)


def test_get_calls_the_query_function_and_validates_the_id(client):
    assert client.get("/v1/transactions/known").json()["transaction_id"] == "known"
    assert_error(client.get("/v1/transactions/unknown"), 404)
    assert_error(client.get("/v1/transactions/bad%20id"), 400, "transaction_id")
    assert_error(client.get("/v1/nowhere"), 404)


class FailingKinesis:
    def __init__(self, response):
        self.response = response

    def put_records(self, **kwargs):
        from botocore.exceptions import ClientError

        if isinstance(self.response, ClientError):
            raise self.response
        return self.response


class RecordingKinesis:
    """Accepts every record, counting PutRecords calls."""

    def __init__(self):
        self.calls = 0

    def put_records(self, StreamName, Records):  # noqa: N803 - boto3's parameter names
        self.calls += 1
        return {"FailedRecordCount": 0, "Records": [{"SequenceNumber": "1", "ShardId": "s"} for _ in Records]}


def test_concurrent_requests_share_put_records_calls():
    kinesis = RecordingKinesis()
    app = create_app(ApiConfig(KEY, StreamWriter(kinesis, "s", linger_seconds=0.05)))
    with TestClient(app, headers={API_KEY_HEADER: KEY}) as batched, ThreadPoolExecutor(12) as pool:
        ids = [f"tx_batch{n}" for n in range(48)]
        responses = list(pool.map(lambda i: batched.post("/v1/transactions", json=GOOD | {"transaction_id": i}), ids))
    assert [r.status_code for r in responses] == [201] * 48
    assert kinesis.calls < 48


def test_an_unexpected_stream_answer_fails_that_request_and_the_next_is_still_answered():
    app = create_app(ApiConfig(KEY, StreamWriter(FailingKinesis({"FailedRecordCount": 0}), "s")))  # no "Records"
    with TestClient(app, headers={API_KEY_HEADER: KEY}) as failing:
        assert_error(failing.post("/v1/transactions", json=GOOD), 502)
        assert_error(failing.post("/v1/transactions", json=GOOD | {"transaction_id": "tx_next"}), 502)


def _client_error(code, status):
    from botocore.exceptions import ClientError

    return ClientError({"Error": {"Code": code, "Message": "m"}, "ResponseMetadata": {"HTTPStatusCode": status}}, "op")


@pytest.mark.parametrize(
    ("kinesis_outcome", "status"),
    [
        (_client_error("ProvisionedThroughputExceededException", 400), 429),
        (_client_error("ResourceNotFoundException", 400), 502),
        (_client_error("InternalFailure", 500), 502),
        ({"FailedRecordCount": 1, "Records": [{"ErrorCode": "ProvisionedThroughputExceededException"}]}, 429),
        ({"FailedRecordCount": 1, "Records": [{"ErrorCode": "InternalFailure", "ErrorMessage": "x"}]}, 502),
    ],
)
def test_kinesis_failures_map_to_429_or_502_and_never_201(kinesis_outcome, status):
    app = create_app(ApiConfig(KEY, StreamWriter(FailingKinesis(kinesis_outcome), "s")))
    with TestClient(app, headers={API_KEY_HEADER: KEY}) as failing:
        assert_error(failing.post("/v1/transactions", json=GOOD), status)


def test_an_accepted_record_decodes_as_the_processor_decodes_it(client, stack):
    from handlers.processor import _decode

    assert client.post("/v1/transactions", json=GOOD | {"transaction_id": "tx_b64"}).status_code == 201
    payload = next(p for p in stream_payloads(stack) if b"tx_b64" in p)
    assert _decode(base64.b64encode(payload).decode()).transaction_id == "tx_b64"


@pytest.mark.parametrize(
    "encoded",
    [
        lambda text: "\ufeff".encode() + text.encode(),  # a UTF-8 byte order mark
        lambda text: text.encode("utf-16"),
        lambda text: text.encode("utf-32-le"),
    ],
)
def test_a_body_that_is_not_plain_utf8_is_400_not_accepted_then_quarantined(client, encoded):
    body = encoded(json.dumps(GOOD | {"transaction_id": "tx_encoding"}))
    response = client.post("/v1/transactions", content=body, headers={"content-type": "application/json"})
    assert_error(response, 400)


def post_raw(client, content):
    return client.post("/v1/transactions", content=content, headers={"content-type": "application/json"})


def padded(body, size):
    """A valid transaction as JSON text of exactly `size` bytes: whitespace before its closing brace."""
    text = json.dumps(body).encode()
    return text[:-1] + b" " * (size - len(text)) + b"}"


def test_a_9_kb_body_is_413_as_the_deployed_waf_answers_and_nothing_is_put(client, stack):
    before = stream_payloads(stack)
    body = padded(GOOD | {"transaction_id": "tx_9kb"}, 9 * 1024)
    error = assert_error(post_raw(client, body), 413)
    assert error["code"] == "payload_too_large" and str(MAX_BODY_BYTES) in error["message"]
    streamed = client.post("/v1/transactions", content=iter([body[:4096], body[4096:]]))  # chunked: no length
    assert_error(streamed, 413)
    assert stream_payloads(stack) == before


def test_a_body_at_the_limit_is_accepted_and_put_on_the_stream_byte_for_byte(client, stack):
    body = padded(GOOD | {"transaction_id": "tx_limit"}, MAX_BODY_BYTES)
    assert len(body) == MAX_BODY_BYTES == 8192
    assert post_raw(client, body).status_code == 201
    assert body in stream_payloads(stack)  # as the mapping template forwards $input.body: not re-encoded
    assert post_raw(client, padded(GOOD | {"transaction_id": "tx_under"}, MAX_BODY_BYTES - 1)).status_code == 201
    assert_error(post_raw(client, padded(GOOD | {"transaction_id": "tx_over"}, MAX_BODY_BYTES + 1)), 413)


def test_a_body_at_the_limit_with_the_longest_partition_key_fits_one_kinesis_record():
    longest_customer_id = 64  # Identifier: ^[A-Za-z0-9_-]{1,64}$, ASCII
    assert MAX_BODY_BYTES + longest_customer_id <= KINESIS_MAX_RECORD_BYTES


def with_members(body, *members, nested=False):
    """`body` as JSON text with raw members (`"key": value`) added at the end of it, or of its location."""
    text = json.dumps(body)
    cut = text.rindex("}}") + 1 if nested else len(text)
    return (text[: cut - 1] + "".join(", " + m for m in members) + text[cut - 1 :]).encode()


@pytest.mark.parametrize(
    ("content", "field"),
    [
        (with_members(GOOD, '"customer_id": "cust_2"'), "customer_id"),  # the template could key it by cust_2
        (with_members(GOOD, '"latitude": 1.5', nested=True), "location.latitude"),
        (with_members(GOOD, '"\\ud800": 1'), "\\ud800"),
        (with_members(GOOD, '"\\udfff": 1', nested=True), "location.\\udfff"),
        (json.dumps(GOOD | {"merchant_id": "m\ud800"}).encode(), "merchant_id"),
        (json.dumps(GOOD | {"timestamp": "2026-01-01T10:00:00Z\udc00"}).encode(), "timestamp"),
    ],
    ids=["duplicate", "nested-duplicate", "surrogate-key", "nested-surrogate-key", "surrogate-value", "surrogate-end"],
)
def test_a_duplicate_key_or_a_lone_surrogate_is_a_400_naming_it_and_nothing_is_put(client, stack, content, field):
    before = stream_payloads(stack)
    response = post_raw(client, content)
    error = assert_error(response, 400, field)
    assert response.headers["content-type"] == "application/json"
    assert error["code"] == "invalid_json" and field in error["message"]
    assert stream_payloads(stack) == before


members = st.sampled_from([*GOOD, "latitude", "longitude"])
lone_surrogates = st.integers(0xD800, 0xDFFF).map(lambda code: f"\\u{code:04x}")


@st.composite
def ambiguous_bodies(draw):
    """A valid body made ambiguous: a key given twice (top level or in location) or a lone surrogate escape in a
    key or a string value; with the field the API must name."""
    body = GOOD | {"transaction_id": draw(st.from_regex(r"tx_[a-z0-9]{1,8}", fullmatch=True))}
    nested = draw(st.booleans())
    keys = ["latitude", "longitude"] if nested else list(GOOD)
    where = "location." if nested else ""
    surrogate = draw(lone_surrogates)
    kind = draw(st.sampled_from(["duplicate", "surrogate key", "surrogate value"]))
    if kind == "duplicate":
        key = draw(st.sampled_from(keys))
        value = json.dumps(draw(st.integers() | st.text(max_size=5) | st.just(body.get(key))))
        return with_members(body, f'"{key}": {value}', nested=nested), where + key
    if kind == "surrogate key":
        key = draw(st.sampled_from(["", "x", *keys]))
        return with_members(body, f'"{key}{surrogate}": 1', nested=nested), f"{where}{key}{surrogate}"
    key = draw(st.sampled_from([k for k, v in GOOD.items() if isinstance(v, str)]))
    text = json.dumps(body).replace(f'"{key}": "{body[key]}"', f'"{key}": "{body[key]}{surrogate}"')
    return text.encode(), key


@settings(max_examples=60, deadline=None)
@given(ambiguous_bodies())
def test_any_duplicate_key_or_lone_surrogate_is_a_400_naming_the_field(client, case):
    content, field = case
    error = assert_error(post_raw(client, content), 400, field)
    assert error["code"] == "invalid_json"


@pytest.mark.parametrize(
    ("timestamp", "message"),
    [
        ("9999-12-31T23:59:59-12:00", "'9999-12-31T23:59:59-12:00' does not match"),  # the schema's pattern
        ("2024-03-01T12:00:00+14:30", "'2024-03-01T12:00:00+14:30' does not match"),
        ("2024-03-03T12:00:01Z", "timestamp: must be at most 1 day after it was received"),
        ("2024-01-31T11:59:59Z", "timestamp: must be at most 30 days before it was received"),
    ],
)
def test_a_timestamp_the_processor_would_refuse_is_400_naming_it_and_never_put(stack, timestamp, message):
    """The API refuses what the processor would quarantine: the same domain parse and receipt bounds."""
    kinesis, resources = stack
    received = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)
    config = ApiConfig(KEY, StreamWriter(kinesis, resources.stream_name), fake_query, clock=lambda: received)
    before = len(stream_payloads(stack))
    with TestClient(create_app(config), headers={API_KEY_HEADER: KEY}) as client:
        error = assert_error(client.post("/v1/transactions", json=GOOD | {"timestamp": timestamp}), 400, "timestamp")
        assert error["message"].startswith(message)
        accepted = client.post("/v1/transactions", json=GOOD | {"timestamp": "2024-03-02T11:59:59Z"})
        assert accepted.status_code == 201
    assert len(stream_payloads(stack)) == before + 1
