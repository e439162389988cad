"""The governed policy lifecycle on a lake's objects (`S3Objects` here; a directory in securebank/ops/lake_objects.py):
published versions, the release record and its audit trail, and the transitions an operator makes (shadow, promote,
rollback). The processor only reads what this writes (adapters/s3_policy.py).

Each transition writes its audit record first, then the new release record. The other order could leave a change in
force that no audit record explains (the record written, then the audit write failing); this order can at worst
leave an audit record of a change that did not happen (the audit written, then the record write failing), which
the record itself disproves: the audit stays complete for every change that took effect.

`publish_active` is the one way a test, a tool or the demo puts a policy in force: publish the version, then
promote it, with an audit record like any other promote.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol

from botocore.exceptions import ClientError

from adapters.release_codec import audit_from_json, audit_to_json, release_from_json, release_to_json
from adapters.serialization import dumps, loads, policy_from_json, policy_to_json
from contracts.aws import (
    POLICY_AUDIT_PREFIX,
    POLICY_PREFIX,
    POLICY_RELEASE_KEY,
    policy_key,
    policy_key_version,
    policy_report_key,
)
from domain.policy import FraudPolicy
from domain.release import Action, AuditEntry, Release, ReleaseError

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

AUDIT_DIGEST_CHARS = 12


class LakeObjects(Protocol):
    def get(self, key: str) -> bytes | None:
        """The object's bytes; None if there is none."""

    def put(self, key: str, body: bytes) -> None: ...

    def keys(self, prefix: str) -> list[str]:
        """Every key under `prefix`, sorted."""

    def modified(self, prefix: str) -> dict[str, datetime]:
        """Every key under `prefix`, with when its object was last written (UTC)."""


class S3Objects:
    """A lake in an S3 bucket, optionally under a prefix; keys are given and listed without the prefix."""

    def __init__(self, client: S3Client, bucket: str, prefix: str = "") -> None:
        self.client, self.bucket = client, bucket
        self.prefix = f"{prefix.strip('/')}/" if prefix.strip("/") else ""

    @classmethod
    def from_uri(cls, client: S3Client, uri: str) -> S3Objects:
        bucket, _, prefix = uri.removeprefix("s3://").partition("/")
        return cls(client, bucket, prefix)

    def get(self, key: str) -> bytes | None:
        try:
            body: bytes = self.client.get_object(Bucket=self.bucket, Key=f"{self.prefix}{key}")["Body"].read()
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                return None
            raise
        return body

    def put(self, key: str, body: bytes) -> None:
        self.client.put_object(Bucket=self.bucket, Key=f"{self.prefix}{key}", Body=body, ContentType="application/json")

    def keys(self, prefix: str) -> list[str]:
        return sorted(self.modified(prefix))

    def modified(self, prefix: str) -> dict[str, datetime]:
        pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=self.prefix + prefix)
        return {
            item["Key"].removeprefix(self.prefix): item["LastModified"].astimezone(UTC)
            for page in pages
            for item in page.get("Contents", [])
        }


class PolicyStoreError(ValueError):
    """What the store refuses (an unpublished version, a changed published one, a policy that cannot flag)."""


class PolicyStore:
    def __init__(self, objects: LakeObjects, clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.objects = objects
        self._clock = clock

    # --- reading ---------------------------------------------------------------------------------------------------

    def release(self) -> Release:
        """The release record; an empty one (the seed policy active, no shadow) if there is none."""
        body = self.objects.get(POLICY_RELEASE_KEY)
        return Release() if body is None else release_from_json(body)

    def versions(self) -> list[int]:
        """Every published version, ascending."""
        found = (policy_key_version(key) for key in self.objects.keys(POLICY_PREFIX))
        return sorted(v for v in found if v is not None)

    def policy(self, version: int) -> FraudPolicy:
        body = self.objects.get(policy_key(version))
        if body is None:
            raise PolicyStoreError(f"version {version} is not published ({policy_key(version)})")
        policy = policy_from_json(body)
        if policy.version != version:
            raise PolicyStoreError(f"{policy_key(version)} says version {policy.version}")
        return policy

    def report(self, version: int) -> dict[str, Any] | None:
        """The version's backtest report (as the tuner wrote it), if there is one."""
        body = self.objects.get(policy_report_key(version))
        if body is None:
            return None
        report = loads(body)
        return report if isinstance(report, dict) else {"report": report}

    def audit(self) -> list[AuditEntry]:
        """Every audit record, oldest first."""
        keys = self.objects.keys(POLICY_AUDIT_PREFIX)
        return [audit_from_json(body) for key in keys if (body := self.objects.get(key)) is not None]

    # --- writing ---------------------------------------------------------------------------------------------------

    def publish(self, policy: FraudPolicy, report: dict[str, Any] | None = None) -> str:
        """Write `policy` as its version's object (a candidate), and its report; a version is immutable, so the same
        bytes again write nothing and other bytes are refused."""
        key, body = policy_key(policy.version), policy_to_json(policy).encode()
        existing = self.objects.get(key)
        if existing is not None and existing != body:
            raise PolicyStoreError(f"version {policy.version} is already published with other content ({key})")
        if existing is None:
            self.objects.put(key, body)
        if report is not None:
            self.objects.put(policy_report_key(policy.version), dumps(report).encode())
        return key

    def shadow(self, version: int | None, by: str, reason: str = "") -> Release:
        """`version` in shadow (None: clear it)."""
        if version is not None:
            self.policy(version)
        release = self.release()
        return self._apply(Action.SHADOW, release, release.with_shadow(version), by, self._clock(), reason)

    def promote(self, version: int, approved_by: str, reason: str = "") -> Release:
        policy = self.policy(version)
        if not policy.can_flag:
            raise PolicyStoreError(
                f"version {version} could never flag a transaction: threshold {policy.threshold} is not below the "
                f"total weight {policy.total_weight} of its rules"
            )
        release, at = self.release(), self._clock()
        return self._apply(Action.PROMOTE, release, release.promote(version, approved_by, at), approved_by, at, reason)

    def rollback(self, approved_by: str, reason: str = "") -> Release:
        release, at = self.release(), self._clock()
        return self._apply(Action.ROLLBACK, release, release.rollback(approved_by, at), approved_by, at, reason)

    def _apply(self, action: Action, before: Release, after: Release, by: str, at: datetime, reason: str) -> Release:
        was, now = (before.shadow, after.shadow) if action is Action.SHADOW else (before.active, after.active)
        try:
            entry = AuditEntry(action, by, at, was, now, reason)
        except ReleaseError as exc:
            raise PolicyStoreError(str(exc)) from None
        text = audit_to_json(entry)
        digest = hashlib.sha256(text.encode()).hexdigest()[:AUDIT_DIGEST_CHARS]
        self.objects.put(f"{POLICY_AUDIT_PREFIX}{at:%Y%m%dT%H%M%S%fZ}-{action}-{digest}.json", text.encode())
        self.objects.put(POLICY_RELEASE_KEY, release_to_json(after).encode())  # after the audit: see the docstring
        return after


def publish_active(
    objects: LakeObjects,
    policy: FraudPolicy,
    approved_by: str = "publish_active",
    reason: str = "published and made active by a tool",
) -> Release:
    """Publish `policy` (if it is not already) and make it the active version, audited like any promote."""
    store = PolicyStore(objects)
    store.publish(policy)
    if store.release().active == policy.version:
        return store.release()
    return store.promote(policy.version, approved_by, reason)
