"""The catalog tables (components/lake_tables.py) agree with what the jobs write: columns, formats and folders."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from components.lake_tables import DATE_TEMPLATE, DAY_TEMPLATE, TABLES, LakeTable
from contracts.aws import (
    ATHENA_CUSTOMER_PROFILES_TABLE,
    ATHENA_DAILY_AGGREGATES_TABLE,
    ATHENA_FRAUD_REPORTS_TABLE,
    ATHENA_MERCHANT_RISK_TABLE,
    daily_aggregates_prefix,
    merchant_risk_key,
)
from securebank.lab.athena import parse_location


def _ddl(table: LakeTable) -> str:
    return ", ".join(f"`{name}` {kind}" for name, kind in table.columns)


@pytest.mark.spark
@pytest.mark.parametrize(
    ("table", "job"),
    [
        (ATHENA_DAILY_AGGREGATES_TABLE, "jobs.daily_aggregation"),
        (ATHENA_CUSTOMER_PROFILES_TABLE, "jobs.customer_profiles"),
    ],
)
def test_a_parquet_tables_columns_are_its_jobs_output_schema(table: str, job: str) -> None:
    import importlib

    schema = importlib.import_module(job).OUTPUT_SCHEMA
    assert TABLES[table].format == "parquet"
    assert list(TABLES[table].columns) == [(f.name, f.dataType.simpleString()) for f in schema.fields]


def test_the_projected_templates_match_the_folders_the_jobs_write() -> None:
    from jobs.customer_profiles import profiles_path

    aggregates = TABLES[ATHENA_DAILY_AGGREGATES_TABLE]
    day = daily_aggregates_prefix(2025, 3, 1).removeprefix(aggregates.prefix)
    assert parse_location(aggregates.template, day) == {"year": "2025", "month": "03", "day": "01"}
    assert aggregates.template == DAY_TEMPLATE and aggregates.partition_keys == ("year", "month", "day")
    profiles = TABLES[ATHENA_CUSTOMER_PROFILES_TABLE]
    folder = profiles_path("s3://lake", date(2025, 3, 1)).removeprefix(f"s3://lake/{profiles.prefix}")
    assert parse_location(profiles.template, folder) == {"date": "2025-03-01"}
    assert profiles.template == TABLES[ATHENA_FRAUD_REPORTS_TABLE].template == DATE_TEMPLATE
    for table in TABLES.values():
        assert set(table.partition_keys) == {k.split(".")[1] for k in table.projection if k.count(".") >= 2}
    # The merchant-risk snapshots are files named by date in the table's folder: nothing to project.
    risk = TABLES[ATHENA_MERCHANT_RISK_TABLE]
    assert merchant_risk_key(date(2025, 3, 1)).startswith(risk.prefix) and not risk.partition_keys


@pytest.mark.spark
@pytest.mark.slow
def test_a_fraud_pattern_report_is_one_json_line_that_the_table_reads(spark: Any, tmp_path: Path) -> None:
    from jobs.fraud_patterns import run
    from tests.jobs.test_fraud_patterns import _lake

    _, _, label_file, end = _lake(tmp_path, seed=4)
    written = run(spark, str(tmp_path), str(label_file), end, weeks=3, holdout=0.25)
    path = tmp_path / written["report"]

    assert len(path.read_text().splitlines()) == 1  # Athena's JSON SerDe reads one document a line
    [row] = spark.read.schema(_ddl(TABLES[ATHENA_FRAUD_REPORTS_TABLE])).json(str(path)).collect()
    report = row.asDict(recursive=True)
    assert report["chosen"] == written["chosen"] and report["labelled"] == written["labelled"] > 0
    assert report["overall"]["after"]["f1"] == written["overall"]["after"]["f1"]
    assert report["weekly"] and all(week["fraud_rate"] is not None for week in report["weekly"])
    assert report["rules_after"][0]["params"] == written["rules_after"][0]["params"]
    declared = {name for name, _ in TABLES[ATHENA_FRAUD_REPORTS_TABLE].columns}
    assert declared <= set(json.loads(path.read_text())) | {"written_policy"}


@pytest.mark.spark
def test_a_merchant_risk_snapshot_reads_as_the_tables_map(spark: Any, tmp_path: Path) -> None:
    from adapters.merchant_risk_codec import merchant_risk_to_json
    from domain.merchant_risk import KNOWN, MerchantDay, MerchantRisk

    day = date(2025, 2, 3)
    risk = MerchantRisk({"m-1": {date(2025, 2, 1).toordinal(): MerchantDay(4, (KNOWN, KNOWN, KNOWN))}})
    path = tmp_path / merchant_risk_key(day)
    path.parent.mkdir(parents=True)
    path.write_text(merchant_risk_to_json(risk, as_of=day))

    [row] = spark.read.schema(_ddl(TABLES[ATHENA_MERCHANT_RISK_TABLE])).json(str(path)).collect()

    assert row["as_of"] == "2025-02-03"
    assert row["merchants"] == {"m-1": {"2025-02-01": [4, 3]}}
