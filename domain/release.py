"""The release record: which fraud policy version is active, which (if any) is in shadow, who approved the active
one and when, and the earlier actives a rollback returns to. Pure values and transitions; no I/O.

A version's status is derived, never stored: `active` and `shadow` from the record, `retired` for a version that
was active and is not now (an earlier active, or one rolled back), `candidate` for any other published version.
`active` None is the seed policy (the specification's, `FraudPolicy.default()`), in force until a first promote.

Transitions return a new record and refuse (ReleaseError) what the lifecycle forbids:
- `shadow(v)`: v is scored beside the active policy and changes nothing; `shadow(None)` clears it. The active
  version cannot also be the shadow.
- `promote(v, approved_by, at)`: v becomes active (leaving shadow if it was there); the previous active, with its
  approver and time, is pushed onto `previous`. Only a promote makes `previous` longer.
- `rollback(approved_by, at)`: the last of `previous` is active again and the rolled-back version is retired.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from attrs import evolve, field, frozen


class ReleaseError(ValueError):
    """A transition the lifecycle refuses; the message says why."""


class Action(StrEnum):
    SHADOW = "shadow"
    PROMOTE = "promote"
    ROLLBACK = "rollback"


class Status(StrEnum):
    CANDIDATE = "candidate"
    SHADOW = "shadow"
    ACTIVE = "active"
    RETIRED = "retired"


def _aware(_: Any, attribute: Any, value: Any) -> None:
    if value is not None and value.utcoffset() is None:
        raise ReleaseError(f"{attribute.name} must have a time zone")


def _approver(_: Any, attribute: Any, value: Any) -> None:
    if value is not None and not value.strip():
        raise ReleaseError(f"{attribute.name} must name who approved")


def _version(_: Any, attribute: Any, value: Any) -> None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
        raise ReleaseError(f"{attribute.name} must be a policy version (an integer >= 0), got {value!r}")


@frozen
class Activation:
    """A version that was active: None for the seed policy; who approved it and when (None for the seed)."""

    version: int | None = field(validator=_version)
    approved_by: str | None = field(default=None, validator=_approver)
    approved_at: datetime | None = field(default=None, validator=_aware)


@frozen
class Release:
    active: int | None = field(default=None, validator=_version)
    approved_by: str | None = field(default=None, validator=_approver)
    approved_at: datetime | None = field(default=None, validator=_aware)
    shadow: int | None = field(default=None, validator=_version)
    previous: tuple[Activation, ...] = ()
    """Earlier actives, oldest first: what successive rollbacks return to."""
    rolled_back: tuple[int, ...] = ()
    """Versions taken out of force by a rollback, in that order."""

    def __attrs_post_init__(self) -> None:
        if self.shadow is not None and self.shadow == self.active:
            raise ReleaseError(f"version {self.shadow} cannot be both active and in shadow")
        if self.active is None and self.previous:
            raise ReleaseError("the seed policy is active only before any promote or after rolling back to it")

    @property
    def retired(self) -> frozenset[int]:
        earlier = {a.version for a in self.previous if a.version is not None}
        return frozenset((earlier | set(self.rolled_back)) - {self.active})

    def status_of(self, version: int) -> Status:
        if version == self.active:
            return Status.ACTIVE
        if version == self.shadow:
            return Status.SHADOW
        if version in self.retired:
            return Status.RETIRED
        return Status.CANDIDATE

    def with_shadow(self, version: int | None) -> Release:
        """`version` in shadow (None: no shadow)."""
        if version is not None and version == self.active:
            raise ReleaseError(f"version {version} is active: it cannot be its own shadow")
        return evolve(self, shadow=version)

    def promote(self, version: int, approved_by: str, at: datetime) -> Release:
        if version == self.active:
            raise ReleaseError(f"version {version} is already active")
        if not approved_by or not approved_by.strip():
            raise ReleaseError("a promote needs who approved it")
        was = Activation(self.active, self.approved_by, self.approved_at)
        return Release(
            active=version,
            approved_by=approved_by,
            approved_at=at,
            shadow=None if self.shadow == version else self.shadow,
            previous=(*self.previous, was),
            rolled_back=self.rolled_back,
        )

    def rollback(self, approved_by: str, at: datetime) -> Release:
        """The previous active in force again, approved by `approved_by` at `at`; the current one retired."""
        if not self.previous:
            what = "the seed policy is" if self.active is None else f"version {self.active} is the first active:"
            raise ReleaseError(f"nothing to roll back to: {what} in force and no earlier version was active")
        if not approved_by or not approved_by.strip():
            raise ReleaseError("a rollback needs who approved it")
        back = self.previous[-1]
        assert self.active is not None  # a promote put it there
        return Release(
            active=back.version,
            approved_by=approved_by,
            approved_at=at,
            shadow=None if self.shadow == back.version else self.shadow,
            previous=self.previous[:-1],
            rolled_back=(*self.rolled_back, self.active),
        )


@frozen
class AuditEntry:
    """One lifecycle action: who, when, from which version to which (None: the seed, or no shadow), and why."""

    action: Action
    approved_by: str = field(validator=_approver)
    at: datetime = field(validator=_aware)
    from_version: int | None = field(validator=_version)
    to_version: int | None = field(validator=_version)
    reason: str = ""
