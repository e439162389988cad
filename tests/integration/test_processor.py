"""The processor Lambda end to end against moto: Kinesis event in, DynamoDB + S3 + SQS state and the response out."""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import attrs
import pytest
from botocore.awsrequest import AWSResponse
from botocore.exceptions import ClientError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.items import from_attribute_values
from adapters.memory import FixedClock, RecordingMetrics
from adapters.policy_store import S3Objects, publish_active
from contracts import aws
from handlers.bootstrap import ProcessorDependencies, bootstrap
from handlers.processor import handle
from handlers.settings import Settings
from tests.conftest import Resources, kinesis_event, transaction_body

MOTO = settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def dependencies(resources: Resources) -> ProcessorDependencies:
    deps = bootstrap(
        Settings(
            transactions_table=resources.transactions_table,
            customers_table=resources.customers_table,
            lake_bucket=resources.bucket,
            quarantine_queue_url=resources.quarantine_queue_url,
        ),
        resources.session,
    )
    return attrs.evolve(deps, ports=attrs.evolve(deps.ports, clock=FixedClock(datetime(2024, 3, 2, tzinfo=UTC))))


def table(resources: Resources, name: str) -> list[dict[str, Any]]:
    pages = resources.client("dynamodb").get_paginator("scan").paginate(TableName=name, ConsistentRead=True)
    items = [from_attribute_values(i) for page in pages for i in page["Items"]]
    return sorted(items, key=lambda i: json.dumps(i, sort_keys=True, default=str))


def state(resources: Resources) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    return table(resources, resources.transactions_table), table(resources, resources.customers_table)


def lake_keys(resources: Resources) -> list[str]:
    listing = resources.client("s3").list_objects_v2(Bucket=resources.bucket, Prefix=aws.RAW_TRANSACTIONS_PREFIX)
    return sorted(o["Key"] for o in listing.get("Contents", []))


def quarantined(resources: Resources) -> list[dict[str, Any]]:
    sqs = resources.client("sqs")
    messages = sqs.receive_message(QueueUrl=resources.quarantine_queue_url, MaxNumberOfMessages=10)
    return [json.loads(m["Body"]) for m in messages.get("Messages", [])]


def failures(response: dict[str, Any]) -> list[str]:
    return [f["itemIdentifier"] for f in response["batchItemFailures"]]


def test_stores_each_transaction_with_its_decision_and_archives_the_batch(
    make_resources: Callable[[], Resources],
) -> None:
    resources = make_resources()
    bodies = [transaction_body("alice"), transaction_body("bob"), transaction_body("alice")]
    event = kinesis_event(bodies)

    response = handle(event, dependencies(resources))

    assert failures(response) == []
    transactions, profiles = state(resources)
    assert sorted(t["transaction_id"] for t in transactions) == sorted(b["transaction_id"] for b in bodies)
    assert all({"risk_score", "is_fraud", "triggered_rules", "reasons", "policy_version"} <= t.keys()
               for t in transactions)  # fmt: skip
    assert {p["customer_id"]: p["total_transactions"] for p in profiles} == {"alice": 2, "bob": 1}
    (key,) = lake_keys(resources)
    first, last = (r["kinesis"]["sequenceNumber"] for r in (event["Records"][0], event["Records"][-1]))
    assert key == aws.raw_object_key("year=2024/month=03/day=01/hour=12/", "shardId-000000000000", first, last)
    body = resources.client("s3").get_object(Bucket=resources.bucket, Key=key)["Body"].read()
    lines = gzip.decompress(body).decode().splitlines()
    assert [json.loads(line)["transaction_id"] for line in lines] == [b["transaction_id"] for b in bodies]


@st.composite
def batches(draw: st.DrawFn) -> list[dict[str, Any]]:
    customers = draw(st.lists(st.sampled_from(["ann", "ben", "cat"]), min_size=1, max_size=8))
    amounts = st.sampled_from(["5.00", "99.99", "12000.00"])
    return [
        transaction_body(c, transaction_id=f"t{i}", timestamp=f"2024-03-01T12:{i:02d}:00Z", amount=draw(amounts))
        for i, c in enumerate(customers)
    ]


