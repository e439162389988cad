"""Yesterday's AWS spend from Cost Explorer (GetCostAndUsage, DAILY, UnblendedCost), as an exact Decimal."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mypy_boto3_ce import CostExplorerClient

COST_METRIC = "UnblendedCost"


class CostExplorerSpend:
    """Cost Explorer's API lives in us-east-1 only: the client must be made there (bootstrap does)."""

    def __init__(self, client: CostExplorerClient) -> None:
        self._client = client

    def daily_spend(self, day: date) -> Decimal:
        """Total spend of `day` (UTC) in USD; days Cost Explorer has no data for count as 0."""
        total = Decimal(0)
        request: dict[str, Any] = {
            "TimePeriod": {"Start": day.isoformat(), "End": (day + timedelta(days=1)).isoformat()},
            "Granularity": "DAILY",
            "Metrics": [COST_METRIC],
        }
        while True:
            response = self._client.get_cost_and_usage(**request)
            for result in response.get("ResultsByTime", []):
                total += Decimal(result.get("Total", {}).get(COST_METRIC, {}).get("Amount", "0"))
            token = response.get("NextPageToken")
            if not token:
                return total
            request["NextPageToken"] = token
