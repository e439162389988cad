"""boto3 sessions and clients for the composition root. Nothing is created at import."""

from __future__ import annotations

from typing import Any

import boto3
from botocore.config import Config

CLIENT_CONFIG = Config(
    retries={"mode": "standard", "max_attempts": 3}, connect_timeout=2, read_timeout=5, parameter_validation=False
)
"""Few SDK retries: a throttled batch is better reported (batchItemFailures, redelivery) than held in the Lambda.
No client-side parameter validation: the service validates anyway, our request shapes are covered by the moto
tests, and validating two 100-action TransactWriteItems per batch cost about 1 ms per transaction (profiled)."""


def default_session() -> boto3.Session:
    return boto3.Session()


def client(session: boto3.Session, service: str, region: str | None = None) -> Any:
    """A client of `service`; boto3 itself honours AWS_ENDPOINT_URL (the local stack's moto server)."""
    return session.client(service, region_name=region, config=CLIENT_CONFIG)
