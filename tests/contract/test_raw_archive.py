"""RawArchive contract: a stored batch can be read back whole, and storing the same batch again replaces it
(S3: one gzip JSON Lines object per event-time hour, at a key derived from the batch)."""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from adapters.memory import InMemoryRawArchive
from adapters.s3_archive import S3RawArchive
from adapters.serialization import parse_transaction, transaction_to_body
from contracts import aws
from domain.model import Transaction
from domain.ports import BatchRef
from tests.conftest import Resources
from tests.contract.conftest import MOTO_EXAMPLES, transaction

Archive = tuple[Any, Callable[[], dict[BatchRef, list[Transaction]]]]


@pytest.fixture(params=["memory", "s3"])
def make_archive(request: pytest.FixtureRequest) -> Callable[[], Archive]:
    """Factory of (archive, read back every stored batch)."""
    if request.param == "memory":

        def memory() -> Archive:
            archive = InMemoryRawArchive()
            return archive, lambda: {b: list(t) for b, t in archive.batches.items()}

        return memory
    make_resources: Callable[[], Resources] = request.getfixturevalue("make_resources")

    def s3() -> Archive:
        resources = make_resources()
        client = resources.client("s3")

        def read() -> dict[BatchRef, list[Transaction]]:
            batches: dict[BatchRef, list[Transaction]] = {}
            listing = client.list_objects_v2(Bucket=resources.bucket, Prefix=aws.RAW_TRANSACTIONS_PREFIX)
            for obj in listing.get("Contents", []):
                name = obj["Key"].rsplit("/", 1)[1].removesuffix(aws.RAW_OBJECT_SUFFIX)
                shard, first, last = name.rsplit("-", 2)
                body = gzip.decompress(client.get_object(Bucket=resources.bucket, Key=obj["Key"])["Body"].read())
                lines = [parse_transaction(json.loads(line)) for line in body.decode().splitlines()]
                batches.setdefault(BatchRef(shard, first, last), []).extend(lines)
            return batches

        return S3RawArchive(client, resources.bucket), read

    return s3


def batch_content(ref: int) -> tuple[BatchRef, list[Transaction]]:
    """Batch `ref` always holds the same transactions (as a redelivered batch does), over one or two hours."""
    txns = [transaction(f"c{ref}", n, minute=ref) for n in range(1 + ref % 3)]
    return BatchRef("shardId-000000000001", str(100 * ref), str(100 * ref + len(txns) - 1)), txns


def by_id(batches: dict[BatchRef, list[Transaction]]) -> dict[BatchRef, list[Transaction]]:
    return {b: sorted(t, key=lambda x: x.transaction_id) for b, t in batches.items()}


@MOTO_EXAMPLES
@given(refs=st.lists(st.integers(0, 4), max_size=6))
def test_stores_each_batch_once_however_often_it_is_stored(make_archive: Callable[[], Archive], refs: list[int]):
    archive, read = make_archive()
    for ref in refs:
        archive.store(*batch_content(ref))

    assert by_id(read()) == by_id(dict(batch_content(ref) for ref in refs))


def test_s3_objects_are_gzip_json_lines_of_post_bodies_per_event_hour(make_resources: Callable[[], Resources]):
    resources = make_resources()
    client = resources.client("s3")
    ref, txns = batch_content(2)  # three transactions at 08:02, 09:02, 10:02

    S3RawArchive(client, resources.bucket).store(ref, txns)

    keys = sorted(o["Key"] for o in client.list_objects_v2(Bucket=resources.bucket)["Contents"])
    assert keys == [aws.raw_object_key(f"year=2024/month=03/day=01/hour={h:02d}/", ref.source, ref.first_sequence,
                                       ref.last_sequence) for h in (8, 9, 10)]  # fmt: skip
    body = client.get_object(Bucket=resources.bucket, Key=keys[0])["Body"].read()
    assert json.loads(gzip.decompress(body)) == transaction_to_body(txns[0])