@MOTO
@given(batch=batches(), redeliveries=st.lists(st.lists(st.booleans(), min_size=8, max_size=8), max_size=3))
def test_a_redelivered_batch_any_number_of_times_and_any_subset_changes_nothing(
    make_resources: Callable[[], Resources], batch: list[dict[str, Any]], redeliveries: list[list[bool]]
) -> None:
    resources = make_resources()
    deps = dependencies(resources)
    event = kinesis_event(batch)
    assert failures(handle(event, deps)) == []
    once, lake = state(resources), lake_keys(resources)

    for keep in redeliveries:
        subset = [r for r, k in zip(event["Records"], keep, strict=False) if k]
        assert failures(handle({"Records": subset}, deps)) == []
    assert failures(handle(event, deps)) == []

    assert state(resources) == once
    if not any(any(k) for k in redeliveries):
        assert lake_keys(resources) == lake  # a whole-batch retry overwrites its own archive object


def test_a_poison_record_is_quarantined_and_the_rest_are_stored(make_resources: Callable[[], Resources]) -> None:
    resources = make_resources()
    good = [transaction_body("dan"), transaction_body("eve")]
    event = kinesis_event([good[0], b"{not json", transaction_body("dan", amount="-3"), good[1]])

    response = handle(event, dependencies(resources))

    assert failures(response) == []
    assert sorted(t["transaction_id"] for t in state(resources)[0]) == sorted(b["transaction_id"] for b in good)
    messages = sorted(quarantined(resources), key=lambda m: m["source"])
    assert [m["reason"] for m in messages] == [
        "body: is not JSON (Expecting property name enclosed in double quotes: line 1 column 2 (char 1))",
        "amount: must be greater than 0",
    ]
    assert messages[0]["payload"] == "{not json"
    assert messages[0]["source"].endswith(event["Records"][1]["kinesis"]["sequenceNumber"])


def throttle_first_call(session: Any) -> list[int]:
    """Make the first TransactWriteItems call fail as DynamoDB does when throttled (botocore event hook)."""
    calls: list[int] = []

    def hook(**_: Any) -> tuple[AWSResponse, dict[str, Any]] | None:
        calls.append(1)
        if len(calls) > 1:
            return None
        error = {"Code": "ProvisionedThroughputExceededException", "Message": "Rate of requests exceeds capacity"}
        return AWSResponse("https://dynamodb", 400, {}, None), {"Error": error, "ResponseMetadata": {}}

    session.events.register("before-call.dynamodb.TransactWriteItems", hook)
    return calls


def test_a_throttled_write_reports_its_records_first_and_writes_nothing_partial(
    make_resources: Callable[[], Resources],
) -> None:
    resources, reference = make_resources(), make_resources()
    bodies = [transaction_body(f"cust{i}") for i in range(60)]  # 120 actions: 2 calls of 50 customers
    event = kinesis_event(bodies)
    assert failures(handle(event, dependencies(reference))) == []
    calls = throttle_first_call(resources.session)
    deps = dependencies(resources)

    response = handle(event, deps)

    assert len(calls) == 2
    sequences = [r["kinesis"]["sequenceNumber"] for r in event["Records"]]
    assert failures(response) == sequences[:50]  # the first call's 50 customers, lowest sequence number first
    transactions, profiles = state(resources)
    assert sorted(t["customer_id"] for t in transactions) == sorted(p["customer_id"] for p in profiles)
    assert sorted(p["customer_id"] for p in profiles) == sorted(f"cust{i}" for i in range(50, 60))

    redelivered = {"Records": event["Records"][sequences.index(failures(response)[0]) :]}
    assert failures(handle(redelivered, deps)) == []
    assert state(resources) == state(reference)


@pytest.mark.parametrize("count", [aws.TRANSACT_WRITE_MAX_ACTIONS])
def test_one_customer_over_the_atomic_write_limit_waits_for_the_next_delivery(
    make_resources: Callable[[], Resources], count: int
) -> None:
    resources = make_resources()
    deps = dependencies(resources)
    bodies = [transaction_body("busy", timestamp=f"2024-03-01T12:00:{i % 60:02d}.{i:06d}Z") for i in range(count)]
    event = kinesis_event(bodies)

    response = handle(event, deps)

    assert failures(response) == [event["Records"][-1]["kinesis"]["sequenceNumber"]]
    assert failures(handle({"Records": event["Records"][-1:]}, deps)) == []
    (profile,) = state(resources)[1]
    assert profile["total_transactions"] == count == len(state(resources)[0])


