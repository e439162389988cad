"""One SparkSession for the whole test session, on local[2], with small shuffles and no UI."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    pytest.importorskip("pyspark")
    from jobs.lake import spark_session

    small = {
        "spark.sql.shuffle.partitions": "2",
        "spark.default.parallelism": "2",
        "spark.sql.adaptive.coalescePartitions.initialPartitionNum": "2",
        "spark.driver.memory": "1g",
    }
    session = spark_session("securebank-tests", master="local[2]", conf=small)
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()
