"""`python -m securebank policy list|show|diff|shadow|promote|rollback --lake DIR_OR_S3_URI`: the governed fraud policy
lifecycle (adapters/policy_store.py, docs/analytics.md). A version is a candidate (published by the weekly tuner), in
shadow (scored beside the active one, changing nothing), active (its decisions count) or retired.

Each action is a subparser made by one function of ACTIONS, with --lake and --endpoint-url added by `add_action`:
another action is one more function (and its module under securebank/ops/).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from typing import Any

LAKE_HELP = "lake root: a directory or s3://bucket[/prefix]"


def add_action(
    sub: Any, name: str, summary: str, handler: Callable[[argparse.Namespace], int]
) -> argparse.ArgumentParser:
    """A subparser for `name` with the lake arguments; `handler(args)` runs it and returns the exit code."""
    parser: argparse.ArgumentParser = sub.add_parser(name, help=summary, description=summary)
    parser.add_argument("--lake", required=True, help=LAKE_HELP)
    parser.add_argument("--endpoint-url", help="S3 endpoint (a local moto server); default boto3's own")
    parser.set_defaults(handler=handler)
    return parser


def _store(args: argparse.Namespace) -> Any:
    from adapters.policy_store import PolicyStore
    from securebank.ops.lake_objects import open_lake

    return PolicyStore(open_lake(args.lake, args.endpoint_url))


def _print(value: Any) -> None:
    print(json.dumps(value, indent=2, default=str))


def _list(args: argparse.Namespace) -> int:
    from securebank.ops.policy_versions import table, version_rows

    listing = version_rows(_store(args))
    print(json.dumps(listing, indent=2) if args.json else table(listing))
    return 0


def _show(args: argparse.Namespace) -> int:
    from securebank.ops.policy_versions import show

    _print(show(_store(args), args.version))
    return 0


def _shadow(args: argparse.Namespace) -> int:
    if (args.version is None) == (not args.clear):
        print("policy shadow: give a VERSION or --clear", file=sys.stderr)
        return 2
    release = _store(args).shadow(None if args.clear else args.version, args.by, args.reason)
    _print({"active": release.active, "shadow": release.shadow})
    return 0


def _promote(args: argparse.Namespace) -> int:
    release = _store(args).promote(args.version, args.approved_by, args.reason)
    _print({"active": release.active, "shadow": release.shadow, "approved_by": release.approved_by})
    return 0


def _rollback(args: argparse.Namespace) -> int:
    release = _store(args).rollback(args.approved_by, args.reason)
    _print({"active": release.active, "shadow": release.shadow, "approved_by": release.approved_by})
    return 0


def _configure_list(sub: Any) -> None:
    parser = add_action(sub, "list", "every published version: status, threshold, backtest headline", _list)
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")


def _configure_show(sub: Any) -> None:
    parser = add_action(sub, "show", "one version's policy JSON, status and backtest report", _show)
    parser.add_argument("version", type=int)


def _configure_shadow(sub: Any) -> None:
    parser = add_action(sub, "shadow", "put a published version in shadow (or --clear it)", _shadow)
    parser.add_argument("version", type=int, nargs="?")
    parser.add_argument("--clear", action="store_true", help="no version in shadow")
    parser.add_argument("--by", default=_user(), help="who does it, for the audit record (default: this user)")
    parser.add_argument("--reason", default="", help="why, for the audit record")


def _configure_promote(sub: Any) -> None:
    parser = add_action(sub, "promote", "make a published version active (needs its approver)", _promote)
    parser.add_argument("version", type=int)
    parser.add_argument("--approved-by", required=True, help="who approved the change (in the record and audit)")
    parser.add_argument("--reason", default="", help="why, for the audit record")


def _configure_rollback(sub: Any) -> None:
    parser = add_action(sub, "rollback", "re-activate the previous active version", _rollback)
    parser.add_argument("--approved-by", required=True, help="who approved the rollback")
    parser.add_argument("--reason", default="", help="why, for the audit record")


def _configure_diff(sub: Any) -> None:
    from securebank.ops import policy_diff

    policy_diff.configure(add_action(sub, "diff", policy_diff.SUMMARY, policy_diff.run_command))


def _user() -> str:
    import getpass

    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


ACTIONS: list[Callable[[Any], None]] = [
    _configure_list,
    _configure_show,
    _configure_diff,
    _configure_shadow,
    _configure_promote,
    _configure_rollback,
]


def configure(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    for configure_action in ACTIONS:
        configure_action(sub)


def run(args: argparse.Namespace) -> int:
    try:
        return int(args.handler(args))
    except ValueError as exc:  # a refusal of the lifecycle or the store: say it, change nothing
        print(f"policy {args.action}: {exc}", file=sys.stderr)
        return 1
