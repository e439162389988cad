"""The fraud policy in force: the newest version under POLICY_PREFIX, cached for a TTL, the seed if there is none.

Keys are `policy_key(version)`, zero-padded, so the lexicographically last key is the newest. A policy object that
cannot be read or parsed never stops the processor: the error is logged and the previous policy (or the seed) stays
in force until the next refresh.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

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
        self._client = client
        self._bucket = bucket
        self._ttl = ttl_seconds
        self._monotonic = monotonic
        self._log = logger
        self._policy = FraudPolicy.default()
        self._key: str | None = None
        self._expires: float | None = None

    def current(self) -> FraudPolicy:
        now = self._monotonic()
        if self._expires is None or now >= self._expires:
            self._refresh()
            self._expires = now + self._ttl
        return self._policy

    def _refresh(self) -> None:
        try:
            key = self._newest_key()
            if key is None or key == self._key:
                return
            body = self._client.get_object(Bucket=self._bucket, Key=key)["Body"].read()
            self._policy = policy_from_json(body)
            self._key = key
            self._log.info("fraud policy loaded", extra={"policy_key": key, "policy_version": self._policy.version})
        except (InvalidPolicy, ClientError, BotoCoreError) as exc:
            self._log.error("fraud policy not loaded; keeping version %s: %s", self._policy.version, exc)

    def _newest_key(self) -> str | None:
        newest: str | None = None
        paginator = self._client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self._bucket, Prefix=POLICY_PREFIX):
            for obj in page.get("Contents", []):
                if obj["Key"].endswith(".json") and (newest is None or obj["Key"] > newest):
                    newest = obj["Key"]
        return newest
