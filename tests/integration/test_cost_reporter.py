"""The cost reporter with Cost Explorer stubbed by botocore's Stubber (moto does not track costs): it asks for
yesterday, DAILY, and publishes the exact total as SecureBank/Costs DailySpend in EMF."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import boto3
import pytest
from botocore.stub import Stubber

from adapters.cost_explorer import CostExplorerSpend
from adapters.emf_metrics import EmfCostMetrics
from adapters.memory import FixedClock
from contracts import aws
from handlers.bootstrap import CostReporterDependencies, bootstrap_cost_reporter
from handlers.cost_reporter import handle
from handlers.settings import Settings


def result(start: str, end: str, amount: str) -> dict[str, object]:
    return {"TimePeriod": {"Start": start, "End": end}, "Estimated": False, "Groups": [],
            "Total": {"UnblendedCost": {"Amount": amount, "Unit": "USD"}}}  # fmt: skip


def test_publishes_yesterdays_spend_as_daily_spend(capsys: pytest.CaptureFixture[str]):
    today = datetime.now(UTC).replace(hour=6, minute=0, second=0, microsecond=0)
    yesterday, day = (today - timedelta(days=1)).date().isoformat(), today.date().isoformat()
    client = boto3.client("ce", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    request = {"TimePeriod": {"Start": yesterday, "End": day}, "Granularity": "DAILY", "Metrics": ["UnblendedCost"]}
    with Stubber(client) as stub:
        stub.add_response("get_cost_and_usage", {"ResultsByTime": [result(yesterday, day, "1.25")],
                                                 "NextPageToken": "p2"}, request)  # fmt: skip
        stub.add_response("get_cost_and_usage", {"ResultsByTime": [result(yesterday, day, "0.0101")]},
                          {**request, "NextPageToken": "p2"})  # fmt: skip
        deps = CostReporterDependencies(
            CostExplorerSpend(client), EmfCostMetrics(), FixedClock(today),
            bootstrap_cost_reporter(Settings(), boto3.Session(region_name="us-east-1",
                                    aws_access_key_id="x", aws_secret_access_key="x")).logger,
        )  # fmt: skip
        capsys.readouterr()

        assert handle({}, deps) == {"date": yesterday, "spend_usd": "1.2601"}
        stub.assert_no_pending_responses()

    (blob,) = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    assert blob["_aws"]["CloudWatchMetrics"][0]["Namespace"] == aws.METRICS_NAMESPACE_COSTS
    assert blob[aws.METRIC_DAILY_SPEND] == [1.2601]
    assert blob["_aws"]["Timestamp"] == int((today - timedelta(days=1, hours=6)).timestamp() * 1000)


def test_the_cost_explorer_client_is_made_in_us_east_1_whatever_the_region():
    session = boto3.Session(region_name="eu-west-1", aws_access_key_id="x", aws_secret_access_key="x")

    deps = bootstrap_cost_reporter(Settings(), session)

    assert deps.spend._client.meta.endpoint_url == "https://ce.us-east-1.amazonaws.com"
