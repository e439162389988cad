"""`python -m securebank ops` as an operator runs it, in its own process, against the running local stack (moto
servers, the event source mapping, the API) after a small workload: erase-customer end to end on the stack and its
lake, and stack-status.

Bounded: 60 transactions, waits capped at 60 s."""

from __future__ import annotations

import asyncio
import gzip
import json
import os
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from adapters.items import from_attribute_values
from contracts import aws
from securebank.demo.loadgen import send_paced
from securebank.emulator.processes import FAKE_CREDENTIALS
from securebank.emulator.stack import LocalStack, StackOptions
from securebank.lab.generate import generate_workload

pytestmark = pytest.mark.slow

YESTERDAY = datetime.now(UTC).date() - timedelta(days=1)


def ops(stack: LocalStack, *argv: str) -> dict[str, Any]:
    resources = stack.resources
    assert resources is not None and stack.moto is not None
    endpoints = [f"--endpoint={service}={url}" for service, url in stack.moto.service_endpoints.items()]
    command = [sys.executable, "-m", "securebank", "ops", *argv, "--json", "--wait-seconds", "0",
               "--endpoint-url", stack.moto.endpoint_url, *endpoints, "--region", resources.region]  # fmt: skip
    env = {**os.environ, **FAKE_CREDENTIALS}
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    return dict(json.loads(done.stdout))


def transactions_by_customer(stack: LocalStack) -> Counter[str]:
    assert stack.resources is not None
    pages = stack.client("dynamodb").get_paginator("scan").paginate(TableName=stack.resources.transactions_table)
    return Counter(from_attribute_values(i)["customer_id"] for page in pages for i in page["Items"])


def lake_rows_by_customer(stack: LocalStack) -> Counter[str]:
    assert stack.resources is not None
    s3, rows = stack.client("s3"), Counter[str]()
    bucket = stack.resources.bucket
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=aws.RAW_TRANSACTIONS_PREFIX):
        for obj in page.get("Contents", []):
            text = gzip.decompress(s3.get_object(Bucket=bucket, Key=obj["Key"])["Body"].read()).decode()
            rows.update(json.loads(line)["customer_id"] for line in text.splitlines())
    return rows


def test_erase_customer_on_the_running_local_stack_removes_that_customer_only():
    with LocalStack(StackOptions(batching_window_seconds=0.2)) as stack:
        bodies = list(generate_workload(customers=8, transactions=60, seed=4, days=1, start=YESTERDAY).transactions())
        load = asyncio.run(send_paced(stack.api_url, stack.api_key, bodies, rate=200))
        stack.wait_until_drained(sum(r.status == 201 for r in load.results), timeout=60)
        customer = bodies[0]["customer_id"]
        stored, archived = transactions_by_customer(stack), lake_rows_by_customer(stack)
        assert stored[customer] > 0 and archived[customer] > 0

        status = ops(stack, "stack-status")
        report = ops(stack, "erase-customer", "--customer-id", customer)
        again = ops(stack, "erase-customer", "--customer-id", customer)

        assert status["queues"][aws.ON_FAILURE_QUEUE] == {"visible": 0, "in_flight": 0}
        assert (report["transactions_removed"], report["profiles_removed"]) == (stored[customer], 1)
        assert report["lake"][aws.RAW_TRANSACTIONS_PREFIX]["rows_removed"] == archived[customer]
        assert transactions_by_customer(stack) == stored - Counter({customer: stored[customer]})
        assert lake_rows_by_customer(stack) == archived - Counter({customer: archived[customer]})
        assert (again["transactions_removed"], again["profiles_removed"]) == (0, 0)
