"""`bench processor` and `demo` price a run with one model and one price table (securebank/measure/cost.py)."""

import ast
from decimal import Decimal
from pathlib import Path

import pytest

from securebank.demo import summary as demo
from securebank.demo.chaos import ProcessorInstrumentation
from securebank.measure import bench_processor as bench
from securebank.measure.aws_calls import AwsCallCounter
from securebank.measure.cost import PRICES_USD, Usage, cost_per_million

ROOT = Path(__file__).resolve().parents[2]
CALLS = {
    "dynamodb.BatchGetItem": 10,
    "dynamodb.TransactWriteItems": 10,
    "s3.PutObject": 10,
    "s3.GetObject": 1,
    "sqs.SendMessageBatch": 2,
}


def _counter() -> AwsCallCounter:
    counter = AwsCallCounter()
    counter.calls.update(CALLS)
    counter.write_units, counter.read_units = 7000.0, 1000.0
    return counter


def test_bench_processor_and_demo_give_the_same_cost_per_million_for_the_same_workload():
    counter = _counter()
    measured = {"invocations": 10, "lambda_seconds": 2.5, "record_bytes": 300.0, "log_bytes": 50_000}
    bench_usage = bench.measured_usage(counter, 1000, **measured)
    processor = ProcessorInstrumentation()
    processor.counter = counter  # the demo's mapping process counts with the same counter
    processor.invocations, processor.handler_seconds = 10, 2.5
    demo_usage = demo.measured_usage(
        1000, processor.snapshot(), 0, 300.0, bench.SHARDS, bench.ASSUMED_TRANSACTIONS_PER_SECOND, 50_000
    )

    assert cost_per_million(demo_usage) == cost_per_million(bench_usage)


def test_the_model_prices_each_service_from_the_one_table():
    usage = Usage(
        transactions=1000,
        calls=CALLS,
        write_units=7000,
        read_units=1000,
        invocations=10,
        lambda_seconds=Decimal("2.5"),
        shards=2,
        transactions_per_second=100,
        record_bytes=300,
        api_requests=1000,
        log_bytes=50_000,
    )
    cost = cost_per_million(usage)
    # per transaction: 7 WRU at $0.625/M and 1 RRU at $0.125/M -> $4.50 per million
    assert cost["dynamodb"] == Decimal("4.5000")
    assert cost["api_gateway"] == Decimal("3.5000")
    # 10 PUTs at $0.005/1000 and 1 GET at $0.0004/1000 per 1000 transactions
    assert cost["s3"] == (Decimal(10_000) * PRICES_USD["s3_put_copy_post_list"] + 1000 * PRICES_USD["s3_get"]).quantize(
        Decimal("0.0001")
    )
    # one payload unit per record; 2 shards for 10,000 s (a million at 100/s)
    assert cost["kinesis"] == Decimal("0.014") + (2 * Decimal(10_000) / 3600 * Decimal("0.015")).quantize(
        Decimal("0.0001")
    )
    assert cost["total"] == sum((v for k, v in cost.items() if k != "total"), Decimal(0)).quantize(Decimal("0.01"))


def test_a_run_that_processed_nothing_cannot_be_priced():
    with pytest.raises(ValueError, match="transactions"):
        cost_per_million(Usage(0, {}, 0, 0, 0, 0, shards=1, transactions_per_second=1))


def test_no_other_module_keeps_a_price_table():
    """The demo and the benchmark once kept one each, and the README quoted one while `demo` printed the other."""
    owners = []
    for path in sorted((ROOT / "securebank").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            targets = node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", None)]
            if isinstance(node, ast.Assign | ast.AnnAssign) and any(
                isinstance(t, ast.Name) and "PRICE" in t.id for t in targets
            ):
                owners.append(str(path.relative_to(ROOT)))
    assert owners == ["securebank/measure/cost.py"]
