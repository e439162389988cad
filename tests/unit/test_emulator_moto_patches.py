import pytest
from moto.kinesis.models import Shard

from securebank.emulator import moto_patches


@pytest.fixture(autouse=True)
def _patched_only_here():
    yield
    moto_patches.revert()  # other tests in this process use moto as released


def test_revert_restores_moto_as_released():
    moto_patches.apply()
    moto_patches.revert()
    assert Shard.get_records is moto_patches.originals["get_records"]


def _shard(count):
    shard = Shard(0, 0, 2**128)
    for n in range(count):
        shard.put_record(f"k{n}", f"d{n}", None)
    return shard


def _view(result):
    records, last, behind = result
    return [r.sequence_number for r in records], last, behind >= 0


def test_patched_shard_reads_exactly_what_moto_reads():
    moto_patches.apply()
    original_get = moto_patches.originals["get_records"]
    original_max = moto_patches.originals["get_max_sequence_number"]
    shard = _shard(30)
    expected = {
        (after, limit): _view(original_get(shard, str(after), limit))
        for after in (0, 1, 7, 29, 30, 45)
        for limit in (None, 1, 10, 1000)
    }
    expected_max = original_max(shard)
    for (after, limit), view in expected.items():
        assert _view(shard.get_records(str(after), limit)) == view
    assert shard.get_max_sequence_number() == expected_max == 30
    assert shard.put_record("k", "d", None) == "31"


def test_patched_shard_falls_back_when_sequence_numbers_have_gaps():
    moto_patches.apply()
    shard = _shard(10)
    del shard.records[5]
    records, last, _ = shard.get_records("3", 100)
    assert [r.sequence_number for r in records] == [4, 6, 7, 8, 9, 10]
    assert last == 10


def _dynamodb():
    import boto3
    from moto import mock_aws

    moto_patches.apply()
    mock = mock_aws()
    mock.start()
    client = boto3.client("dynamodb", region_name="us-east-1", aws_access_key_id="t", aws_secret_access_key="t")
    client.create_table(
        TableName="t",
        BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
    )
    return mock, client


def _put(key, value, condition=None):
    put = {"TableName": "t", "Item": {"k": {"S": key}, "v": {"N": str(value)}}}
    if condition:
        put["ConditionExpression"] = condition
    return {"Put": put}


def _items(client):
    return {i["k"]["S"]: i["v"]["N"] for i in client.scan(TableName="t")["Items"]}


def test_patched_transaction_applies_every_action_when_all_conditions_hold():
    mock, client = _dynamodb()
    try:
        client.transact_write_items(TransactItems=[_put("a", 1), _put("b", 2, "attribute_not_exists(k)")])
        update = {
            "Update": {
                "TableName": "t",
                "Key": {"k": {"S": "a"}},
                "UpdateExpression": "SET v = :v",
                "ExpressionAttributeValues": {":v": {"N": "5"}},
            }
        }
        client.transact_write_items(TransactItems=[update])
        assert _items(client) == {"a": "5", "b": "2"}
    finally:
        mock.stop()


def test_patched_transaction_rolls_back_writes_made_before_a_failed_condition():
    from botocore.exceptions import ClientError

    mock, client = _dynamodb()
    try:
        client.transact_write_items(TransactItems=[_put("a", 1)])
        with pytest.raises(ClientError) as failure:
            client.transact_write_items(
                TransactItems=[_put("a", 2), _put("new", 3), _put("b", 4, "attribute_exists(k)")]
            )
        assert failure.value.response["Error"]["Code"] == "TransactionCanceledException"
        reasons = [r["Code"] for r in failure.value.response["CancellationReasons"]]
        assert reasons == ["None", "None", "ConditionalCheckFailed"]
        assert _items(client) == {"a": "1"}
        with pytest.raises(ClientError) as twice:
            client.transact_write_items(TransactItems=[_put("c", 1), _put("c", 2)])
        assert "multiple operations" in str(twice.value).lower() or twice.value.response["Error"]["Code"]
        assert _items(client) == {"a": "1"}
    finally:
        mock.stop()
