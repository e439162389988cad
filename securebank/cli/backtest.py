"""`python -m securebank backtest`: replay transactions through the fraud engine and report."""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.table import Table

from adapters.serialization import decision_to_dict, dumps, policy_from_json
from domain.labels import Labels
from domain.merchant_risk import NO_MERCHANT_RISK, MerchantRisk
from domain.policy import FraudPolicy
from domain.scoring import Decision, reads_merchant_feed
from securebank.jsonl import numbered_lines, write_lines
from securebank.lab.backtest import Backtest, Rejection, merchant_feed, parse_lines, read_labels
from securebank.lab.unlabelled import CHOICES, HELP, LEGITIMATE, SKIP, refusal, score

if TYPE_CHECKING:
    from securebank.lab.columnar import ColumnarBacktest

    Replay = Backtest | ColumnarBacktest

MAX_PRINTED_REJECTIONS = 20
ENGINES = ("domain", "columnar")
EXAMPLE_INSTANT = "2024-04-01T00:00:00+00:00"


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--transactions", required=True, type=Path, help="JSONL(.gz) of POST bodies")
    parser.add_argument("--labels", type=Path, help="JSONL(.gz) of {transaction_id, is_fraud}")
    parser.add_argument("--policy", type=Path, help="FraudPolicy JSON (default: the seed policy)")
    parser.add_argument("--output", type=Path, help="write one decision per transaction as JSONL(.gz)")
    parser.add_argument("--report-json", type=Path, help="write the report as JSON")
    feed = parser.add_mutually_exclusive_group()
    feed.add_argument(
        "--feed-labels",
        type=Path,
        nargs="+",
        default=[],
        help="labels files whose confirmed frauds feed the merchant rule (and a model's merchant signals) as they "
        "would have arrived (default: the --labels file, as tune feeds its own)",
    )
    feed.add_argument(
        "--no-feed",
        action="store_true",
        help="the merchant rule knows no fraud, whatever --labels holds",
    )
    parser.add_argument(
        "--label-delay-days",
        type=float,
        default=7.0,
        help="when a fed label has no labelled_at: days from the transaction to its label (7)",
    )
    parser.add_argument("--unlabelled", choices=CHOICES, default=SKIP, help=HELP)
    parser.add_argument(
        "--score-from",
        type=_instant,
        metavar="TIMESTAMP",
        help=f"score only the transactions at or after this ISO 8601 time with an offset (e.g. {EXAMPLE_INSTANT}); "
        "every transaction still replays and builds its holder's history",
    )
    parser.add_argument(
        "--engine",
        choices=ENGINES,
        default="columnar",
        help="columnar (default): the processor's decisions computed in columns (Polars), rules and learned models "
        "alike, the domain engine for the customers the columns cannot prove exact (a property test holds the two "
        "equal); domain: the processor's use case, transaction by transaction",
    )


def _instant(text: str) -> datetime:
    """An ISO 8601 time with an offset (`--score-from`)."""
    try:
        at = datetime.fromisoformat(text)
        at.astimezone(UTC)  # an instant a datetime can hold
    except (ValueError, OverflowError):
        raise argparse.ArgumentTypeError(f"not an ISO 8601 time: {text!r}") from None
    if at.utcoffset() is None:
        raise argparse.ArgumentTypeError(f"needs an offset, as in {EXAMPLE_INSTANT}: {text!r}")
    return at


def run(args: argparse.Namespace) -> int:
    err = Console(stderr=True)
    labels, bad_labels = read_labels(numbered_lines(args.labels)) if args.labels else (None, [])
    why = _refusal(args, labels)
    if why is not None:
        print(f"securebank backtest: error: {why}", file=sys.stderr)
        return 2
    policy = policy_from_json(args.policy.read_text()) if args.policy else FraudPolicy.default()
    merchants, feed = _merchant_feed(args, err)
    if not feed and reads_merchant_feed(policy):
        err.print("[yellow]warning[/] the policy reads the merchant feed and no labels feed it (--labels or "
                  "--feed-labels): its merchant rule and merchant signals know no fraud", highlight=False)  # fmt: skip
    backtest = _engine(args.engine)(policy, merchants).run(numbered_lines(args.transactions))
    for rejection in backtest.rejections[:MAX_PRINTED_REJECTIONS]:
        err.print(f"[yellow]rejected[/] {args.transactions.name} {rejection}", highlight=False)
    if len(backtest.rejections) > MAX_PRINTED_REJECTIONS:
        err.print(f"... and {len(backtest.rejections) - MAX_PRINTED_REJECTIONS} more rejected lines")
    report = _report(backtest) | {"engine": args.engine} | feed
    if labels is not None:
        for rejection in bad_labels[:MAX_PRINTED_REJECTIONS]:
            err.print(f"[yellow]rejected[/] {args.labels.name} {rejection}", highlight=False)
        scoring = score(backtest.verdicts(args.score_from), labels, args.unlabelled)
        confusion = scoring.counts
        report |= {
            "labelled": scoring.labelled,
            "unlabelled": scoring.unlabelled,
            "unlabelled_as": args.unlabelled,
            "counted_legitimate": scoring.counted_legitimate,
        }
        if args.score_from:
            report |= {"score_from": args.score_from.isoformat(), "before_score_from": scoring.before_score_from}
        report |= {
            "rejected_labels": len(bad_labels),
            "tp": confusion.tp,
            "fp": confusion.fp,
            "fn": confusion.fn,
            "tn": confusion.tn,
            "precision": str(confusion.precision),
            "recall": str(confusion.recall),
            "f1": str(confusion.f1),
        }
    if args.output:
        write_lines(args.output, (dumps(_decision_line(*d)) for d in _decisions(backtest)))
    if args.report_json:
        args.report_json.write_text(json.dumps(report, indent=2) + "\n")
    _print(report)
    return 0