def inject_faults(session: Any, faults: list[str | int]) -> None:
    """Answer successive TransactWriteItems calls from `faults`: "ok", "throttle" (the whole call), or an action
    index whose item is cancelled with a ThrottlingError (the other actions: "None"), as DynamoDB reports it."""
    pending = list(faults)

    def hook(params: dict[str, Any], **_: Any) -> tuple[AWSResponse, dict[str, Any]] | None:
        fault = pending.pop(0) if pending else "ok"
        if fault == "ok":
            return None
        if fault == "throttle":
            error = {"Code": "ProvisionedThroughputExceededException", "Message": "throttled"}
            return AWSResponse("https://dynamodb", 400, {}, None), {"Error": error, "ResponseMetadata": {}}
        actions = len(json.loads(params["body"])["TransactItems"])
        reasons = [{"Code": "ThrottlingError" if i == int(fault) % actions else "None"} for i in range(actions)]
        error = {"Code": "TransactionCanceledException", "Message": "cancelled"}
        return AWSResponse("https://dynamodb", 400, {}, None), {"Error": error, "CancellationReasons": reasons,
                                                                 "ResponseMetadata": {}}  # fmt: skip

    session.events.register("before-call.dynamodb.TransactWriteItems", hook)


@MOTO
@given(
    batch=batches(),
    faults=st.lists(st.sampled_from(["ok", "throttle"]) | st.integers(0, 20), max_size=6),
)
def test_failed_writes_redelivered_from_the_checkpoint_converge_to_one_clean_delivery(
    make_resources: Callable[[], Resources], batch: list[dict[str, Any]], faults: list[str | int]
) -> None:
    reference, resources = make_resources(), make_resources()
    event = kinesis_event(batch)
    assert failures(handle(event, dependencies(reference))) == []
    inject_faults(resources.session, faults)
    deps = dependencies(resources)
    sequences = [r["kinesis"]["sequenceNumber"] for r in event["Records"]]

    records = event["Records"]
    for _ in range(len(faults) + 1):
        failed = failures(handle({"Records": records}, deps))
        assert failed == sorted(failed, key=int)
        if not failed:
            break
        records = event["Records"][sequences.index(failed[0]) :]  # the event source mapping's checkpoint

    assert not failed
    assert state(resources) == state(reference)


def test_a_record_that_cannot_be_quarantined_now_is_reported_for_retry(make_resources: Callable[[], Resources]):
    resources = make_resources()
    error = {"Code": "AWS.SimpleQueueService.NonExistentQueue", "Message": "gone"}
    resources.session.events.register(
        "before-call.sqs.SendMessage",
        lambda **_: (AWSResponse("https://sqs", 400, {}, None), {"Error": error, "ResponseMetadata": {}}),
    )
    event = kinesis_event([transaction_body("gus"), b"\xff\xfe not utf-8", transaction_body("gus")])

    response = handle(event, dependencies(resources))

    assert failures(response) == [event["Records"][1]["kinesis"]["sequenceNumber"]]
    assert len(state(resources)[0]) == 2


def test_a_failed_profile_read_fails_the_whole_batch_and_writes_nothing(make_resources: Callable[[], Resources]):
    resources = make_resources()
    error = {"Code": "InternalServerError", "Message": "boom"}
    resources.session.events.register(
        "before-call.dynamodb.BatchGetItem",
        lambda **_: (AWSResponse("https://dynamodb", 500, {}, None), {"Error": error, "ResponseMetadata": {}}),
    )

    with pytest.raises(ClientError):
        handle(kinesis_event([transaction_body("hal")]), dependencies(resources))

    assert state(resources) == ([], [])


