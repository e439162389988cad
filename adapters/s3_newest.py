"""The newest published object under an S3 prefix, parsed, checked and cached for a TTL: how the processor follows
published config by its newest key (the merchant-risk snapshot). The fraud policy is not followed this way: the
release record says which version is in force (adapters/s3_policy.py).

The newest object is the one whose key parses to the greatest order (a snapshot's date) by the
feed's strict key pattern in contracts/aws.py, never the lexically last key: a key of any other shape
(`zz-hotfix.json`) is ignored, and logged once. An object rewritten under the same key (a rerun of the day's job) is
seen by its new ETag.

Nothing a published object holds can stop the processor. An object larger than CONFIG_MAX_OBJECT_BYTES, or whose
parsing raises anything at all (RecursionError of a deeply nested document included), or that the feed's rules
refuse (`Refused`) is a refusal: logged, counted (`ConfigRefusedCount`, dimension `config`), the value in force
stays, and that key and ETag are not downloaded again until the object changes. Whatever happens, the next look is a
TTL later: the expiry is set before the refresh, so a failing refresh backs off too. An S3 error while listing or
getting is logged and retried after the TTL, but is not a refusal (the object itself may be fine).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

from botocore.exceptions import BotoCoreError, ClientError

from contracts.aws import CONFIG_MAX_OBJECT_BYTES, DEFAULT_POLICY_CACHE_SECONDS, LAKE_BUCKET

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

T = TypeVar("T")
K = TypeVar("K", int, date)  # the order parsed from a key: a policy version, a snapshot date
_log = logging.getLogger(__name__)
_REASON_CHARS = 300


class Refused(ValueError):
    """A published object that parses but may not be put in force; the message says why."""


class RefusalMetrics(Protocol):
    def record_config_refused(self, config: str) -> None: ...


class NewestObject(Generic[T, K]):
    """Subclasses say where (`prefix`), what (`what`, for the log; `config`, the metric's dimension), which keys are
    theirs and in what order (`order_of`), how to parse and check an object (`parse`, raising to refuse it) and what
    is in force before any object is accepted (`initial`)."""

    prefix: str
    what: str
    config: str

    def __init__(
        self,
        client: S3Client,
        bucket: str = LAKE_BUCKET,
        *,
        ttl_seconds: float = DEFAULT_POLICY_CACHE_SECONDS,
        monotonic: Callable[[], float] = time.monotonic,
        logger: logging.Logger | Any = _log,
        metrics: RefusalMetrics | None = None,
    ) -> None:
        self._client = client
        self._bucket = bucket
        self._ttl = ttl_seconds
        self._monotonic = monotonic
        self._log = logger
        self._metrics = metrics
        self.value: T = self.initial()
        self.key: str | None = None
        self.order: K | None = None
        """The order of the key in force (None while the initial value is)."""
        self._etag: str | None = None
        self._refused: tuple[str, str] | None = None
        self._ignored: set[str] = set()
        self._expires: float | None = None

    def initial(self) -> T:
        raise NotImplementedError

    def order_of(self, key: str) -> K | None:
        """The key's version or date by the feed's key pattern; None for a key that is not the feed's."""
        raise NotImplementedError

    def parse(self, body: bytes, order: K) -> T:
        """The value of an object whose key has `order`; raises (anything) when it may not be put in force."""
        raise NotImplementedError

    def current(self) -> T:
        now = self._monotonic()
        if self._expires is None or now >= self._expires:
            self._expires = now + self._ttl  # before the refresh: a failing one waits a TTL too
            self._refresh()
        return self.value

    def _refresh(self) -> None:
        try:
            newest = self._newest()
            if newest is None:
                return
            key, etag, size, order = newest
            if (key, etag) in ((self.key, self._etag), self._refused):
                return
            if size > CONFIG_MAX_OBJECT_BYTES:
                self._refuse(key, etag, f"{size} bytes, more than the {CONFIG_MAX_OBJECT_BYTES} accepted")
                return
            response = self._client.get_object(Bucket=self._bucket, Key=key)
            etag = response.get("ETag", etag)  # the version read, should it have changed since the listing
            body = response["Body"].read(CONFIG_MAX_OBJECT_BYTES + 1)
        except (ClientError, BotoCoreError) as exc:
            self._log.error("%s not loaded; keeping %s: %s", self.what, self.key or "the initial one", exc)
            return
        try:
            if len(body) > CONFIG_MAX_OBJECT_BYTES:
                raise Refused(f"more than the {CONFIG_MAX_OBJECT_BYTES} bytes accepted")
            value = self.parse(body, order)
        except Exception as exc:  # whatever a published object makes the parser raise: a refusal, never a crash
            self._refuse(key, etag, f"{type(exc).__name__}: {exc}")
            return
        self.value, self.key, self._etag, self.order = value, key, etag, order
        self._log.info(f"{self.what} loaded", extra={"key": key})

    def _refuse(self, key: str, etag: str, reason: str) -> None:
        self._refused = (key, etag)
        if len(reason) > _REASON_CHARS:
            reason = reason[:_REASON_CHARS] + "..."
        self._log.error("%s %s refused; keeping %s: %s", self.what, key, self.key or "the initial one", reason)
        if self._metrics is not None:
            self._metrics.record_config_refused(self.config)

    def _newest(self) -> tuple[str, str, int, K] | None:
        """(key, ETag, size, order) of the feed's object with the greatest order."""
        newest: tuple[str, str, int, K] | None = None
        paginator = self._client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self._bucket, Prefix=self.prefix):
            for obj in page.get("Contents", []):
                key = obj["Key"]
                order = self.order_of(key)
                if order is None:
                    self._ignore(key)
                elif newest is None or order > newest[3]:
                    newest = (key, obj.get("ETag", ""), obj.get("Size", 0), order)
        return newest

    def _ignore(self, key: str) -> None:
        if key not in self._ignored:
            self._ignored.add(key)
            self._log.warning("%s: ignoring %s, which is not a key the publisher writes", self.what, key)
