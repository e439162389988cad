"""The Athena side of Analytics: the workgroup's settings, the projected raw-transactions table, whose columns
come from the contract's Transaction schema (contracts/openapi.yaml), and the workgroup's named queries."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import attrs
import pulumi
import yaml

from contracts.aws import (
    ATHENA_PARTITION_KEYS,
    ATHENA_PROJECTION,
    ATHENA_RESULTS_PREFIX,
    ATHENA_TRANSACTIONS_TABLE,
    OPENAPI_PATH,
    RAW_PARTITION_TEMPLATE,
)

BYTES_SCANNED_CUTOFF = 10 * 1024**3
JSON_SERDE = "org.openx.data.jsonserde.JsonSerDe"


@attrs.frozen
class NamedQuery:
    description: str
    sql: str


NAMED_QUERIES = {
    "transactions-by-merchant": NamedQuery(
        "A merchant's transactions on one UTC day, in time order (the reader that replaced DynamoDB's MerchantIndex). "
        "Execution parameters: merchant_id, year, month, day (zero-padded strings: '2024', '03', '01').",
        f'SELECT transaction_id, customer_id, amount, currency, merchant_category, "timestamp", location, hour\n'
        f"FROM {ATHENA_TRANSACTIONS_TABLE}\n"
        "WHERE merchant_id = ? AND year = ? AND month = ? AND day = ?\n"
        'ORDER BY "timestamp"',
    ),
}
"""Saved in the workgroup, by name: the lake's answers to questions the tables have no index for. Each reads one
day's partitions (partition projection), so its scan is bounded by a day of raw data."""


def transaction_columns(openapi: Path | None = None) -> list[dict[str, str]]:
    """Athena columns of one raw line (a POST body), derived from the contract's Transaction schema, in its order."""
    path = openapi or OPENAPI_PATH
    schemas = yaml.safe_load(path.read_text())["components"]["schemas"]
    return [
        {"name": field, "type": _athena_type(spec, schemas)}
        for field, spec in schemas["Transaction"]["properties"].items()
    ]


def _athena_type(spec: dict[str, Any], schemas: dict[str, Any]) -> str:
    if "$ref" in spec:
        name = spec["$ref"].rsplit("/", 1)[-1]
        if name == "Amount":
            return "decimal(18,2)"
        return _athena_type(schemas[name], schemas)
    if spec.get("type") == "object":
        fields = ",".join(f"{key}:{_athena_type(value, schemas)}" for key, value in spec["properties"].items())
        return f"struct<{fields}>"
    return {"number": "double", "integer": "bigint", "boolean": "boolean"}.get(spec.get("type", "string"), "string")


def workgroup_configuration(lake: pulumi.Input[str], lake_key_arn: pulumi.Input[str]) -> dict[str, Any]:
    """Enforced settings: results under the lake's Athena prefix, encrypted with the lake key; a scan cutoff."""
    return {
        "enforce_workgroup_configuration": True,
        "publish_cloudwatch_metrics_enabled": True,
        "bytes_scanned_cutoff_per_query": BYTES_SCANNED_CUTOFF,
        "result_configuration": {
            "output_location": pulumi.Output.concat(lake, ATHENA_RESULTS_PREFIX),
            "encryption_configuration": {"encryption_option": "SSE_KMS", "kms_key_arn": lake_key_arn},
        },
    }


def raw_table_parameters(raw_location: pulumi.Output[str]) -> pulumi.Output[dict[str, str]]:
    """Partition projection over `raw/transactions/year=/month=/day=/hour=/` (no crawler, no MSCK REPAIR)."""
    return raw_location.apply(
        lambda location: {
            **ATHENA_PROJECTION,
            "storage.location.template": f"{location}{RAW_PARTITION_TEMPLATE}",
            "classification": "json",
            "compressionType": "gzip",
            "EXTERNAL": "TRUE",
        }
    )


def raw_table_storage(raw_location: pulumi.Input[str]) -> dict[str, Any]:
    """Gzipped JSON lines, one POST body each, read with the OpenX SerDe."""
    return {
        "location": raw_location,
        "compressed": True,
        "input_format": "org.apache.hadoop.mapred.TextInputFormat",
        "output_format": "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat",
        "ser_de_info": {"serialization_library": JSON_SERDE, "parameters": {"ignore.malformed.json": "true"}},
        "columns": transaction_columns(),
    }


def partition_keys() -> list[dict[str, str]]:
    return [{"name": key, "type": "string"} for key in ATHENA_PARTITION_KEYS]
