"""The catalog tables over what the Glue jobs write, and a named Athena query on each (data; Analytics creates them).

| table | lake prefix | written by | partitions |
|---|---|---|---|
| daily_aggregates | processed/daily-aggregates/ | jobs/daily_aggregation.py | year, month, day (projected) |
| fraud_pattern_reports | processed/fraud-patterns/ | jobs/fraud_patterns.py | date (projected) |
| merchant_risk_snapshots | config/merchant-risk/ | jobs/merchant_risk.py | none: one file per date |
| customer_profiles | processed/customer-profiles/ | jobs/customer_profiles.py | date (projected) |

Projection (no crawler, no MSCK REPAIR) wherever the layout has partition folders. The merchant-risk snapshots
are files named by date in one folder (the processor reads them there), so that table has no partitions: its query
selects a file by `"$path"`. The Parquet tables' columns are the jobs' OUTPUT_SCHEMAs in Hive syntax
(tests/jobs/test_lake_tables.py holds them equal); the JSON tables' columns are the documents' fields.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

import attrs
import pulumi

from contracts.aws import (
    ATHENA_CUSTOMER_PROFILES_TABLE,
    ATHENA_DAILY_AGGREGATES_TABLE,
    ATHENA_FRAUD_REPORTS_TABLE,
    ATHENA_MERCHANT_RISK_TABLE,
    ATHENA_PROJECTION,
    CUSTOMER_PROFILES_PREFIX,
    DAILY_AGGREGATES_PREFIX,
    FRAUD_REPORTS_PREFIX,
    MERCHANT_RISK_PREFIX,
    RAW_PARTITION_TEMPLATE,
)

PARQUET = {
    "input_format": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
    "output_format": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
    "ser_de_info": {"serialization_library": "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"},
}
JSON_LINES = {
    "input_format": "org.apache.hadoop.mapred.TextInputFormat",
    "output_format": "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat",
    "ser_de_info": {
        "serialization_library": "org.openx.data.jsonserde.JsonSerDe",
        "parameters": {"ignore.malformed.json": "true"},
    },
}
DAY_PROJECTION = {k: v for k, v in ATHENA_PROJECTION.items() if not k.startswith("projection.hour.")}
DAY_TEMPLATE = RAW_PARTITION_TEMPLATE.removesuffix("hour=${hour}/")
DATE_PROJECTION = {
    "projection.enabled": "true",
    "projection.date.type": "date",
    "projection.date.format": "yyyy-MM-dd",
    "projection.date.range": "2024-01-01,NOW",
    "projection.date.interval": "1",
    "projection.date.interval.unit": "DAYS",
}
DATE_TEMPLATE = "date=${date}/"
COUNTS = (
    "struct<tp:bigint,fp:bigint,fn:bigint,tn:bigint,precision:string,recall:string,f1:string,fp_rate:string,"
    "fn_rate:string>"
)
RULE_RATES = "array<struct<rule:string,weight:string,params:map<string,string>,fp_rate:string,fn_rate:string>>"
AMOUNT = "decimal(38,4)"

DAILY_AGGREGATE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("customer_id", "string"), ("merchant_category", "string"), ("currency", "string"),
    ("txn_count", "bigint"), ("total_amount", "decimal(18,2)"), ("avg_amount", "decimal(18,2)"),
    ("min_amount", "decimal(18,2)"), ("max_amount", "decimal(18,2)"), ("spend_change_ratio", "decimal(18,4)"),
    ("unusual_category", "boolean"))  # fmt: skip
FRAUD_REPORT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("current_version", "bigint"), ("labelled", "bigint"), ("transactions", "bigint"),
    ("holdout_from", "string"), ("objective", "string"), ("chosen", "string"), ("policy_version", "bigint"),
    ("threshold", "string"), ("written_policy", "string"),
    ("merchant_feed", "struct<confirmed_frauds_fed:bigint,merchants_with_fraud:bigint,label_delay_days:double>"),
    ("overall", f"struct<before:{COUNTS},after:{COUNTS}>"), ("rules_before", RULE_RATES),
    ("rules_after", RULE_RATES), ("missed_patterns_after", "array<struct<rules:array<string>,frauds:bigint>>"),
    ("weekly", "array<struct<week:string,labelled:bigint,frauds:bigint,fraud_rate:string>>"),
    ("trials", "array<struct<name:string,train_f1:string,holdout_f1:string>>"))  # fmt: skip
PROFILE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("customer_id", "string"), ("account_created", "timestamp"),
    ("last_transaction_timestamp", "timestamp"), ("total_transactions", "bigint"), ("total_fraud_flags", "bigint"),
    ("risk_profile", "string"), ("assigned_risk", "string"), ("average_monthly_spend", AMOUNT),
    ("spend_currency", "string"),
    ("timezone", "string"), ("home_location", "struct<latitude:double,longitude:double>"),
    ("preferred_merchants", "array<string>"), ("categories", "array<string>"),
    ("amounts", f"array<struct<currency:string,count:bigint,total:{AMOUNT},minimum:{AMOUNT},maximum:{AMOUNT}>>"),
    ("category_amounts", f"array<struct<category:string,currency:string,count:bigint,total:{AMOUNT}>>"),
    ("day_totals", f"array<struct<day:date,currency:string,count:bigint,total:{AMOUNT}>>"),
    ("night_count", "bigint"), ("recent_high", "bigint"), ("recent_night", "bigint"), ("recent_new", "bigint"),
    ("version", "bigint"))  # fmt: skip


@attrs.frozen
class LakeTable:
    prefix: str
    description: str
    columns: tuple[tuple[str, str], ...]
    format: Literal["parquet", "json"]
    partition_keys: tuple[str, ...] = ()
    projection: Mapping[str, str] = attrs.field(factory=dict)
    template: str = ""  # the partition folders under `prefix`, in projection's ${key} syntax

    def parameters(self, location: pulumi.Output[str]) -> pulumi.Output[dict[str, str]]:
        """Table properties: classification, and the projection with its location template if partitioned."""

        def build(root: str) -> dict[str, str]:
            template = {"storage.location.template": f"{root}{self.template}"} if self.projection else {}
            return {"classification": self.format, "EXTERNAL": "TRUE", **self.projection, **template}

        return location.apply(build)

    def storage(self, location: pulumi.Input[str]) -> dict[str, Any]:
        return {
            "location": location,
            **(PARQUET if self.format == "parquet" else JSON_LINES),
            "columns": [{"name": name, "type": kind} for name, kind in self.columns],
        }


TABLES: dict[str, LakeTable] = {
    ATHENA_DAILY_AGGREGATES_TABLE: LakeTable(
        DAILY_AGGREGATES_PREFIX,
        "Per customer, merchant category and currency, one UTC day's transactions (jobs/daily_aggregation.py)",
        DAILY_AGGREGATE_COLUMNS,
        "parquet",
        ("year", "month", "day"),
        DAY_PROJECTION,
        DAY_TEMPLATE,
    ),
    ATHENA_FRAUD_REPORTS_TABLE: LakeTable(
        FRAUD_REPORTS_PREFIX,
        "The weekly tuning reports, one JSON document a line (jobs/fraud_patterns.py)",
        FRAUD_REPORT_COLUMNS,
        "json",
        ("date",),
        DATE_PROJECTION,
        DATE_TEMPLATE,
    ),
    ATHENA_MERCHANT_RISK_TABLE: LakeTable(
        MERCHANT_RISK_PREFIX,
        "Daily merchant-risk snapshots: per merchant and day [transactions, confirmed frauds] (jobs/merchant_risk.py)",
        (("as_of", "string"), ("merchants", "map<string,map<string,array<bigint>>>")),
        "json",
    ),
    ATHENA_CUSTOMER_PROFILES_TABLE: LakeTable(
        CUSTOMER_PROFILES_PREFIX,
        "The Customers table at the end of each UTC day (jobs/customer_profiles.py)",
        PROFILE_COLUMNS,
        "parquet",
        ("date",),
        DATE_PROJECTION,
        DATE_TEMPLATE,
    ),
}
