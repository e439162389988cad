"""Storage: the contract's tables (keys, indexes, PITR, CMK, protection), the stream, the secured, tiered lake."""

from __future__ import annotations

import pytest

from components.buckets import LAKE_RETENTION, NONCURRENT_EXPIRY_DAYS
from contracts.aws import (
    ACCESS_LOGS_PREFIX,
    AMOUNT_INDEX,
    CUSTOMERS_TABLE,
    LAKE_BUCKET,
    MERCHANT_RISK_PREFIX,
    POLICY_PREFIX,
    RAW_TRANSACTIONS_PREFIX,
    REVIEW_INDEX,
    STREAM_NAME,
    STREAM_RETENTION_HOURS,
    TRANSACTION_ID_INDEX,
    TRANSACTIONS_TABLE,
    TTL_ATTRIBUTE,
)
from tests.infra.conftest import stack_config
from tests.infra.graph import Graph

TABLE = "aws:dynamodb/table:Table"


@pytest.mark.parametrize("spec", [TRANSACTIONS_TABLE, CUSTOMERS_TABLE], ids=lambda s: s.name)
def test_tables_follow_their_contract_spec(graph: Graph, spec) -> None:
    [table] = [t for t in graph.of_type(TABLE) if t.inputs["name"] == f"{spec.name}-{graph.stack}"]
    assert table.inputs["hashKey"] == spec.partition_key.name
    assert table.inputs.get("rangeKey") == (spec.sort_key.name if spec.sort_key else None)
    assert {(a["name"], a["type"]) for a in table.inputs["attributes"]} == {(k.name, k.type) for k in spec.attributes}
    gsis = {i["name"]: i for i in table.inputs.get("globalSecondaryIndexes") or []}
    assert set(gsis) == {i.name for i in spec.global_indexes}
    for index in spec.global_indexes:
        assert gsis[index.name]["hashKey"] == index.partition_key.name
        assert gsis[index.name].get("rangeKey") == (index.sort_key.name if index.sort_key else None)
        assert gsis[index.name]["projectionType"] == index.projection
    lsis = {i["name"]: i["rangeKey"] for i in table.inputs.get("localSecondaryIndexes") or []}
    assert lsis == {i.name: i.sort_key.name for i in spec.local_indexes}


def test_the_transactions_table_has_no_index_without_a_reader(graph: Graph) -> None:
    """Every index that projects ALL costs each transaction write 1 WRU. TransactionIdIndex serves GET by id; the
    MerchantIndex GSI, read by nothing, is gone (merchant lookups are the lake's named Athena query); AmountIndex is
    an LSI, which only replacing the table could remove (docs/architecture.md, Cost per transaction). ReviewIndex
    is sparse: only an open case carries its key, so only flagged writes pay for it."""
    [table] = [t for t in graph.of_type(TABLE) if t.inputs["name"] == f"{TRANSACTIONS_TABLE.name}-{graph.stack}"]
    gsis = [i["name"] for i in table.inputs.get("globalSecondaryIndexes") or []]
    lsis = [i["name"] for i in table.inputs.get("localSecondaryIndexes") or []]
    assert (gsis, lsis) == ([TRANSACTION_ID_INDEX.name, REVIEW_INDEX.name], [AMOUNT_INDEX.name])
    assert "merchant_id" not in {a["name"] for a in table.inputs["attributes"]}


def test_stream_is_kms_encrypted_with_24h_retention(graph: Graph) -> None:
    stream = graph.one("aws:kinesis/stream:Stream").inputs
    assert stream["name"] == f"{STREAM_NAME}-{graph.stack}"
    assert stream["retentionPeriod"] == STREAM_RETENTION_HOURS == 24
    assert stream["encryptionType"] == "KMS"
    assert stream["kmsKeyId"].startswith("arn:aws:kms:us-east-1:")


def test_dev_stream_has_two_provisioned_shards_and_prod_is_on_demand(dev: Graph, prod: Graph) -> None:
    dev_stream = dev.one("aws:kinesis/stream:Stream").inputs
    assert dev_stream["streamModeDetails"] == {"streamMode": "PROVISIONED"} and dev_stream["shardCount"] == 2
    prod_stream = prod.one("aws:kinesis/stream:Stream").inputs
    assert prod_stream["streamModeDetails"] == {"streamMode": "ON_DEMAND"} and "shardCount" not in prod_stream


def test_the_stream_moves_from_ingestion_instead_of_being_replaced(graph: Graph, resource_options) -> None:
    """Its URN before the components became a DAG: an alias makes `pulumi up` move it in the state (no replacement,
    no lost records, no new event source mapping position)."""
    stream = graph.one("aws:kinesis/stream:Stream")
    assert (stream.name, stream.parent) == ("storage-stream", "storage")
    options = resource_options[graph.stack]["aws:kinesis/stream:Stream::storage-stream"]
    assert options["aliases"] == [
        f"urn:pulumi:{graph.stack}::securebank::securebank:pipeline:Ingestion$aws:kinesis/stream:Stream::ingestion-stream"
    ]


def test_tables_are_on_demand_with_pitr_and_the_tables_key(graph: Graph) -> None:
    key_arn_prefix = "arn:aws:kms:us-east-1:123456789012:key/"
    for table in graph.of_type(TABLE):
        assert table.inputs["billingMode"] == "PAY_PER_REQUEST"
        assert table.inputs["pointInTimeRecovery"] == {"enabled": True}
        assert table.inputs["serverSideEncryption"]["enabled"] is True
        assert table.inputs["serverSideEncryption"]["kmsKeyArn"].startswith(key_arn_prefix)


def test_deletion_protection_is_on_in_prod_only(graph: Graph) -> None:
    expected = stack_config(graph.stack)["deletionProtection"]
    assert expected is (graph.stack == "prod")
    assert all(t.inputs["deletionProtectionEnabled"] is expected for t in graph.of_type(TABLE))


