"""The customer-profile snapshots (`processed/customer-profiles/date=YYYY-MM-DD/`, Parquet written by Spark:
jobs/customer_profiles.py) as a `RowCodec` for securebank/ops/lake_rows.py: a row is the customer's when its
`customer_id` is.

An object is counted from its `customer_id` column alone; one that holds the customer is read whole and written back
without those rows, with the same schema (its metadata, Spark's included) and per column the same compression codec
and physical timestamp type (Spark writes INT96 timestamps by default). Keys that are not Parquet (`_SUCCESS`) are
left alone.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from securebank.ops.lake_rows import RowCodec

PARQUET_SUFFIX = ".parquet"
CUSTOMER_COLUMN = "customer_id"  # jobs/customer_profiles.py OUTPUT_SCHEMA
_NO_COMPRESSION = "UNCOMPRESSED"  # Parquet's name for it; pyarrow writes it as "none"


def _mask(table: pa.Table, customer_id: str) -> pa.ChunkedArray:
    return pc.fill_null(pc.equal(table[CUSTOMER_COLUMN], pa.scalar(customer_id)), fill_value=False)


def count_rows(key: str, body: bytes, customer_id: str) -> int:
    del key
    table = pq.read_table(pa.BufferReader(body), columns=[CUSTOMER_COLUMN])
    return int(pc.sum(_mask(table, customer_id)).as_py() or 0)


def without_rows(key: str, body: bytes, customer_id: str) -> bytes | None:
    """The Parquet object without the customer's rows, written as the original was; None when no row is left."""
    del key
    source = pq.ParquetFile(pa.BufferReader(body))
    table = source.read()
    kept = table.filter(pc.invert(_mask(table, customer_id)))
    if kept.num_rows == 0:
        return None
    metadata = source.metadata
    columns = [metadata.schema.column(i) for i in range(metadata.num_columns)]
    codecs = {
        column.path: _codec(metadata.row_group(0).column(i).compression) if metadata.num_row_groups else "snappy"
        for i, column in enumerate(columns)
    }
    sink = pa.BufferOutputStream()
    pq.write_table(
        kept,
        sink,
        compression=codecs.popitem()[1] if len(set(codecs.values())) == 1 else codecs,
        use_deprecated_int96_timestamps=any(column.physical_type == "INT96" for column in columns),
    )
    return bytes(sink.getvalue().to_pybytes())


def _codec(name: str) -> str:
    return "none" if name == _NO_COMPRESSION else name.lower()


PARQUET = RowCodec(count=count_rows, without=without_rows, applies=lambda key: key.endswith(PARQUET_SUFFIX))
