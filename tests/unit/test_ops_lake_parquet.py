"""The Parquet row codec of `ops erase-customer` (securebank/ops/lake_parquet.py) and the lake walk's grouping of
versions by key (securebank/ops/lake_rows.py), without S3."""

from __future__ import annotations

import io
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from securebank.ops.lake_parquet import PARQUET, count_rows, without_rows
from securebank.ops.lake_rows import key_versions

SCHEMA = pa.schema([pa.field("customer_id", pa.string()), pa.field("home", pa.struct([("latitude", pa.float64())]))])


def parquet(customers: list[str | None], **options: Any) -> bytes:
    sink = io.BytesIO()
    rows = [{"customer_id": c, "home": {"latitude": float(i)}} for i, c in enumerate(customers)]
    pq.write_table(pa.Table.from_pylist(rows, schema=SCHEMA), sink, **options)
    return sink.getvalue()


def read(body: bytes | None) -> pq.ParquetFile:
    assert body is not None
    return pq.ParquetFile(io.BytesIO(body))


def codecs(file: pq.ParquetFile) -> list[str]:
    return [file.metadata.row_group(0).column(i).compression for i in range(file.metadata.num_columns)]


def test_rows_are_counted_and_removed_by_customer_id_and_rows_without_one_stay():
    body = parquet(["ann", "bob", None, "ann", "annabel"])

    assert count_rows("k.parquet", body, "ann") == 2
    assert count_rows("k.parquet", body, "zed") == 0
    kept = read(without_rows("k.parquet", body, "ann")).read()
    assert kept["customer_id"].to_pylist() == ["bob", None, "annabel"]
    assert kept["home"].to_pylist() == [{"latitude": 1.0}, {"latitude": 2.0}, {"latitude": 4.0}]


def test_an_object_of_only_the_customers_rows_leaves_nothing():
    assert without_rows("k.parquet", parquet(["ann", "ann"]), "ann") is None


def test_the_rewrite_keeps_each_columns_codec_and_no_compression_stays_none():
    mixed = parquet(["ann", "bob"], compression={"customer_id": "zstd", "home.latitude": "gzip"})
    plain = parquet(["ann", "bob"], compression="none")

    assert codecs(read(without_rows("k.parquet", mixed, "ann"))) == ["ZSTD", "GZIP"]
    assert codecs(read(without_rows("k.parquet", plain, "ann"))) == ["UNCOMPRESSED", "UNCOMPRESSED"]


def test_only_parquet_keys_are_read():
    assert PARQUET.applies("processed/customer-profiles/date=2026-11-29/part-00000-c000.snappy.parquet")
    assert not PARQUET.applies("processed/customer-profiles/date=2026-11-29/_SUCCESS")


class Pages:
    def __init__(self, pages: list[dict[str, Any]]):
        self.pages = pages

    def get_paginator(self, name: str) -> Pages:
        assert name == "list_object_versions"
        return self

    def paginate(self, **_: Any) -> list[dict[str, Any]]:
        return self.pages


def test_a_keys_versions_split_across_pages_are_one_group():
    version = lambda key, v: {"Key": key, "VersionId": v}  # noqa: E731
    pages = [
        {"Versions": [version("a", "1"), version("b", "2")], "DeleteMarkers": [{"Key": "b", "VersionId": "9"}]},
        {"Versions": [version("b", "3"), version("c", "4")]},
        {},
    ]

    groups = [(key, [v["VersionId"] for v in versions]) for key, versions in key_versions(Pages(pages), "bucket", "")]

    assert groups == [("a", ["1"]), ("b", ["2", "3"]), ("c", ["4"])]
