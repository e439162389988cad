"""The reliability issue's reproductions, each against the processor Lambda on moto: what broke before, kept fixed."""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable
from typing import Any

import pytest
from botocore.awsrequest import AWSResponse

from handlers.bootstrap import bootstrap_query
from handlers.processor import ArchiveUnavailable, handle
from handlers.query import handle as query
from handlers.settings import Settings
from tests.conftest import Resources, kinesis_event, transaction_body
from tests.integration.test_processor import dependencies, failures, lake_keys, quarantined, state


def get(resources: Resources, transaction_id: str, customer_id: str | None = None) -> tuple[int, dict[str, Any]]:
    deps = bootstrap_query(Settings(transactions_table=resources.transactions_table), resources.session)
    event: dict[str, Any] = {"pathParameters": {"transaction_id": transaction_id}}
    if customer_id is not None:
        event["queryStringParameters"] = {"customer_id": customer_id}
    response = query(event, deps)
    return response["statusCode"], json.loads(response["body"])


def test_an_id_reused_by_another_customer_in_a_redelivered_batch_is_stored(make_resources: Callable[[], Resources]):
    """Before: ann's redelivered t-card was skipped, and so was bob's different t-card in the same batch (a 201,
    never stored, quarantined or failed); bob being new, the batch failed an assertion instead."""
    resources = make_resources()
    deps = dependencies(resources)
    ann = transaction_body("ann", transaction_id="t-card")
    assert failures(handle(kinesis_event([ann]), deps)) == []

    response = handle(kinesis_event([ann, transaction_body("bob", transaction_id="t-card")], 2000), deps)

    assert failures(response) == []
    transactions, profiles = state(resources)
    assert sorted((t["customer_id"], t["transaction_id"]) for t in transactions) == [
        ("ann", "t-card"), ("bob", "t-card")]  # fmt: skip
    assert sorted(p["customer_id"] for p in profiles) == ["ann", "bob"]
    assert get(resources, "t-card")[0] == 409
    status, body = get(resources, "t-card", "bob")
    assert (status, body["customer_id"]) == (200, "bob")
    assert get(resources, "t-card", "cat")[0] == 404


EXTREME = [
    "9999-12-31T23:59:59-12:00",
    "0001-01-01T00:00:00+14:00",
    "0001-01-01T00:00:00Z",
    "9999-12-31T23:59:59Z",
]


def test_extreme_timestamps_are_quarantined_and_never_fail_the_batch(make_resources: Callable[[], Resources]):
    """Before: each got a 201 and then raised OverflowError, failing the invocation until the ESM gave up."""
    resources = make_resources()
    ahead = transaction_body("kiri", timestamp="2024-03-01T20:00:00+14:00")  # a customer whose zone is ahead of UTC
    bodies = [ahead, *(transaction_body("kiri", timestamp=stamp) for stamp in EXTREME), transaction_body("ann")]

    response = handle(kinesis_event(bodies), dependencies(resources))

    assert failures(response) == []
    reasons = sorted(m["reason"] for m in quarantined(resources))
    assert len(reasons) == len(EXTREME)
    assert all(r.startswith("timestamp: must be from 1970-01-01") for r in reasons), reasons
    assert len(state(resources)[0]) == 2


@pytest.mark.parametrize(
    ("timestamp", "reason"),
    [
        ("2024-03-03T12:00:01Z", "timestamp: must be at most 1 day after it was received"),
        ("2024-01-31T11:59:59Z", "timestamp: must be at most 30 days before it was received"),
        ("2024-03-01T12:00:00+14:30", "timestamp: must have a UTC offset from -12:00 to +14:00"),
    ],
)
def test_a_timestamp_out_of_bounds_around_its_receipt_is_quarantined(
    make_resources: Callable[[], Resources], timestamp: str, reason: str
):
    resources = make_resources()  # kinesis_event receives every record at 2024-03-01T12:00:00Z

    response = handle(kinesis_event([transaction_body("ann", timestamp=timestamp)]), dependencies(resources))

    assert failures(response) == []
    assert [m["reason"] for m in quarantined(resources)] == [reason]


def test_a_conflicting_resubmission_is_quarantined_and_the_stored_one_kept(make_resources: Callable[[], Resources]):
    resources = make_resources()
    deps = dependencies(resources)
    first = transaction_body("ann", transaction_id="t-once", amount="10.00")
    handle(kinesis_event([first]), deps)

    response = handle(kinesis_event([{**first, "amount": "9999.00"}], 3000), deps)

    assert failures(response) == []
    (message,) = quarantined(resources)
    assert message["reason"].startswith("conflicting_resubmission")
    (item,) = state(resources)[0]
    assert str(item["amount"]) in ("10", "10.00")
    assert len(lake_keys(resources)) == 1  # the rejected content is never archived


def fail_put_object(session: Any) -> list[bool]:
    """S3 answers SlowDown to every PutObject while the returned switch holds True."""
    outage = [True]

    def hook(**_: Any) -> tuple[AWSResponse, dict[str, Any]] | None:
        if not outage[0]:
            return None
        error = {"Code": "SlowDown", "Message": "Please reduce your request rate."}
        return AWSResponse("https://s3", 503, {}, None), {"Error": error, "ResponseMetadata": {}}

    session.events.register("before-call.s3.PutObject", hook)
    return outage


def test_an_s3_outage_never_stops_the_system_of_record(make_resources: Callable[[], Resources]):
    """Before: the raw archive was written first, so while S3 throttled nothing was stored at all."""
    resources = make_resources()
    outage = fail_put_object(resources.session)
    deps = dependencies(resources)
    event = kinesis_event([transaction_body(f"c{i}") for i in range(40)])

    with pytest.raises(ArchiveUnavailable):  # a function error: the mapping bisects and retries the batch
        handle(event, deps)

    assert len(state(resources)[0]) == 40  # but already stored, once
    assert lake_keys(resources) == []
    outage[0] = False
    assert failures(handle(event, deps)) == []  # S3 is back: the redelivery is all duplicates, archived now
    (key,) = lake_keys(resources)
    body = resources.client("s3").get_object(Bucket=resources.bucket, Key=key)["Body"].read()
    assert len(gzip.decompress(body).splitlines()) == 40
    assert len(state(resources)[0]) == 40
    profiles = state(resources)[1]
    assert {p["total_transactions"] for p in profiles} == {1}


def test_once_a_quarantine_send_fails_the_bad_records_after_it_are_not_sent_now_but_retried(
    make_resources: Callable[[], Resources],
):
    """Before: every bad record after a failed send was sent anyway, and sent again on the redelivery."""
    resources = make_resources()
    sends: list[int] = []

    def fail_the_second(**_: Any) -> tuple[AWSResponse, dict[str, Any]] | None:
        sends.append(1)
        if len(sends) != 2:
            return None
        error = {"Code": "AWS.SimpleQueueService.ServiceUnavailable", "Message": "try later"}
        return AWSResponse("https://sqs", 503, {}, None), {"Error": error, "ResponseMetadata": {}}

    resources.session.events.register("before-call.sqs.SendMessage", fail_the_second)
    event = kinesis_event([b"bad 1", b"bad 2", transaction_body("ann"), b"bad 3", b"bad 4"])
    sequences = [r["kinesis"]["sequenceNumber"] for r in event["Records"]]

    response = handle(event, dependencies(resources))

    assert failures(response) == [sequences[1], sequences[3], sequences[4]]
    assert len(sends) == 2  # bad 1 sent, bad 2 failed (botocore retries its 503 within the one call), no more
    assert [m["payload"] for m in quarantined(resources)] == ["bad 1"]