def _refusal(args: argparse.Namespace, labels: Labels | None) -> str | None:
    """Why the labels (or their absence) cannot be scored as asked, in one line; None when they can."""
    if labels is None:
        if args.unlabelled == LEGITIMATE:
            return f"--unlabelled {LEGITIMATE} needs --labels (the confirmed frauds)"
        return "--score-from needs --labels" if args.score_from else None
    return refusal(
        args.labels, labels, args.unlabelled, "no false alarm could be counted (precision 1 by construction)"
    )


def _merchant_feed(args: argparse.Namespace, err: Console) -> tuple[MerchantRisk, dict[str, Any]]:
    """The merchant rule's knowledge: the fed labels' confirmed frauds, each known from the day after it arrived.
    Without --feed-labels, the --labels file feeds it, as `tune` feeds its own labels: a policy learned with the
    feed (a model reading the merchant's fraud share) is then replayed as it was learned and as production runs
    it, and a label still reaches the rule only from the day after it would have arrived (so never for its own
    payment). --no-feed (or no labels at all) feeds nothing."""
    paths = args.feed_labels or ([args.labels] if args.labels and not args.no_feed else [])
    if not paths:
        return NO_MERCHANT_RISK, {}
    fed = Labels()
    for path in paths:
        labels, bad = read_labels(numbered_lines(path))
        for rejection in bad[:MAX_PRINTED_REJECTIONS]:
            err.print(f"[yellow]rejected[/] {path.name} {rejection}", highlight=False)
        fed.update(labels)
    skipped: list[Rejection] = []  # reported by the replay itself
    delay = timedelta(days=args.label_delay_days)
    merchants = merchant_feed(parse_lines(numbered_lines(args.transactions), skipped), fed, delay)
    feed = {"confirmed_frauds_fed": fed.frauds, "label_delay_days": args.label_delay_days,
            "merchants_with_fraud": len(merchants.merchants),
            "from": "--feed-labels" if args.feed_labels else "--labels"}  # fmt: skip
    return merchants, {"merchant_feed": feed}


def _engine(name: str) -> type[Replay]:
    """The replay engine by name; Polars is imported only for the columnar one."""
    if name == "columnar":
        from securebank.lab.columnar import ColumnarBacktest

        return ColumnarBacktest
    return Backtest


def _decided(backtest: Replay) -> int:
    return len(backtest.decisions) if isinstance(backtest, Backtest) else backtest.transactions


def _decisions(backtest: Replay) -> Iterator[tuple[str, str, Decision]]:
    """(customer_id, transaction_id, decision) in input order, whichever engine decided."""
    if isinstance(backtest, Backtest):
        return ((s.transaction.customer_id, s.transaction.transaction_id, s.decision) for s in backtest.decisions)
    return backtest.decisions()


def _decision_line(customer_id: str, transaction_id: str, scored: Decision) -> dict[str, Any]:
    decision = decision_to_dict(scored)
    return {
        "transaction_id": transaction_id,
        "customer_id": customer_id,
        "risk_score": decision["risk_score"],
        "is_fraud": decision["is_fraud"],
        "triggered_rules": decision["triggered_rules"],
        "reasons": decision["reasons"],
    }


def _report(backtest: Replay) -> dict[str, Any]:
    """Every line is one of: a decision (`transactions`), a `duplicate` of an earlier identity with the same
    content, or `rejected` (by field; `conflicting_resubmission` for an earlier identity with other content)."""
    seconds = backtest.seconds
    decided = _decided(backtest)
    rejected_by = Counter(r.field for r in backtest.rejections)
    return {
        "policy_version": backtest.policy.version,
        "lines": decided + backtest.duplicates + len(backtest.rejections),
        "transactions": decided,
        "duplicates": backtest.duplicates,
        "rejected": len(backtest.rejections),
        "rejected_by_field": dict(sorted(rejected_by.items())),
        "flagged": backtest.flagged,
        "seconds": round(seconds, 3),
        "transactions_per_second": round(decided / seconds) if seconds else 0,
    }


def _print(report: dict[str, Any]) -> None:
    table = Table(title="Backtest", show_header=True)
    table.add_column("measure")
    table.add_column("value", justify="right")
    for key, value in report.items():
        table.add_row(key, str(value))
    Console(file=sys.stdout).print(table)
