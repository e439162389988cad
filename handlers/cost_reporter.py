"""Daily (EventBridge schedule): yesterday's spend from Cost Explorer, published as `SecureBank/Costs` DailySpend
through EMF. One Cost Explorer call ($0.01) a day; no CloudWatch API call."""

from __future__ import annotations

import functools
from datetime import timedelta
from typing import Any

from handlers.bootstrap import CostReporterDependencies, bootstrap_cost_reporter
from handlers.settings import Settings


@functools.cache
def _dependencies() -> CostReporterDependencies:
    return bootstrap_cost_reporter(Settings.from_env())


def lambda_handler(event: dict[str, Any], context: object) -> dict[str, Any]:
    return handle(event, _dependencies())


def handle(event: dict[str, Any], deps: CostReporterDependencies) -> dict[str, Any]:
    day = deps.clock.now().date() - timedelta(days=1)
    spend = deps.spend.daily_spend(day)
    deps.metrics.record_daily_spend(day, spend)
    deps.logger.info("daily spend published", extra={"date": day.isoformat(), "spend_usd": str(spend)})
    return {"date": day.isoformat(), "spend_usd": str(spend)}