def test_lambda_handler_builds_its_dependencies_from_the_environment_once(
    make_resources: Callable[[], Resources], monkeypatch: pytest.MonkeyPatch
) -> None:
    from handlers import processor

    resources = make_resources()
    for name, value in {aws.ENV_TRANSACTIONS_TABLE: resources.transactions_table,
                        aws.ENV_CUSTOMERS_TABLE: resources.customers_table, aws.ENV_LAKE_BUCKET: resources.bucket,
                        aws.ENV_QUARANTINE_QUEUE_URL: resources.quarantine_queue_url}.items():  # fmt: skip
        monkeypatch.setenv(name, value)
    processor._dependencies.cache_clear()
    try:
        first = processor.lambda_handler(kinesis_event([transaction_body("ida")]), None)
        second = processor.lambda_handler(kinesis_event([transaction_body("ida")], first_sequence=2000), None)
        assert processor._dependencies.cache_info().misses == 1
    finally:
        processor._dependencies.cache_clear()

    assert failures(first) == failures(second) == []
    assert [p["total_transactions"] for p in state(resources)[1]] == [2]


def test_a_bad_record_after_a_failed_one_is_quarantined_once_on_redelivery(make_resources: Callable[[], Resources]):
    resources = make_resources()
    throttle_first_call(resources.session)
    deps = dependencies(resources)
    event = kinesis_event([b"first bad", transaction_body("jon"), b"second bad", transaction_body("kim")])
    sequences = [r["kinesis"]["sequenceNumber"] for r in event["Records"]]

    assert failures(handle(event, deps)) == [sequences[1], sequences[3]]
    assert [m["payload"] for m in quarantined(resources)] == ["first bad"]
    assert failures(handle({"Records": event["Records"][1:]}, deps)) == []

    assert [m["payload"] for m in quarantined(resources)] == ["second bad"]
    assert len(state(resources)[0]) == 2


def test_a_payment_at_a_merchant_with_confirmed_fraud_is_flagged_once_the_policy_uses_the_feed(
    make_resources: Callable[[], Resources],
) -> None:
    from datetime import date

    from adapters.merchant_risk_codec import merchant_risk_to_json
    from domain.merchant_risk import KNOWN, MerchantDay, MerchantRisk
    from domain.policy import FraudPolicy, MerchantRiskRule

    resources = make_resources()
    s3 = resources.client("s3")
    day = date(2024, 3, 1)
    risk = MerchantRisk({"m-bad": {day.toordinal() - 8: MerchantDay(4, (KNOWN,) * 3)}})
    s3.put_object(Bucket=resources.bucket, Key=aws.merchant_risk_key(day), Body=merchant_risk_to_json(risk, day))
    bodies = [transaction_body("ann", merchant_id="m-bad"), transaction_body("bob", merchant_id="m-good")]

    seed = handle(kinesis_event(bodies), dependencies(resources))
    policy = attrs.evolve(FraudPolicy.default(), version=2, merchant_risk=MerchantRiskRule(weight=Decimal("0.9")))
    publish_active(S3Objects(s3, resources.bucket), policy)
    again = [transaction_body("ann", merchant_id="m-bad"), transaction_body("bob", merchant_id="m-good")]
    learned = handle(kinesis_event(again, first_sequence=2000), dependencies(resources))

    assert failures(seed) == failures(learned) == []
    stored = {t["transaction_id"]: t for t in state(resources)[0]}
    assert [stored[b["transaction_id"]]["is_fraud"] for b in bodies] == [False, False]  # the seed has the rule off
    flagged = [stored[b["transaction_id"]] for b in again]
    assert [t["is_fraud"] for t in flagged] == [True, False]
    assert flagged[0]["triggered_rules"] == ["merchant_risk"] and flagged[0]["policy_version"] == 2
    assert flagged[0]["reasons"][0].startswith("3 confirmed frauds (at least 2) among 4 transactions at the merchant")


def test_while_the_merchant_rule_is_off_no_merchant_risk_snapshot_is_listed_or_read(
    make_resources: Callable[[], Resources],
) -> None:
    resources = make_resources()
    prefixes: list[str] = []
    gets: list[str] = []
    resources.session.events.register(
        "provide-client-params.s3.ListObjectsV2", lambda params, **_: prefixes.append(params.get("Prefix", ""))
    )
    resources.session.events.register(
        "provide-client-params.s3.GetObject", lambda params, **_: gets.append(params["Key"])
    )

    response = handle(kinesis_event([transaction_body("ann"), transaction_body("bob")]), dependencies(resources))

    assert failures(response) == []
    assert gets == [aws.POLICY_RELEASE_KEY]  # the hooks see the processor's reads: the release record alone
    assert aws.MERCHANT_RISK_PREFIX not in prefixes  # the seed policy has the merchant rule off


