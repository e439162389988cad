"""The local moto server serializes each service, so concurrent clients lose nothing (moto alone is not thread-safe)."""

import json
import sys
import threading
from concurrent.futures import ThreadPoolExecutor

import boto3
import pytest
from botocore.config import Config

from contracts import aws
from securebank.emulator.moto_server import MotoServer, ServiceLockMiddleware
from securebank.emulator.resources import create_resources


@pytest.fixture(scope="module")
def moto():
    with MotoServer() as server:
        yield server


@pytest.fixture
def contended_moto():
    """The locked moto app in this process, with a tiny GIL switch interval so that races show if they exist.

    Without the lock (moto's ThreadedMotoServer) this setting drops acknowledged Kinesis records on this machine.
    """
    from moto.server import DomainDispatcherApplication, create_backend_app
    from werkzeug.serving import WSGIRequestHandler, make_server

    class Quiet(WSGIRequestHandler):
        def log_request(self, *args, **kwargs):
            pass

    app = ServiceLockMiddleware(DomainDispatcherApplication(create_backend_app))
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    previous = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        yield type("Endpoint", (), {"endpoint_url": f"http://127.0.0.1:{server.port}"})
    finally:
        sys.setswitchinterval(previous)
        server.shutdown()
        thread.join()


@pytest.fixture
def session():
    return boto3.Session(region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing")


def _client(session, moto, service):
    return session.client(service, endpoint_url=moto.endpoint_url, config=Config(max_pool_connections=16))


def _read_all(kinesis, stream_name):
    data = []
    for shard in kinesis.list_shards(StreamName=stream_name)["Shards"]:
        iterator = kinesis.get_shard_iterator(
            StreamName=stream_name, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        while True:
            page = kinesis.get_records(ShardIterator=iterator, Limit=1000)
            data += [record["Data"] for record in page["Records"]]
            iterator = page["NextShardIterator"]
            if not page["Records"]:
                break
    return data


def test_creates_every_resource_named_in_contracts(moto, session):
    resources = create_resources(session, moto.endpoint_url, suffix="-names")
    table = _client(session, moto, "dynamodb").describe_table(TableName=resources.transactions_table)["Table"]
    assert [i["IndexName"] for i in table["GlobalSecondaryIndexes"]] == [
        index.name for index in aws.TRANSACTIONS_TABLE.global_indexes
    ]  # TransactionIdIndex and the sparse ReviewIndex
    assert [i["IndexName"] for i in table["LocalSecondaryIndexes"]] == [aws.AMOUNT_INDEX.name]
    assert resources.stream_name == aws.STREAM_NAME + "-names"
    assert resources.processor_environment()[aws.ENV_QUARANTINE_QUEUE_URL] == resources.quarantine_queue_url
    _client(session, moto, "s3").head_bucket(Bucket=resources.bucket)
    assert resources.event_bus_name == aws.FRAUD_EVENT_BUS + "-names"
    assert "EVENT_BUS_NAME" not in resources.processor_environment()  # the outbox pipe sends the flags
    assert table["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"}
    assert resources.transactions_stream_arn == table["LatestStreamArn"]
    rules = _client(session, moto, "events").list_rules(EventBusName=resources.event_bus_name)["Rules"]
    assert [json.loads(rule["EventPattern"])["detail-type"] for rule in rules] == [[aws.FLAGGED_DETAIL_TYPE]]
    assert resources.cases_queue_url is not None and resources.cases_queue_url.endswith(aws.CASES_QUEUE + "-names")


def test_concurrent_put_records_are_all_on_the_stream(contended_moto, session):
    moto = contended_moto
    resources = create_resources(session, moto.endpoint_url, suffix="-puts", shard_count=1)
    kinesis = _client(session, moto, "kinesis")

    def put(worker):
        for n in range(40):
            kinesis.put_record(StreamName=resources.stream_name, Data=f"{worker}-{n}".encode(), PartitionKey="k")

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(put, range(8)))
    data = _read_all(kinesis, resources.stream_name)
    assert sorted(data) == sorted(f"{w}-{n}".encode() for w in range(8) for n in range(40))


def test_concurrent_dynamodb_transactions_lose_no_update(contended_moto, session):
    moto = contended_moto
    resources = create_resources(session, moto.endpoint_url, suffix="-tx")
    dynamodb = _client(session, moto, "dynamodb")
    key = {"customer_id": {"S": "c1"}}

    def add(_):
        for _ in range(25):
            dynamodb.transact_write_items(
                TransactItems=[
                    {
                        "Update": {
                            "TableName": resources.customers_table,
                            "Key": key,
                            "UpdateExpression": "ADD total_transactions :one",
                            "ExpressionAttributeValues": {":one": {"N": "1"}},
                        }
                    }
                ]
            )

    with ThreadPoolExecutor(6) as pool:
        list(pool.map(add, range(6)))
    item = dynamodb.get_item(TableName=resources.customers_table, Key=key, ConsistentRead=True)["Item"]
    assert item["total_transactions"] == {"N": "150"}
