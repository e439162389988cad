"""The Lambda functions' settings, read from the environment variable names in contracts/aws.py."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta

from contracts import aws
from domain.receipt import TimeBounds


@dataclass(frozen=True)
class Settings:
    transactions_table: str = aws.TRANSACTIONS_TABLE.name
    customers_table: str = aws.CUSTOMERS_TABLE.name
    lake_bucket: str = aws.LAKE_BUCKET
    quarantine_queue_url: str | None = None
    policy_cache_seconds: float = aws.DEFAULT_POLICY_CACHE_SECONDS
    service: str = aws.SERVICE_NAME
    stack: str = aws.LOCAL_STACK_NAME
    """The `stack` dimension of every custom metric (ENV_STACK_NAME; the deployed functions always set it)."""
    time_bounds: TimeBounds = field(default_factory=TimeBounds)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        default = cls()
        return cls(
            transactions_table=env.get(aws.ENV_TRANSACTIONS_TABLE, default.transactions_table),
            customers_table=env.get(aws.ENV_CUSTOMERS_TABLE, default.customers_table),
            lake_bucket=env.get(aws.ENV_LAKE_BUCKET, default.lake_bucket),
            quarantine_queue_url=env.get(aws.ENV_QUARANTINE_QUEUE_URL) or None,
            policy_cache_seconds=float(env.get(aws.ENV_POLICY_CACHE_SECONDS, default.policy_cache_seconds)),
            service=env.get(aws.ENV_SERVICE_NAME, default.service),
            stack=env.get(aws.ENV_STACK_NAME) or default.stack,
            time_bounds=TimeBounds(
                _seconds(env, aws.ENV_MAX_AHEAD_SECONDS, default.time_bounds.max_ahead),
                _seconds(env, aws.ENV_MAX_BEHIND_SECONDS, default.time_bounds.max_behind),
            ),
        )


def _seconds(env: Mapping[str, str], name: str, default: timedelta) -> timedelta:
    value = env.get(name)
    if not value:
        return default
    seconds = float(value)
    if not 0 <= seconds <= 366 * 86400:
        raise ValueError(f"{name} must be from 0 to 31622400 seconds, not {value}")
    return timedelta(seconds=seconds)