def _merchant_rule_on(resources: Resources) -> None:
    from domain.policy import FraudPolicy, MerchantRiskRule

    policy = attrs.evolve(FraudPolicy.default(), version=2, merchant_risk=MerchantRiskRule(weight=Decimal("0.9")))
    publish_active(S3Objects(resources.client("s3"), resources.bucket), policy)


def _recorded(resources: Resources, at: datetime) -> tuple[ProcessorDependencies, RecordingMetrics]:
    deps, metrics = dependencies(resources), RecordingMetrics()
    return attrs.evolve(deps, ports=attrs.evolve(deps.ports, metrics=metrics, clock=FixedClock(at))), metrics


@pytest.mark.parametrize("rule_on", [True, False])
def test_while_the_merchant_rule_is_on_each_batch_reports_the_snapshot_age_in_days(
    make_resources: Callable[[], Resources], rule_on: bool
) -> None:
    from datetime import date

    from adapters.merchant_risk_codec import merchant_risk_to_json
    from domain.merchant_risk import NO_MERCHANT_RISK

    resources = make_resources()
    day = date(2024, 3, 1)
    body = merchant_risk_to_json(NO_MERCHANT_RISK, day)
    resources.client("s3").put_object(Bucket=resources.bucket, Key=aws.merchant_risk_key(day), Body=body)
    if rule_on:
        _merchant_rule_on(resources)
    deps, metrics = _recorded(resources, datetime(2024, 3, 4, 23, 59, tzinfo=UTC))

    assert failures(handle(kinesis_event([transaction_body("ann")]), deps)) == []

    assert metrics.merchant_risk_ages == ([3] if rule_on else [])


def test_with_the_merchant_rule_on_and_no_snapshot_published_the_age_is_the_sentinel(
    make_resources: Callable[[], Resources],
) -> None:
    from domain.process_batch import NO_SNAPSHOT_AGE_DAYS

    resources = make_resources()
    _merchant_rule_on(resources)
    deps, metrics = _recorded(resources, datetime(2024, 3, 4, tzinfo=UTC))

    assert failures(handle(kinesis_event([transaction_body("ann")]), deps)) == []

    assert metrics.merchant_risk_ages == [NO_SNAPSHOT_AGE_DAYS] == [999]


def raw_body(body: dict[str, Any], *extra: str) -> bytes:
    """A body as JSON text with `extra` members (raw JSON text, e.g. a key given twice) spliced in at its end."""
    text = json.dumps(body)
    return (text[:-1] + "".join(", " + member for member in extra) + "}").encode()


def test_a_record_with_a_duplicate_key_or_a_lone_surrogate_is_quarantined_with_why_and_the_rest_are_stored(
    make_resources: Callable[[], Resources],
) -> None:
    resources = make_resources()
    good = [transaction_body("fay"), transaction_body("gus")]
    bad = [
        raw_body(transaction_body("fay"), '"customer_id": "gus"'),  # API Gateway's template may read the other one
        raw_body(transaction_body("fay"))[:-2] + b', "latitude": 1.5}}',
        raw_body(transaction_body("fay"), '"\\ud800": 1'),
        json.dumps(transaction_body("fay", merchant_id="m\ud800")).encode(),
    ]
    event = kinesis_event([good[0], *bad, good[1]])

    response = handle(event, dependencies(resources))

    assert failures(response) == []
    assert sorted(t["transaction_id"] for t in state(resources)[0]) == sorted(b["transaction_id"] for b in good)
    messages = sorted(quarantined(resources), key=lambda m: m["source"])
    assert [m["reason"] for m in messages] == [
        "customer_id: is a duplicate JSON key",
        "location.latitude: is a duplicate JSON key",
        "\\ud800: is a key with a lone surrogate, which is not valid Unicode text",
        "merchant_id: contains a lone surrogate, which is not valid Unicode text",
    ]
    assert [m["payload"].encode() for m in messages] == bad
