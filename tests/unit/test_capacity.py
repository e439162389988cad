"""The capacity model's arithmetic on a worked example, its choice of the binding limit, and the command's JSON."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import attrs
import pytest

from securebank.__main__ import main
from securebank.measure.capacity import plan
from securebank.measure.capacity_cost import on_demand_kinesis_per_million
from securebank.measure.capacity_limits import StackLimits, stack_limits
from securebank.measure.capacity_work import DEFAULT_BENCH_REPORT, DEFAULT_WORK, BatchWork

WORK = BatchWork(
    batch_size=100,
    calls_per_100={"dynamodb.BatchGetItem": 1.0, "dynamodb.TransactWriteItems": 2.0, "s3.PutObject": 1.0},
    write_units_per_transaction=7.0,
    read_units_per_transaction=1.0,
    compute_ms_per_batch=100.0,
    aws_latency_seconds={"dynamodb": 0.010, "s3": 0.020},
    record_bytes=262.144,  # 1,000 records/s of it are 0.25 MiB/s
    log_bytes_per_transaction=0.0,
)
STACK = StackLimits(
    stack="example",
    shard_mode="PROVISIONED",
    shard_count=2,
    reserved_concurrency=1000,
    other_reserved_concurrency=201,
    memory_mb=1769,  # one vCPU: the measured compute is not scaled
    batch_size=100,
    batching_window_seconds=1,
    parallelization_factor=1,
    stage_rate=10_000,
    stage_burst=5_000,
    client_rate=1_000,
    client_burst=2_000,
    api_keys=1,
    waf_limit_per_ip=20_000,
)


def _limit(report: dict, name: str) -> dict:
    return next(limit for limit in report["limits"] if limit["name"] == name)


def test_worked_example_at_1000_rps():
    """Hand-computed, 1,000 tx/s, 262.144-byte records, 100 ms of compute and 50 ms of calls per batch of 100:
    - shards = ceil(max(1000 x 262.144 / 1 MiB, 1000 / 1000) / 0.8) = ceil(max(0.25, 1.0) / 0.8) = ceil(1.25) = 2;
    - invocation of a full batch = 100 + (1 + 2) x 10 + 1 x 20 = 150 ms, so one lane does 100 / 0.15 = 666.7 tx/s;
      lanes = ceil(1000 / (666.7 x 0.8)) = ceil(1.875) = 2; ParallelizationFactor = ceil(2 / 2 shards) = 1;
      concurrency = 2 shards x 1 = 2;
    - a lane gets 500 tx/s: a batch of 100 fills in 200 ms (< the 1 s window); end to end = 200 + 150 = 350 ms;
    - write units (contracts/aws.py: one dense GSI, one sparse, one LSI): Transactions 2 (item) + 1 (LSI) = 3,
      TransactionIdIndex 1, ReviewIndex 0 (nothing flagged), Customers 7 - 4 = 3: 7,000 WRU/s; 1,000 RRU/s;
    - the 2 configured shards carry 2 x 1,000 = 2,000 tx/s (50%); PF 1 on 2 shards: 2 x 666.7 = 1,333.3 tx/s (75%):
      the closest limit, not yet binding; API Gateway 10%;
    - cost per million: API 3.5000 + Kinesis (1 payload unit 0.0140 + 2 shards x 1e6 / 1000 / 3600 h x 0.015
      = 0.0083) 0.0223 + Lambda, arm64 (10,000 x 0.2e-6 + 1,500 s x 0.5 GB x 0.0000133334) 0.0120 + DynamoDB
      (7 x 0.625 + 1 x 0.125) 4.5000 + S3 (10,000 x 0.005 / 1000) 0.0500 = 8.0843 a million; a month of
      1,000 x 730 x 3600 = 2,628 million: 8.0843 x 2,628 = 21,245.54."""
    report = plan(1000, WORK, STACK)

    assert (report["shards"], report["parallelization_factor"], report["concurrency"]) == (2, 1, 2)
    assert report["end_to_end_ms"] == 350
    assert report["latency_ms"] == {"batching": 200, "invocation_before_writes": 130, "writes": 20}
    assert report["wcu_per_second"] == 7000 and report["rcu_per_second"] == 1000
    assert report["wcu_per_second_by_table"] == {
        "transactions_table": 3000,
        "customers_table": 3000,
        "TransactionIdIndex": 1000,
        "ReviewIndex": 0,  # sparse: nothing is flagged in this example
    }
    assert _limit(report, "kinesis_provisioned_shards")["capacity_rps"] == 2000
    assert _limit(report, "event_source_parallelization_factor")["capacity_rps"] == pytest.approx(1333.3)
    assert (report["binding_limit"], report["binding_utilisation"], report["binds"]) == (
        "event_source_parallelization_factor",
        0.75,
        False,
    )
    assert report["cost_per_month_by_stream_mode_usd"]["PROVISIONED"] == "21245.54"
    assert report["cost_per_million_excluding_api_usd"] == "4.58"


def test_worked_example_at_10000_rps_needs_more_shards_and_parallelism_and_the_configured_ones_bind():
    """10,000 tx/s: shards = ceil(max(2.5, 10) / 0.8) = 13; lanes = ceil(10000 / 533.3) = 19, PF = ceil(19 / 13) = 2,
    concurrency 26. As configured (2 shards, PF 1) the lanes carry 1,333.3 tx/s: 750%, the first limit that binds."""
    report = plan(10_000, WORK, STACK)

    assert (report["shards"], report["parallelization_factor"], report["concurrency"]) == (13, 2, 26)
    assert report["binding_limit"] == "event_source_parallelization_factor" and report["binds"]
    assert report["change"] == "contracts/aws.py EVENT_SOURCE parallelization_factor: 2 (with 13 shards)"
    exceeded = {limit["name"] for limit in report["limits"] if limit["utilisation"] >= 1}
    assert exceeded == {
        "event_source_parallelization_factor",
        "kinesis_provisioned_shards",
        "api_gateway_account_throttle",
        "api_gateway_stage_rate",
    }


def test_with_the_sized_stream_the_api_gateway_throttle_binds_first_at_10000_rps_and_nothing_at_1000():
    sized = attrs.evolve(STACK, shard_count=13, parallelization_factor=2)

    at_1000, at_10000 = plan(1000, WORK, sized), plan(10_000, WORK, sized)

    assert (at_1000["binding_limit"], at_1000["binds"]) == ("api_gateway_account_throttle", False)
    assert (at_10000["binding_limit"], at_10000["binds"]) == ("api_gateway_account_throttle", True)
    assert at_10000["change"].startswith("Service Quotas")


def test_the_specification_stack_suffices_at_1000_rps_but_not_its_10000_wcu_at_10000_rps():
    """The busiest table at 10,000 tx/s is Transactions with its local index: 3 WRU x 10,000 = 30,000 > 10,000."""
    assert all(check["sufficient"] for check in plan(1000, WORK, STACK)["seed"].values())
    seed = plan(10_000, WORK, STACK)["seed"]
    assert seed["wcu"] == {"seed": 10_000, "needed": 30_000, "sufficient": False}
    assert seed["concurrency"]["sufficient"] and seed["rcu"]["sufficient"]


def test_a_client_is_limited_by_the_waf_below_its_usage_plan():
    """20,000 requests per 5 minutes per IP is 66.7 tx/s; 10,000 tx/s need 150 source IPs and 10 API keys."""
    client = plan(10_000, WORK, STACK)["per_client"]

    assert client["max_rps_per_client_from_one_ip"] == pytest.approx(66.7)
    assert (client["api_keys_needed"], client["source_ips_needed"]) == (10, 150)
    assert "300000" in client["change"]


def test_flagged_transactions_cost_a_second_kilobyte_where_they_are_written():
    """All flagged: Transactions (2 + 1) x 2 = 6, TransactionIdIndex 2, the sparse ReviewIndex 2 (every item is an
    open case), Customers unchanged 3: 13 WRU a transaction."""
    assert plan(1000, WORK, STACK, flag_rate=1.0)["wcu_per_second"] == 13_000


def test_the_sparse_review_index_costs_only_the_flagged_share():
    """At 2 % flagged the review queue takes 0.02 x 2 = 0.04 WRU a transaction: 40 WRU/s at 1,000 tx/s."""
    assert plan(1000, WORK, STACK, flag_rate=0.02)["wcu_per_second_by_table"]["ReviewIndex"] == 40


def test_on_demand_kinesis_is_priced_per_stream_hour_and_per_kilobyte_in_and_out():
    """1,000 tx/s: 1e6 / 1000 / 3600 h x 0.04 + 1e6 x 1 KB / 1 GiB x (0.08 + 0.04) = 0.0111 + 0.1144 = 0.1256."""
    assert on_demand_kinesis_per_million(1000, 262.144).quantize(Decimal("0.0001")) == Decimal("0.1256")


def test_the_stack_settings_are_read_where_the_stack_defines_them():
    prod, dev = stack_limits("prod"), stack_limits("dev")

    assert (prod.shard_mode, prod.reserved_concurrency, dev.shard_count, dev.reserved_concurrency) == (
        "ON_DEMAND",
        1000,
        2,
        10,
    )
    assert prod.api_keys >= 1 and prod.waf_limit_per_ip > 0 and prod.batch_size == 100


def test_the_default_work_is_the_bench_report_it_cites(tmp_path: Path):
    report = tmp_path / "bench.json"
    report.write_text(json.dumps(DEFAULT_BENCH_REPORT))

    assert BatchWork.from_bench_report(json.loads(report.read_text())) == DEFAULT_WORK
    assert DEFAULT_WORK.compute_ms_per_batch == pytest.approx(116.0)  # 1.16 ms of processor CPU x 100


@pytest.mark.parametrize("rps", ["1000", "10000"])
def test_the_command_prints_the_report_as_json(rps: str, capsys: pytest.CaptureFixture[str]):
    assert main(["capacity", "--rps", rps, "--json"]) == 0

    report = json.loads(capsys.readouterr().out)
    for key in (
        "binding_limit",
        "shards",
        "parallelization_factor",
        "concurrency",
        "reserved_concurrency",
        "wcu_per_second",
        "rcu_per_second",
        "cost_per_month_usd",
        "end_to_end_ms",
    ):
        assert key in report
    assert Decimal(report["cost_per_month_usd"]) > 0
    assert report["binding_limit"] in {limit["name"] for limit in report["limits"]}


def test_an_older_bench_report_gives_the_time_outside_aws_calls_per_batch():
    """(34.44 s - 18.28 s) / 100 batches = 161.6 ms a batch."""
    older = {k: v for k, v in DEFAULT_BENCH_REPORT.items() if k != "processor_cpu_ms_per_transaction"}

    assert BatchWork.from_bench_report(older).compute_ms_per_batch == pytest.approx(161.6)
