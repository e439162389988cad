"""`python -m securebank policy diff A B --lake DIR_OR_S3_URI [--days N] [--json]`: what promoting B instead of A
would change, on the same recent history.

Both versions replay the raw transactions of the lake's last N days (`raw/transactions/`, gzip JSON Lines, in time
order) through the same replay as `backtest` (securebank/lab/backtest.py `Backtest`: the processor's use case on
in-memory adapters, profiles built from that history alone), with the same merchant feed (the confirmed frauds among
the labels, as they would have arrived). The labels are every file under `labels/`, kept by the label rule
(`read_labels`). The result: each version's confusion matrix on the labelled transactions with precision, recall and
F1, and the transactions whose decision changes (score and flag A -> B, and the label if there is one).

A and B are version numbers, `active` or `shadow`, resolved through the release record (adapters/policy_store.py);
with no record, `active` is the seed (specification) policy, version 1.
"""

from __future__ import annotations

import argparse
import gzip
import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from attrs import frozen

from adapters.policy_store import LakeObjects, PolicyStore
from contracts.aws import LABELS_PREFIX, raw_day_prefix
from domain.labels import Labels
from domain.policy import FraudPolicy
from domain.receipt import Received
from domain.tuning import Counts
from securebank.lab.backtest import Backtest, Rejection, merchant_feed, parse_numbered, read_labels

SUMMARY = "backtest two versions on the lake's recent history: confusion matrices side by side, changed decisions"
DEFAULT_DAYS = 7
DEFAULT_CHANGES = 20
LABEL_DELAY = timedelta(days=7)  # a fed label without labelled_at arrived this long after its transaction


class DiffError(ValueError):
    """A version that cannot be resolved (no shadow, not published, not a number)."""


@frozen
class Change:
    customer_id: str
    transaction_id: str
    score_a: Decimal
    score_b: Decimal
    flag_a: bool
    flag_b: bool
    fraud: bool | None


@frozen
class Diff:
    a: str
    b: str
    version_a: int
    version_b: int
    first_day: date
    last_day: date
    transactions: int
    rejected: int
    labelled: int
    counts_a: Counts
    counts_b: Counts
    changes: tuple[Change, ...]


def resolve(store: PolicyStore, which: str) -> FraudPolicy:
    """`active`, `shadow` or a version number -> the policy (the seed when nothing is active)."""
    release = store.release()
    if which == "active":
        return FraudPolicy.default() if release.active is None else store.policy(release.active)
    if which == "shadow":
        if release.shadow is None:
            raise DiffError("no version is in shadow")
        return store.policy(release.shadow)
    try:
        version = int(which.removeprefix("v"))
    except ValueError:
        raise DiffError(f"a version is a number, `active` or `shadow`, not {which!r}") from None
    if version == FraudPolicy.default().version and version not in store.versions():
        return FraudPolicy.default()  # the seed is version 1 until a version 1 is published
    return store.policy(version)


def recent_lines(lake: LakeObjects, first: date, last: date) -> Iterator[tuple[int, str]]:
    """(running line number, line) of the raw objects of the UTC days [first, last], day by day, key order."""
    number = 0
    day = first
    while day <= last:
        for key in lake.keys(raw_day_prefix(day)):
            for line in _text(key, lake.get(key) or b"").splitlines():
                number += 1
                if line.strip():
                    yield number, line
        day += timedelta(days=1)


def lake_labels(lake: LakeObjects) -> tuple[Labels, list[Rejection]]:
    """Every label file below labels/ (any folders), by the label rule."""
    lines = (line for key in lake.keys(LABELS_PREFIX) for line in _text(key, lake.get(key) or b"").splitlines())
    return read_labels((n, line) for n, line in enumerate(lines, 1) if line.strip())


def _text(key: str, body: bytes) -> str:
    return (gzip.decompress(body) if key.endswith(".gz") else body).decode("utf-8")


