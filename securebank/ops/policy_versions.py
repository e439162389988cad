"""What `policy list` and `policy show` print: every published version with its status (derived from the release
record: active, shadow, retired or candidate), threshold, when it was published and its backtest report's headline
(the holdout's precision, recall and F1 after tuning, when the tuner's report has them)."""

from __future__ import annotations

from typing import Any

from adapters.policy_store import PolicyStore
from adapters.serialization import loads, policy_to_json
from contracts.aws import POLICY_PREFIX, policy_key
from domain.policy import FraudPolicy
from domain.release import Status

HEADLINE = ("precision", "recall", "f1")
SEED = "seed"


def headline(report: dict[str, Any] | None) -> dict[str, Any]:
    """Precision, recall and F1 of the report's holdout after tuning (its overall figures if it has no holdout);
    empty for no report or one without them."""
    if not report:
        return {}
    for part in ("holdout", "overall"):
        after = report.get(part, {}).get("after") if isinstance(report.get(part), dict) else None
        if isinstance(after, dict) and any(name in after for name in HEADLINE):
            return {name: after.get(name) for name in HEADLINE}
    return {}


def version_rows(store: PolicyStore) -> dict[str, Any]:
    """The release (active, shadow, approver) and one row per published version, ascending."""
    release = store.release()
    stamps = store.objects.modified(POLICY_PREFIX)
    rows = []
    for version in store.versions():
        row: dict[str, Any] = {"version": version, "status": str(release.status_of(version))}
        try:
            row["threshold"] = str(store.policy(version).threshold)
        except ValueError as exc:
            row["threshold"], row["error"] = None, str(exc)
        published = stamps.get(policy_key(version))
        row["published_at"] = published.isoformat() if published else None
        rows.append(row | headline(store.report(version)))
    return {
        "active": SEED if release.active is None else release.active,
        "shadow": release.shadow,
        "approved_by": release.approved_by,
        "approved_at": release.approved_at.isoformat() if release.approved_at else None,
        "versions": rows,
    }


def show(store: PolicyStore, version: int) -> dict[str, Any]:
    """The version's status, policy (as published) and backtest report."""
    policy = store.policy(version)
    return {
        "version": version,
        "status": str(store.release().status_of(version)),
        "policy": loads(policy_to_json(policy)),
        "backtest_report": store.report(version),
    }


def table(listing: dict[str, Any]) -> str:
    """`version_rows` as a table for a terminal."""
    lines = [
        f"active: {listing['active']} (approved by {listing['approved_by'] or '-'} at {listing['approved_at'] or '-'}),"
        f" shadow: {listing['shadow'] or '-'}"
    ]
    widths = {"version": 8, "status": 10, "threshold": 10, "published_at": 17} | dict.fromkeys(HEADLINE, 10)
    lines.append("  ".join(f"{c:>{w}}" for c, w in widths.items()))
    for row in listing["versions"]:
        cells = {c: "-" if row.get(c) is None else str(row[c]) for c in widths}
        cells["published_at"] = cells["published_at"][:16].replace("T", " ")
        lines.append("  ".join(f"{cells[c]:>{w}}" for c, w in widths.items()))
    if listing["active"] == SEED:
        lines.append(f"{FraudPolicy.default().version:>8}  {Status.ACTIVE!s:>10}  (the seed policy: no release yet)")
    return "\n".join(lines)
