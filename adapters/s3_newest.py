"""The newest object under an S3 prefix, parsed and cached for a TTL: how the processor follows published config.

Keys sort so that the lexicographically last `.json` key is the newest; an object rewritten under the same key (a
rerun of the day's job) is seen by its new ETag. An object that cannot be listed, read or parsed never stops the
processor: the error is logged and the value in force stays until the next refresh.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from botocore.exceptions import BotoCoreError, ClientError

from contracts.aws import DEFAULT_POLICY_CACHE_SECONDS, LAKE_BUCKET

T = TypeVar("T")
_log = logging.getLogger(__name__)


class NewestObject(Generic[T]):
    """Subclasses say where (`prefix`), what (`what`, for the log), how to parse an object (`parse`, raising
    `invalid` when it cannot) and what is in force before any object is read (`initial`)."""

    prefix: str
    what: str
    invalid: type[Exception]

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
        self.value: T = self.initial()
        self.key: str | None = None
        self._etag: str | None = None
        self._expires: float | None = None

    def initial(self) -> T:
        raise NotImplementedError

    def parse(self, body: bytes) -> T:
        raise NotImplementedError

    def current(self) -> T:
        now = self._monotonic()
        if self._expires is None or now >= self._expires:
            self._refresh()
            self._expires = now + self._ttl
        return self.value

    def _refresh(self) -> None:
        try:
            newest = self._newest()
            if newest is None or newest == (self.key, self._etag):
                return
            key, etag = newest
            body = self._client.get_object(Bucket=self._bucket, Key=key)["Body"].read()
            self.value = self.parse(body)
            self.key, self._etag = key, etag
            self._log.info(f"{self.what} loaded", extra={"key": key})
        except (self.invalid, ClientError, BotoCoreError) as exc:
            self._log.error("%s not loaded; keeping %s: %s", self.what, self.key or "the initial one", exc)

    def _newest(self) -> tuple[str, str] | None:
        """(key, ETag) of the newest object."""
        newest: tuple[str, str] | None = None
        paginator = self._client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self._bucket, Prefix=self.prefix):
            for obj in page.get("Contents", []):
                if obj["Key"].endswith(".json") and (newest is None or obj["Key"] > newest[0]):
                    newest = (obj["Key"], obj.get("ETag", ""))
        return newest
