"""The release record (POLICY_RELEASE_KEY) and the audit records (under POLICY_AUDIT_PREFIX) as JSON, with the one
converter (adapters/serialization.py): strict, so an unknown key, a float version or a naive time is refused.

The record: {"active": N|null, "approved_by", "approved_at", "shadow": N|null, "previous": [{"version",
"approved_by", "approved_at"}, ...], "rolled_back": [N, ...]}. Times are ISO 8601 with their offset.
"""

from __future__ import annotations

import json
from typing import Any, TypeVar

from adapters.serialization import json_converter, loads
from domain.release import AuditEntry, Release, ReleaseError

T = TypeVar("T", Release, AuditEntry)


def release_to_json(release: Release) -> str:
    return json.dumps(json_converter().unstructure(release), indent=2) + "\n"


def release_from_json(text: str | bytes) -> Release:
    """The record `text` holds; ReleaseError (a ValueError) names what is wrong with it."""
    return _structure(text, Release, "release record")


def audit_to_json(entry: AuditEntry) -> str:
    return json.dumps(json_converter().unstructure(entry), indent=2) + "\n"


def audit_from_json(text: str | bytes) -> AuditEntry:
    return _structure(text, AuditEntry, "audit record")


def _structure(text: str | bytes, kind: type[T], what: str) -> T:
    import cattrs

    try:
        data: Any = loads(text)
        if not isinstance(data, dict):
            raise TypeError("a JSON object is expected")
        return json_converter().structure(data, kind)
    except cattrs.BaseValidationError as exc:
        details = "; ".join(cattrs.transform_error(exc, path=what, format_exception=_message))
        raise ReleaseError(f"not a valid {what}: {details}") from None
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise ReleaseError(f"not a valid {what}: {exc}") from None


def _message(exc: BaseException, kind: type | None) -> str:
    from cattrs.v import format_exception

    return str(exc) if isinstance(exc, ReleaseError) else format_exception(exc, kind)
