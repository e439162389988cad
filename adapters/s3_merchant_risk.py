"""Confirmed fraud per merchant, as the daily job published it: the newest snapshot under MERCHANT_RISK_PREFIX.

Cached for the same TTL as the policy, so it costs one ListObjectsV2 per container and TTL (and one GetObject when
a new day is published), not a call per batch. Until a snapshot exists, or while none can be read, the merchant
rule sees no confirmed fraud (or the last snapshot read) and cannot trigger on its own.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from adapters.s3_newest import NewestObject
from adapters.serialization import InvalidMerchantRisk, merchant_risk_from_json
from contracts.aws import DEFAULT_POLICY_CACHE_SECONDS, LAKE_BUCKET, MERCHANT_RISK_PREFIX
from domain.merchant_risk import NO_MERCHANT_RISK, MerchantRisk

_log = logging.getLogger(__name__)


def _parse(body: bytes) -> MerchantRisk:
    return merchant_risk_from_json(body)[0]


class S3MerchantRiskSource:
    def __init__(
        self,
        client: Any,
        bucket: str = LAKE_BUCKET,
        *,
        ttl_seconds: float = DEFAULT_POLICY_CACHE_SECONDS,
        monotonic: Callable[[], float] = time.monotonic,
        logger: logging.Logger | Any = _log,
    ) -> None:
        self._newest = NewestObject(
            client, bucket, MERCHANT_RISK_PREFIX, _parse, NO_MERCHANT_RISK,
            what="merchant risk", invalid=InvalidMerchantRisk, ttl_seconds=ttl_seconds, monotonic=monotonic,
            logger=logger,
        )  # fmt: skip

    def current(self) -> MerchantRisk:
        return self._newest.current()
