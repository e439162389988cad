"""The Athena side of Analytics: the workgroup's settings, the projected raw-transactions table, whose columns
come from the contract's Transaction schema (contracts/openapi.yaml), and the workgroup's named queries."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import attrs
import pulumi
import yaml

from contracts.aws import (
    ATHENA_CUSTOMER_PROFILES_TABLE,
    ATHENA_DAILY_AGGREGATES_TABLE,
    ATHENA_FRAUD_REPORTS_TABLE,
    ATHENA_MERCHANT_RISK_TABLE,
    ATHENA_PARTITION_KEYS,
    ATHENA_PROJECTION,
    ATHENA_RESULTS_PREFIX,
    ATHENA_TRANSACTIONS_TABLE,
    OPENAPI_PATH,
    RAW_PARTITION_TEMPLATE,
)

BYTES_SCANNED_CUTOFF = 10 * 1024**3
ATHENA_ENGINE_VERSION = "Athena engine version 3"
JSON_SERDE = "org.openx.data.jsonserde.JsonSerDe"


@attrs.frozen
class NamedQuery:
    description: str
    sql: str
    table: str = ATHENA_TRANSACTIONS_TABLE  # the catalog table it reads (created before it)


NAMED_QUERIES = {
    "transactions-by-merchant": NamedQuery(
        "A merchant's transactions on one UTC day, in time order (the reader that replaced DynamoDB's MerchantIndex). "
        "Execution parameters: merchant_id, year, month, day (zero-padded strings: '2024', '03', '01').",
        f'SELECT transaction_id, customer_id, amount, currency, merchant_category, "timestamp", location, hour\n'
        f"FROM {ATHENA_TRANSACTIONS_TABLE}\n"
        "WHERE merchant_id = ? AND year = ? AND month = ? AND day = ?\n"
        'ORDER BY "timestamp"',
    ),
    "daily-spend-by-category": NamedQuery(
        "One UTC day's spend per merchant category and currency, and how many customers were new to the category. "
        "Execution parameters: year, month, day (zero-padded strings).",
        "SELECT merchant_category, currency, count(DISTINCT customer_id) AS customers,\n"
        "       sum(txn_count) AS transactions, sum(total_amount) AS total_amount,\n"
        "       count(DISTINCT CASE WHEN unusual_category THEN customer_id END) AS customers_new_to_category\n"
        f"FROM {ATHENA_DAILY_AGGREGATES_TABLE}\n"
        "WHERE year = ? AND month = ? AND day = ?\n"
        "GROUP BY merchant_category, currency\n"
        "ORDER BY currency, total_amount DESC",
        ATHENA_DAILY_AGGREGATES_TABLE,
    ),
    "latest-fraud-patterns": NamedQuery(
        "The newest weekly tuning report since a date: the policy chosen, F1 before and after, the frauds it still "
        "misses and the weekly fraud rate. Execution parameter: the earliest date, 'YYYY-MM-DD' (a week or two ago).",
        'SELECT "date", chosen, policy_version, written_policy, labelled, overall.before.f1 AS f1_before,\n'
        "       overall.after.f1 AS f1_after, missed_patterns_after, weekly\n"
        f"FROM {ATHENA_FRAUD_REPORTS_TABLE}\n"
        'WHERE "date" >= ?\n'
        'ORDER BY "date" DESC, "$path" DESC\n'
        "LIMIT 1",
        ATHENA_FRAUD_REPORTS_TABLE,
    ),
    "riskiest-merchants": NamedQuery(
        "The 50 merchants with the most confirmed frauds in one day's merchant-risk snapshot (35 days before it), "
        "with their share of the merchant's transactions. Execution parameter: the snapshot's date, 'YYYY-MM-DD'.",
        "SELECT merchant, sum(counts[1]) AS transactions, sum(counts[2]) AS confirmed_frauds,\n"
        "       CAST(sum(counts[2]) AS decimal(18,4)) / sum(counts[1]) AS fraud_share\n"
        f"FROM {ATHENA_MERCHANT_RISK_TABLE}\n"
        "CROSS JOIN UNNEST(merchants) AS m (merchant, days)\n"
        "CROSS JOIN UNNEST(days) AS d (day, counts)\n"
        "WHERE as_of = ?\n"
        "GROUP BY merchant\n"
        "ORDER BY confirmed_frauds DESC, fraud_share DESC\n"
        "LIMIT 50",
        ATHENA_MERCHANT_RISK_TABLE,
    ),
    "customer-profile-snapshot": NamedQuery(
        "One customer's profile as it stood at the end of a UTC day. Execution parameters: the date 'YYYY-MM-DD' "
        "and the customer_id.",
        "SELECT customer_id, risk_profile, total_transactions, total_fraud_flags, account_created,\n"
        "       last_transaction_timestamp, timezone, amounts, categories, preferred_merchants,\n"
        "       category_amounts, day_totals, night_count, recent_high, recent_night, recent_new, version\n"
        f"FROM {ATHENA_CUSTOMER_PROFILES_TABLE}\n"
        'WHERE "date" = ? AND customer_id = ?',
        ATHENA_CUSTOMER_PROFILES_TABLE,
    ),
}
"""Saved in the workgroup, by name: the lake's answers to questions the tables have no index for. Each reads the
partitions its parameters name (partition projection), except riskiest-merchants: the snapshots are one file per
date in one folder, so it reads every snapshot (each a few MB at most) and keeps the date asked for. A query run
from the console reuses results only with its "Reuse query results" switch on (docs/analytics.md)."""


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
    """Enforced settings: results under the lake's Athena prefix, encrypted with the lake key; a scan cutoff; engine
    version 3, which the 24-hour result reuse of the project's queries needs (securebank/lab/named_queries.py)."""
    return {
        "enforce_workgroup_configuration": True,
        "engine_version": {"selected_engine_version": ATHENA_ENGINE_VERSION},
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
