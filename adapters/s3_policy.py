"""The fraud policy in force: the newest version under POLICY_PREFIX, cached for a TTL, the seed if there is none.

Keys are `policy_key(version)`, zero-padded, so the lexicographically last key is the newest. A policy object that
cannot be read or parsed never stops the processor: the previous policy (or the seed) stays in force.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from adapters.s3_newest import NewestObject
from adapters.serialization import policy_from_json
from contracts.aws import DEFAULT_POLICY_CACHE_SECONDS, LAKE_BUCKET, POLICY_PREFIX
from domain.policy import FraudPolicy, InvalidPolicy

_log = logging.getLogger(__name__)


class S3PolicySource:
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
            client, bucket, POLICY_PREFIX, policy_from_json, FraudPolicy.default(),
            what="fraud policy", invalid=InvalidPolicy, ttl_seconds=ttl_seconds, monotonic=monotonic, logger=logger,
        )  # fmt: skip

    def current(self) -> FraudPolicy:
        return self._newest.current()
