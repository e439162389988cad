"""The fraud policies in force, as the release record says: the active one (`current()`) and the one in shadow, if
any (`shadow()`), cached for a TTL; the seed policy while there is no release record.

Every TTL the record (POLICY_RELEASE_KEY) is read with one GetObject, never a listing: the processor may only get
objects under config/fraud-policy/. An unchanged ETag ends the look there. A changed record is parsed and the
versions it names are read from `policy_key(N)`; versions are immutable, so each is downloaded once and kept by
number. What is in force changes only by the record: the newest published version no longer wins (the tuner
publishes candidates, which stay out of force until promoted), and a rollback is a record that names an earlier
version, which is accepted.

Nothing published can stop the processor. A record or version larger than CONFIG_MAX_OBJECT_BYTES, or that does not
parse, a version whose file says another version than its key, a version the record names that is not published, or
an active policy that could never flag (`FraudPolicy.can_flag`) refuses the whole record: logged, counted
(`ConfigRefusedCount`, config "policy"), the last good active and shadow stay, and that record (by ETag) is not read
again until it changes (GetObject with If-None-Match: an unchanged record answers 304, with no body). No record
(NoSuchKey) is the seed policy with no shadow. Any other S3 error is logged and retried a TTL later, and is not a
refusal: the expiry is set before the refresh, so a failing refresh backs off too.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from adapters.release_codec import release_from_json
from adapters.s3_newest import RefusalMetrics, Refused
from adapters.serialization import policy_from_json
from contracts.aws import (
    CONFIG_MAX_OBJECT_BYTES,
    CONFIG_POLICY,
    DEFAULT_POLICY_CACHE_SECONDS,
    LAKE_BUCKET,
    POLICY_RELEASE_KEY,
    policy_key,
)
from domain.policy import FraudPolicy
from domain.release import Release

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

_log = logging.getLogger(__name__)
_REASON_CHARS = 300
_MISSING = ("NoSuchKey", "404")
_NOT_MODIFIED = ("304", "NotModified")


class _Missing(Exception):
    """The object does not exist."""


class _Unchanged(Exception):
    """The object still has the ETag last seen."""


class S3PolicySource:
    """PolicySource on the lake's release record (see the module's docstring)."""

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
        self.release: Release | None = None
        """The record in force; None while the seed policy is (no record, or none accepted yet)."""
        self._active = FraudPolicy.default()
        self._shadow: FraudPolicy | None = None
        self._seen: str | None = None
        """The ETag of the record last read, accepted or refused: it is not read again until it changes."""
        self._versions: dict[int, FraudPolicy] = {}
        self._expires: float | None = None

    @property
    def key(self) -> str | None:
        """The active version's key; None while the seed policy is active."""
        active = None if self.release is None else self.release.active
        return None if active is None else policy_key(active)

    def current(self) -> FraudPolicy:
        self._look()
        return self._active

    def shadow(self) -> FraudPolicy | None:
        self._look()
        return self._shadow

    def _look(self) -> None:
        now = self._monotonic()
        if self._expires is None or now >= self._expires:
            self._expires = now + self._ttl  # before the refresh: a failing one waits a TTL too
            self._refresh()

    def _refresh(self) -> None:
        try:
            etag, body = self._get(POLICY_RELEASE_KEY, if_none_match=self._seen)
        except _Unchanged:
            return
        except _Missing:
            if self.release is not None:
                self._log.warning("no release record: the seed policy is active")
            self.release, self._active, self._shadow, self._seen = None, FraudPolicy.default(), None, None
            return
        except (ClientError, BotoCoreError) as exc:
            self._log.error("release record not read; keeping %s: %s", self._in_force(), exc)
            return
        try:
            if body is None:
                raise Refused(f"{POLICY_RELEASE_KEY}: more than the {CONFIG_MAX_OBJECT_BYTES} bytes accepted")
            release = release_from_json(body)
            active = FraudPolicy.default() if release.active is None else self._version(release.active)
            shadow = None if release.shadow is None else self._version(release.shadow)
            if not active.can_flag:
                raise Refused(
                    f"version {active.version}: threshold {active.threshold} is not below the total weight "
                    f"{active.total_weight} of the rules: it could never flag a transaction"
                )
        except (ClientError, BotoCoreError) as exc:  # an outage, not the record's fault: retried a TTL later
            self._log.error("policy version not read; keeping %s: %s", self._in_force(), exc)
            return
        except Exception as exc:  # whatever a published object makes the parser raise: a refusal, never a crash
            self._seen = etag
            self._refuse(f"{type(exc).__name__}: {exc}")
            return
        self.release, self._active, self._shadow, self._seen = release, active, shadow, etag
        self._log.info("fraud policy release loaded", extra={"active": release.active, "shadow": release.shadow})

    def _version(self, version: int) -> FraudPolicy:
        """Version `version`, downloaded once: a published version never changes."""
        if version not in self._versions:
            try:
                _, body = self._get(policy_key(version))
            except _Missing:
                raise Refused(f"version {version} is not published ({policy_key(version)})") from None
            if body is None:
                raise Refused(f"{policy_key(version)}: more than the {CONFIG_MAX_OBJECT_BYTES} bytes accepted")
            policy = policy_from_json(body)
            if policy.version != version:
                raise Refused(f"{policy_key(version)} says version {policy.version}")
            self._versions[version] = policy
        return self._versions[version]

    def _get(self, key: str, if_none_match: str | None = None) -> tuple[str | None, bytes | None]:
        """(ETag, body) of `key`, body None past the size bound (left unread). _Missing if there is no such object,
        _Unchanged if its ETag is still `if_none_match`."""
        try:
            if if_none_match:
                response = self._client.get_object(Bucket=self._bucket, Key=key, IfNoneMatch=if_none_match)
            else:
                response = self._client.get_object(Bucket=self._bucket, Key=key)
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code")
            if code in _MISSING:
                raise _Missing(key) from None
            if code in _NOT_MODIFIED:
                raise _Unchanged(key) from None
            raise
        etag = response.get("ETag")
        if response.get("ContentLength", 0) > CONFIG_MAX_OBJECT_BYTES:
            response["Body"].close()
            return etag, None
        body = response["Body"].read(CONFIG_MAX_OBJECT_BYTES + 1)
        return etag, None if len(body) > CONFIG_MAX_OBJECT_BYTES else body

    def _in_force(self) -> str:
        release = self.release
        return "the seed policy" if release is None or release.active is None else f"version {release.active}"

    def _refuse(self, reason: str) -> None:
        if len(reason) > _REASON_CHARS:
            reason = reason[:_REASON_CHARS] + "..."
        self._log.error("release record refused; keeping %s: %s", self._in_force(), reason)
        if self._metrics is not None:
            self._metrics.record_config_refused(CONFIG_POLICY)