def diff(lake: LakeObjects, a: str, b: str, *, days: int = DEFAULT_DAYS, today: date | None = None) -> Diff:
    """Backtest A and B on the raw transactions of the last `days` UTC days up to `today` (default: today)."""
    if days < 1:
        raise DiffError(f"--days must be 1 or more, got {days}")
    store = PolicyStore(lake)
    policy_a, policy_b = resolve(store, a), resolve(store, b)
    last = today or datetime.now(UTC).date()
    first = last - timedelta(days=days - 1)
    rejected: list[Rejection] = []
    ordered = sorted(parse_numbered(recent_lines(lake, first, last), rejected), key=lambda n: n[1].timestamp)
    labels, _ = lake_labels(lake)
    feed = merchant_feed((txn for _, txn in ordered), labels, LABEL_DELAY)
    runs = [Backtest(policy, feed).run_received((n, Received(t, t.timestamp)) for n, t in ordered)
            for policy in (policy_a, policy_b)]  # fmt: skip
    counts_a, counts_b = (run.confusion(labels) for run in runs)
    by_key = {d.transaction.key: d for d in runs[1].decisions}
    changes = []
    for one in runs[0].decisions:
        other = by_key.get(one.transaction.key)
        if other is not None and other.decision.is_fraud != one.decision.is_fraud:
            changes.append(
                Change(
                    one.transaction.customer_id,
                    one.transaction.transaction_id,
                    one.decision.risk_score,
                    other.decision.risk_score,
                    one.decision.is_fraud,
                    other.decision.is_fraud,
                    labels.get(one.transaction.key),
                )
            )
    return Diff(
        a,
        b,
        policy_a.version,
        policy_b.version,
        first,
        last,
        len(runs[0].decisions),
        len(rejected) + len(runs[0].rejections),
        counts_a.tp + counts_a.fp + counts_a.fn + counts_a.tn,
        counts_a,
        counts_b,
        tuple(changes),
    )


def as_json(result: Diff, limit: int = DEFAULT_CHANGES) -> dict[str, Any]:
    def counts(c: Counts) -> dict[str, Any]:
        rates = {name: str(getattr(c, name)) for name in ("precision", "recall", "f1")}
        return {"tp": c.tp, "fp": c.fp, "fn": c.fn, "tn": c.tn} | rates

    shown = [
        {
            "customer_id": c.customer_id,
            "transaction_id": c.transaction_id,
            "score": [str(c.score_a), str(c.score_b)],
            "flag": [c.flag_a, c.flag_b],
            "labelled_fraud": c.fraud,
        }
        for c in result.changes[:limit]
    ]
    return {
        "a": {"name": result.a, "version": result.version_a} | counts(result.counts_a),
        "b": {"name": result.b, "version": result.version_b} | counts(result.counts_b),
        "days": {"from": result.first_day.isoformat(), "to": result.last_day.isoformat()},
        "transactions": result.transactions,
        "rejected_lines": result.rejected,
        "labelled": result.labelled,
        "changed": len(result.changes),
        "changes": shown,
        "changes_not_shown": len(result.changes) - len(shown),
    }


def tables(result: Diff, limit: int = DEFAULT_CHANGES) -> list[Any]:
    """Rich tables: the two confusion matrices side by side, then the changed decisions (at most `limit`)."""
    from rich.table import Table

    head_a, head_b = (f"{n} (v{v})" for n, v in ((result.a, result.version_a), (result.b, result.version_b)))
    title = f"{result.transactions} transactions {result.first_day} .. {result.last_day}, {result.labelled} labelled"
    matrix = Table("", head_a, head_b, title=title)
    for name in ("tp", "fp", "fn", "tn", "precision", "recall", "f1"):
        matrix.add_row(name, str(getattr(result.counts_a, name)), str(getattr(result.counts_b, name)))
    flips = Table("customer", "transaction", "score A -> B", "flag A -> B", "labelled fraud?")
    flips.title = f"{len(result.changes)} decisions change"
    for c in result.changes[:limit]:
        label = "-" if c.fraud is None else "yes" if c.fraud else "no"
        flips.add_row(
            c.customer_id, c.transaction_id, f"{c.score_a} -> {c.score_b}", f"{c.flag_a} -> {c.flag_b}", label
        )
    if len(result.changes) > limit:
        flips.caption = f"... and {len(result.changes) - limit} more"
    return [matrix, flips]


def configure(parser: argparse.ArgumentParser) -> None:
    """The arguments of `policy diff` (the CLI adds --lake and --endpoint-url: securebank/cli/policy.py)."""
    which = "a version number, `active` or `shadow`"
    parser.add_argument("a", help=f"the version to compare from: {which}")
    parser.add_argument("b", help=f"the version to compare with: {which}")
    parser.add_argument("--days", type=int, default=DEFAULT_DAYS, help=f"replay the last N UTC days ({DEFAULT_DAYS})")
    parser.add_argument("--limit", type=int, default=DEFAULT_CHANGES, help="changed decisions shown at most (20)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of tables")


def run_command(args: argparse.Namespace) -> int:
    from rich.console import Console

    from securebank.ops.lake_objects import open_lake

    result = diff(open_lake(args.lake, args.endpoint_url), args.a, args.b, days=args.days)
    if args.json:
        print(json.dumps(as_json(result, args.limit), indent=2))
        return 0
    console = Console()
    for table in tables(result, args.limit):
        console.print(table)
    return 0
