import base64
import json

import pytest

from securebank.demo.completions import read_completions, record_completions


def _data(transaction_id):
    return base64.b64encode(json.dumps({"transaction_id": transaction_id}).encode())


def _event(*ids):
    return {
        "Records": [
            {
                "kinesis": {
                    "sequenceNumber": str(n),
                    "data": base64.b64encode(json.dumps({"transaction_id": i}).encode()),
                }
            }
            for n, i in enumerate(ids, start=1)
        ]
    }


def test_records_only_the_transactions_the_invocation_did_not_report_failed(tmp_path):
    path = tmp_path / "completions.jsonl"
    handler = record_completions(lambda event, ctx: {"batchItemFailures": [{"itemIdentifier": "2"}]}, path)
    handler(_event("a", "b", "c"), None)
    assert set(read_completions(path)) == {"a", "c"}


def test_a_whole_batch_failure_or_a_crash_records_nothing(tmp_path):
    path = tmp_path / "completions.jsonl"
    record_completions(lambda event, ctx: {"batchItemFailures": [{"itemIdentifier": ""}]}, path)(_event("a"), None)

    def crash(event, ctx):
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        record_completions(crash, path)(_event("b"), None)
    assert read_completions(path) == {}


def test_keeps_the_first_completion_of_a_redelivered_transaction(tmp_path):
    path = tmp_path / "completions.jsonl"
    handler = record_completions(lambda event, ctx: {}, path)
    handler(_event("a"), None)
    first = read_completions(path)["a"]
    handler(_event("a", "b"), None)
    assert read_completions(path)["a"] == first
    assert "b" in read_completions(path)
