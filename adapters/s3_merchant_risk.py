"""Confirmed fraud per merchant, as the daily job published it: the newest snapshot under MERCHANT_RISK_PREFIX.

Cached for the same TTL as the policy, so it costs one ListObjectsV2 per container and TTL (and one GetObject when
a new day is published), not a call per batch. Until a snapshot exists, or while none can be read, the merchant
rule sees no confirmed fraud (or the last snapshot read) and cannot trigger on its own. `published_on` is the
snapshot's `as_of`, so the processor can report how old the snapshot in force is.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import date
from typing import Any

from adapters.s3_newest import NewestObject
from adapters.serialization import InvalidMerchantRisk, merchant_risk_from_json
from contracts.aws import DEFAULT_POLICY_CACHE_SECONDS, LAKE_BUCKET, MERCHANT_RISK_PREFIX
from domain.merchant_risk import NO_MERCHANT_RISK, MerchantRisk

_log = logging.getLogger(__name__)


Snapshot = tuple[MerchantRisk, date | None]
"""A snapshot and its `as_of` (None: nothing loaded yet)."""
_NONE_LOADED: Snapshot = (NO_MERCHANT_RISK, None)


def _parse(body: bytes) -> Snapshot:
    return merchant_risk_from_json(body)


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
            client, bucket, MERCHANT_RISK_PREFIX, _parse, _NONE_LOADED,
            what="merchant risk", invalid=InvalidMerchantRisk, ttl_seconds=ttl_seconds, monotonic=monotonic,
            logger=logger,
        )  # fmt: skip

    def current(self) -> MerchantRisk:
        return self._newest.current()[0]

    @property
    def published_on(self) -> date | None:
        """The `as_of` of the snapshot in force (None until one is loaded): how stale `current()` is."""
        return self._newest.value[1]
