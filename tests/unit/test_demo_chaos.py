"""Call counting and fault injection on the processor's clients, with a fake handler on moto."""

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from securebank.demo.chaos import ChaosSettings, ProcessorInstrumentation
from securebank.measure.aws_calls import item_size


@pytest.fixture
def instrumented():
    made = []

    def make(chaos=None):
        instrumentation = ProcessorInstrumentation(chaos)
        instrumentation.install()
        made.append(instrumentation)
        return instrumentation

    with mock_aws():
        yield make
    for instrumentation in reversed(made):
        instrumentation.uninstall()


def _session():
    return boto3.Session(region_name="us-east-1", aws_access_key_id="t", aws_secret_access_key="t")


def _writer(event, context):
    """A fake processor: builds its clients inside the invocation, like the real composition root."""
    session = _session()
    dynamodb, s3 = session.client("dynamodb"), session.client("s3")
    dynamodb.transact_write_items(
        TransactItems=[{"Put": {"TableName": "t", "Item": {"k": {"S": r["id"]}}}} for r in event["Records"]]
    )
    s3.put_object(Bucket="chaos-bucket", Key="k", Body=b"x")
    return {"batchItemFailures": []}


def _setup():
    session = _session()
    session.client("s3").create_bucket(Bucket="chaos-bucket")
    session.client("dynamodb").create_table(
        TableName="t",
        BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
    )


EVENT = {"Records": [{"id": "a"}, {"id": "b"}, {"id": "c"}, {"id": "d"}]}


def test_counts_only_the_calls_of_clients_made_inside_the_handler(instrumented):
    _setup()
    instrumentation = instrumented()
    _session().client("s3").put_object(Bucket="chaos-bucket", Key="outside", Body=b"x")  # not the processor's
    instrumentation.wrap(_writer)(EVENT, None)
    snapshot = instrumentation.snapshot()
    assert snapshot["calls"] == {"dynamodb.TransactWriteItems": 1, "s3.PutObject": 1}
    assert snapshot["units"]["write_units"] == 2 * 4
    assert snapshot["handler_invocations"] == 1


def test_injects_dynamodb_throttling_and_s3_errors_as_aws_would_answer(instrumented):
    _setup()
    instrumentation = instrumented(ChaosSettings(dynamodb_throttle=1.0))
    with pytest.raises(ClientError) as throttled:
        instrumentation.wrap(_writer)(EVENT, None)
    assert throttled.value.response["Error"]["Code"] == "ThrottlingException"
    instrumentation.uninstall()
    instrumentation = instrumented(ChaosSettings(s3_error=1.0))
    with pytest.raises(ClientError) as slow_down:
        instrumentation.wrap(_writer)(EVENT, None)
    assert slow_down.value.response["ResponseMetadata"]["HTTPStatusCode"] == 503
    assert instrumentation.snapshot()["injected"] == {"s3_error": 1}


def test_crash_mid_batch_processes_the_first_half_then_raises(instrumented):
    seen = []
    instrumentation = instrumented(ChaosSettings(crash_mid_batch=1.0))
    with pytest.raises(RuntimeError, match="crashed"):
        instrumentation.wrap(lambda event, ctx: seen.append([r["id"] for r in event["Records"]]))(EVENT, None)
    assert seen == [["a", "b"]]


def test_duplicate_delivery_hands_the_same_batch_over_twice(instrumented):
    seen = []
    instrumentation = instrumented(ChaosSettings(duplicate_delivery=1.0))
    instrumentation.wrap(lambda event, ctx: seen.append(len(event["Records"])) or {})(EVENT, None)
    assert seen == [4, 4]
    assert instrumentation.snapshot()["injected"] == {"duplicate_delivery": 1}


def test_item_size_counts_names_and_values_like_dynamodb():
    """The one size model (the demo's copy left out the byte each map or list element takes: 7 here, not 8)."""
    assert item_size({"id": {"S": "abc"}}) == 5
    assert item_size({"n": {"N": "12345"}, "ok": {"BOOL": True}}) == 1 + 4 + 2 + 1
    assert item_size({"m": {"M": {"x": {"S": "yy"}}}}) == 1 + 3 + (1 + 1 + 2)
    assert item_size({"l": {"L": [{"N": "100"}, {"NULL": True}]}}) == 1 + 3 + (1 + 2) + (1 + 1)
