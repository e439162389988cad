"""A record no retry can fix gets the same reason from the processor (its quarantine, on moto) and from the backtest
(its rejections): both read a record with one function, `adapters.records.parse_record`. The differential harness
compares the two quarantines line by line; it found that they worded every JSON-level problem differently, and that
a deeply nested line stopped the whole backtest with RecursionError."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from domain.policy import FraudPolicy
from handlers.bootstrap import bootstrap
from handlers.processor import handle
from handlers.settings import Settings
from securebank.lab.backtest import Backtest
from tests.conftest import Resources, kinesis_event

POISON = {
    "not JSON": b'{"transaction_id": "t1", ',
    "not UTF-8": b'\xff\xfe{"transaction_id": "t1"}',
    "NaN": b'{"amount": NaN}',
    "duplicate key": b'{"amount": "1.00", "amount": "2.00"}',
    "lone surrogate in a value": b'{"merchant_id": "\\ud800"}',
    "lone surrogate in a key": b'{"\\udc00": 1}',
    "deeply nested": b"[" * 20_000 + b"]" * 20_000,
    "not an object": b"[1, 2]",
    "missing fields": b'{"transaction_id": "t1"}',
}


@pytest.mark.parametrize("name", sorted(POISON))
def test_the_processor_and_the_backtest_give_a_poison_record_the_same_reason(
    make_resources: Callable[[], Resources], name: str
) -> None:
    data = POISON[name]
    resources = make_resources()
    deps = bootstrap(
        Settings(
            transactions_table=resources.transactions_table,
            customers_table=resources.customers_table,
            lake_bucket=resources.bucket,
            quarantine_queue_url=resources.quarantine_queue_url,
        ),
        resources.session,
    )

    assert handle(kinesis_event([data]), deps) == {"batchItemFailures": []}
    backtest = Backtest(FraudPolicy.default()).run([(1, data)])

    sqs = resources.client("sqs")
    (message,) = sqs.receive_message(QueueUrl=resources.quarantine_queue_url, MaxNumberOfMessages=10)["Messages"]
    reason = json.loads(message["Body"])["reason"]
    assert [str(r) for r in backtest.rejections] == [f"line 1: {reason}"]
    assert backtest.decisions == []


def test_json_that_is_not_json_is_named_with_where_it_breaks() -> None:
    backtest = Backtest(FraudPolicy.default()).run([(7, '{"a": ')])

    (rejection,) = backtest.rejections
    assert str(rejection) == "line 7: body: is not JSON (Expecting value: line 1 column 7 (char 6))"