def test_prod_tables_replicate_to_the_secondary_region_with_its_key(prod: Graph, dev: Graph) -> None:
    for table in prod.of_type(TABLE):
        [replica] = table.inputs["replicas"]
        assert replica["regionName"] == "us-west-2"
        assert replica["kmsKeyArn"].startswith("arn:aws:kms:us-west-2:")
        assert replica["pointInTimeRecovery"] is True
        assert table.inputs["streamEnabled"] is True
    assert all(not t.inputs.get("replicas") for t in dev.of_type(TABLE))


def test_lake_bucket_is_versioned_kms_encrypted_private_and_tls_only(graph: Graph) -> None:
    bucket = f"{LAKE_BUCKET}-{graph.stack}"
    assert graph.named("storage-lake").inputs["bucket"] == bucket
    assert graph.named("storage-lake-versioning").inputs["versioningConfiguration"]["status"] == "Enabled"
    [rule] = graph.named("storage-lake-encryption").inputs["rules"]
    assert rule["applyServerSideEncryptionByDefault"]["sseAlgorithm"] == "aws:kms"
    assert rule["applyServerSideEncryptionByDefault"]["kmsMasterKeyId"].startswith("arn:aws:kms:us-east-1:")
    assert rule["bucketKeyEnabled"] is True
    block = graph.named("storage-lake-public-access-block").inputs
    assert all(
        block[f] is True for f in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
    )
    [deny] = graph.named("storage-lake-policy").statements()
    assert deny["Effect"] == "Deny" and deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert deny["Resource"] == [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"]


def test_lake_access_is_logged_to_the_log_bucket(graph: Graph) -> None:
    logging = graph.named("storage-lake-logging").inputs
    assert logging["bucket"] == f"{LAKE_BUCKET}-{graph.stack}"
    assert logging["targetBucket"] == f"{LAKE_BUCKET}-{graph.stack}-access-logs"
    assert logging["targetPrefix"].startswith(ACCESS_LOGS_PREFIX)
    statements = graph.named("storage-access-logs-policy").statements()
    [delivery] = [s for s in statements if s["Effect"] == "Allow"]
    assert delivery["Principal"] == {"Service": "logging.s3.amazonaws.com"}
    assert delivery["Condition"] == {"StringEquals": {"aws:SourceAccount": "123456789012"}}


def _rules(graph: Graph, name: str) -> dict[str, dict]:
    rules = graph.named(name).inputs["rules"]
    assert len({r["id"] for r in rules}) == len(rules)
    return {r["id"]: r for r in rules}


def _by_prefix(graph: Graph, name: str) -> dict[str, dict]:
    return {r["filter"]["prefix"]: r for r in _rules(graph, name).values() if r["filter"].get("prefix")}


def test_lake_lifecycle_aborts_uploads_and_removes_old_versions_and_their_markers(graph: Graph) -> None:
    everything = _rules(graph, "storage-lake-lifecycle")["abort-incomplete-uploads"]
    assert everything["filter"] == {}
    assert everything["abortIncompleteMultipartUpload"] == {"daysAfterInitiation": 7}
    assert everything["noncurrentVersionExpiration"] == {"noncurrentDays": NONCURRENT_EXPIRY_DAYS}
    assert everything["expiration"] == {"expiredObjectDeleteMarker": True}


def test_raw_transactions_move_to_cheaper_storage_then_expire_after_seven_years(graph: Graph) -> None:
    raw = _by_prefix(graph, "storage-lake-lifecycle")[RAW_TRANSACTIONS_PREFIX]
    assert [(t["days"], t["storageClass"]) for t in raw["transitions"]] == [(30, "STANDARD_IA"), (90, "GLACIER_IR")]
    assert raw["expiration"] == {"days": 2557}


def test_every_lake_prefix_has_the_retention_of_its_table(graph: Graph) -> None:
    """LAKE_RETENTION is the one table; a prefix kept for good has no rule, every other one has exactly its own."""
    rules = _by_prefix(graph, "storage-lake-lifecycle")
    for prefix, retention in LAKE_RETENTION.items():
        if retention.expire_days is None:
            assert prefix not in rules
        else:
            assert rules[prefix]["expiration"] == {"days": retention.expire_days}
    assert set(rules) == {p for p, r in LAKE_RETENTION.items() if r.expire_days is not None}
    assert rules[MERCHANT_RISK_PREFIX]["expiration"] == {"days": 90}
    assert POLICY_PREFIX not in rules  # every stored decision names its policy version


def test_prod_replica_runs_the_lakes_rules(prod: Graph) -> None:
    """Lifecycle expirations are not replicated: the replica must expire the same prefixes itself."""
    assert _rules(prod, "dr-lake-replica-lifecycle") == _rules(prod, "storage-lake-lifecycle")


def test_access_log_buckets_expire_everything_after_a_year_and_have_no_lake_rules(graph: Graph) -> None:
    rules = _rules(graph, "storage-access-logs-lifecycle")
    assert rules["expire"] == {"id": "expire", "status": "Enabled", "filter": {}, "expiration": {"days": 365}}
    assert _by_prefix(graph, "storage-access-logs-lifecycle") == {}


def test_both_tables_expire_items_by_the_contracts_ttl_attribute(graph: Graph) -> None:
    """The processor writes TTL_ATTRIBUTE on every transaction and profile (adapters/items.py); the global-table
    replicas of prod delete what the TTL deletes in the primary region."""
    tables = graph.of_type(TABLE)
    assert len(tables) == 2
    assert all(t.inputs["ttl"] == {"attributeName": TTL_ATTRIBUTE, "enabled": True} for t in tables)
