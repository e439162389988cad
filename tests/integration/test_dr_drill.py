"""`securebank dr-drill`: the primary region is lost mid-traffic, the second region takes over on its replicas.

Bounded: a few hundred transactions, drains capped at 120 s. Everything runs on 127.0.0.1.
"""

from __future__ import annotations

import pytest

from securebank.dr.drill import DrillPlan, run_drill, stored_ids
from securebank.dr.region import SecondRegion
from securebank.dr.replicator import Replicator
from securebank.emulator.stack import LocalStack

pytestmark = pytest.mark.slow


def test_the_drill_accounts_for_every_acknowledged_transaction_and_the_second_region_loses_none() -> None:
    result = run_drill(DrillPlan(before=600, after=80, rate=200, interval=0.3))
    primary, second = result["primary"], result["second_region"]
    assert primary["acknowledged"] == 600
    parts = primary["replicated"] + primary["processed_not_replicated"] + primary["unprocessed_in_stream"]
    assert parts == primary["acknowledged"]
    assert primary["missing_in_second_region"] == primary["acknowledged"] - primary["replicated"]
    assert primary["replicated"] > 0  # 3 s of traffic with a pass every 0.3 s: most of it reached the second region
    assert 0 <= primary["lake_objects_replicated"] <= primary["lake_objects"]
    assert second == {"acknowledged": 80, "stored": 80, "missing": 0, "replicas_kept": True}
    assert result["replication_passes"] >= 1


def test_one_replication_pass_copies_every_item_and_lake_object_to_the_second_region() -> None:
    with LocalStack() as primary:
        assert primary.resources is not None
        second = SecondRegion(primary)
        replica = second.create()
        dynamodb = primary.client("dynamodb")
        for index in range(30):
            item = {"customer_id": {"S": f"c-{index % 3}"}, "transaction_id": {"S": f"t-{index}"}}
            dynamodb.put_item(TableName=primary.resources.transactions_table, Item=item)
        primary.client("s3").put_object(Bucket=primary.resources.bucket, Key="raw/x.json", Body=b"{}")
        assert stored_ids(second.client("dynamodb"), replica.transactions_table) == set()
        replicator = Replicator((primary.client, primary.resources), (second.client, replica))
        assert replicator.replicate_once()
        assert stored_ids(second.client("dynamodb"), replica.transactions_table) == {f"t-{i}" for i in range(30)}
        assert second.client("s3").get_object(Bucket=replica.bucket, Key="raw/x.json")["Body"].read() == b"{}"
        assert replica.region == "us-west-2" and replica.bucket != primary.resources.bucket
        assert replica.transactions_table == primary.resources.transactions_table  # a global table keeps its name
        second.cleanup()
