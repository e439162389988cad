"""The whole local stack, edge to edge: real processes on 127.0.0.1, the real processor and query handlers.

Bounded: ~100 transactions per stack, waits capped at 60 s (they end as soon as the stream is drained).
"""

import asyncio
import json
import urllib.request
from datetime import UTC, datetime, timedelta

import pytest

from contracts.aws import API_KEY_HEADER
from securebank.demo.chaos import ChaosSettings
from securebank.demo.instrumentation import spec
from securebank.demo.loadgen import send_paced
from securebank.demo.report import double_counted, read_state
from securebank.emulator.stack import LocalStack, StackOptions
from securebank.lab.generate import generate_workload

pytestmark = pytest.mark.slow

YESTERDAY = datetime.now(UTC).date() - timedelta(days=1)
"""Workloads are dated the day before the run: the API refuses timestamps 30 days before their receipt."""


def _run(stack, bodies):
    load = asyncio.run(send_paced(stack.api_url, stack.api_key, bodies, rate=200))
    accepted = {r.transaction_id for r in load.results if r.status == 201}
    stats = stack.wait_until_drained(sum(r.status == 201 for r in load.results), timeout=60)
    state = read_state(stack.client("dynamodb"), stack.client("sqs"), stack.resources)
    return load, accepted, stats, state


def _get(stack, path):
    request = urllib.request.Request(f"{stack.api_url}{path}", headers={API_KEY_HEADER: stack.api_key})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


@pytest.fixture(scope="module")
def stack():
    with LocalStack(StackOptions(instrumentation=spec(), batching_window_seconds=0.2)) as running:
        yield running


def test_every_accepted_transaction_is_stored_once_and_readable_through_the_api(stack):
    bodies = list(generate_workload(customers=15, transactions=120, seed=3, days=1, start=YESTERDAY).transactions())
    load, accepted, stats, state = _run(stack, bodies)
    assert len(accepted) == 120
    assert accepted <= set(state.transactions)
    assert len(accepted) - len(accepted & set(state.transactions)) - state.quarantined == 0
    assert double_counted(state) == 0
    assert sum(state.profile_totals.values()) == 120
    assert stats["mapping"]["records_discarded"] == 0
    assert stats["calls"]["dynamodb.TransactWriteItems"] >= 1
    status, body = _get(stack, f"/v1/transactions/{bodies[0]['transaction_id']}")
    assert status == 200
    assert body["transaction_id"] == bodies[0]["transaction_id"]
    assert "is_fraud" in body
    status, body = _get(stack, "/v1/transactions/never_sent")
    assert status == 404 and body["error"]["code"] == "not_found"
    s3 = stack.client("s3")
    assert s3.list_objects_v2(Bucket=stack.resources.bucket, Prefix="raw/transactions/")["KeyCount"] >= 1


def _a_sure_flag(customer):
    """Seven payments of one customer in the last ten minutes, the last 250 times the others and in Tokyo: velocity
    (0.4), amount (0.3) and location (0.2) anomalies score 0.9, over the seed policy's threshold 0.8."""

    def body(n, amount, latitude, longitude):
        at = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=10 - n)
        return {"transaction_id": f"{customer}-{n}", "customer_id": customer, "amount": amount, "currency": "USD",
                "merchant_id": "m1", "merchant_category": "grocery", "timestamp": at.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "location": {"latitude": latitude, "longitude": longitude}}  # fmt: skip

    return [body(n, "20.00", 40.7128, -74.006) for n in range(6)] + [body(6, "5000.00", 35.68, 139.65)]


def test_every_case_reaches_the_cases_queue_through_the_outbox_pipe(stack):
    bodies = list(generate_workload(customers=10, transactions=100, seed=11, days=1, start=YESTERDAY).transactions())
    bodies += _a_sure_flag(customer="outbox-c")
    _run(stack, bodies)
    scan = stack.client("dynamodb").scan(TableName=stack.resources.transactions_table)["Items"]
    flagged = {item["transaction_id"]["S"] for item in scan if item["is_fraud"]["BOOL"]}
    sqs, queued = stack.client("sqs"), []
    while messages := sqs.receive_message(QueueUrl=stack.resources.cases_queue_url, MaxNumberOfMessages=10).get(
        "Messages"
    ):
        queued += [json.loads(m["Body"])["detail"]["transaction_id"] for m in messages]
        for m in messages:
            sqs.delete_message(QueueUrl=stack.resources.cases_queue_url, ReceiptHandle=m["ReceiptHandle"])
    assert "outbox-c-6" in flagged
    assert set(queued) == flagged  # every committed case, and nothing else
    assert stack.pipe is not None and stack.pipe.stats.events_put >= len(flagged)


def test_under_chaos_nothing_is_lost_or_double_counted():
    chaos = ChaosSettings(dynamodb_throttle=0.2, s3_error=0.2, crash_mid_batch=0.2, duplicate_delivery=0.3, seed=11)
    with LocalStack(StackOptions(instrumentation=spec(chaos), batching_window_seconds=0.2)) as stack:
        bodies = list(generate_workload(customers=12, transactions=100, seed=5, days=1, start=YESTERDAY).transactions())
        bodies += [dict(b) for b in bodies[:10]]  # clients re-sending accepted transactions
        load, accepted, stats, state = _run(stack, bodies)
    assert len(accepted) == 100
    assert sum(stats["injected"].values()) > 0
    assert stats["mapping"]["function_errors"] > 0 and stats["mapping"]["records_checkpointed"] >= 100
    assert accepted <= set(state.transactions)
    assert double_counted(state) == 0
    assert sum(state.profile_totals.values()) == 100
