"""`python -m securebank tune`: learn a FraudPolicy from labelled history (same file formats as `backtest`)."""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.table import Table

from securebank.lab.unlabelled import CHOICES, HELP, LEGITIMATE, SKIP

if TYPE_CHECKING:
    from domain.labels import Labels
    from domain.policy import FraudPolicy
    from securebank.lab.tuning import History


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--transactions", required=True, type=Path, help="JSONL(.gz) of POST bodies, in time order")
    parser.add_argument("--labels", required=True, type=Path, help="JSONL(.gz) of {transaction_id, is_fraud}")
    parser.add_argument("--output", required=True, type=Path, help="where to write the learned FraudPolicy JSON")
    parser.add_argument("--policy", type=Path, help="the current FraudPolicy JSON (default: the seed policy)")
    parser.add_argument("--report-json", type=Path, help="write the report as JSON")
    parser.add_argument("--unlabelled", choices=CHOICES, default=SKIP, help=HELP)
    parser.add_argument("--holdout", type=float, default=0.25, help="last share of the labelled time span held out")
    parser.add_argument("--label-delay-days", type=float, default=7.0,
                        help="merchant rule: days from a transaction to its fraud label, when the label has no "
                             "labelled_at (7)")  # fmt: skip
    parser.add_argument("--objective", choices=("f1", "cost"), default="f1",
                        help="what the holdout maximises: F1 (default), or the cost fn_cost x FN + fp_cost x FP "
                             "(smallest)")  # fmt: skip
    parser.add_argument("--fn-cost", type=_cost, default=Decimal(1), help="cost of a missed fraud (objective cost)")
    parser.add_argument("--fp-cost", type=_cost, default=Decimal(1), help="cost of a false alarm (objective cost)")
    parser.add_argument("--rules-only", action="store_true",
                        help="learn the weighted rules only (no tree ensemble competes)")  # fmt: skip
    parser.add_argument("--engine", choices=("columnar", "domain"), default=_default_engine(),
                        help="how the labelled history is observed and signed: columnar (the default when Polars "
                             "is installed), in columns with the domain engine for the customers the columns "
                             "cannot prove exact (a property test holds the two equal); domain: transaction by "
                             "transaction")  # fmt: skip
    parser.add_argument("--no-refit", action="store_true",
                        help="write the ensemble fitted on the training part, as the holdout judged it (default: "
                             "refit the chosen setting on all labelled months, at the best cut over the holdout and "
                             "the window before it)")  # fmt: skip
    parser.add_argument("--workers", type=_workers, default=None,
                        help="fit the ensemble settings over this many processes: the same policy with any number. "
                             "Default: the cores left idle over the last minute, rounded up (2 on an idle 2-core "
                             "machine, 1 on a busy one, where two were slower: jobs/learn_fits.py)")  # fmt: skip


def _default_engine() -> str:
    return "columnar" if importlib.util.find_spec("polars") is not None else "domain"


def _workers(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"--workers must be at least 1, got {text!r}")
    return value


def _cost(text: str) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not value.is_finite() or value < 0:
        raise argparse.ArgumentTypeError(f"a cost must be a non-negative number, got {text!r}")
    return value


def run(args: argparse.Namespace) -> int:
    from adapters.serialization import policy_from_json, policy_to_json
    from domain.policy import FraudPolicy
    from domain.tuning import tune
    from jobs.learn_cut import Objective
    from jobs.learn_fits import spare_cores
    from jobs.learn_report import learning_report
    from jobs.learn_select import learn
    from securebank.jsonl import numbered_lines
    from securebank.lab.backtest import read_labels
    from securebank.lab.tuning import report

    err = Console(stderr=True)
    if not 0 < args.holdout < 1:
        err.print("--holdout must be between 0 and 1")
        return 2
    labels, bad_labels = read_labels(numbered_lines(args.labels))
    why = _refusal(args, labels)
    if why is not None:
        print(f"securebank tune: error: {why}", file=sys.stderr)
        return 2
    current = policy_from_json(args.policy.read_text()) if args.policy else FraudPolicy.default()
    delay = timedelta(days=args.label_delay_days)
    history, rejected, legitimate = _history(args, labels, current, delay)
    if not history.labelled:
        err.print("no labelled transaction: nothing to learn from")
        return 1
    outcome = tune(history.tally, history.grid, current)
    policy, learning = outcome.policy, None
    if not args.rules_only:
        objective = Objective(args.objective, args.fn_cost, args.fp_cost)
        learned = learn(history, outcome, objective, refit=not args.no_refit, workers=args.workers or spare_cores())
        policy, learning = learned.policy, learning_report(learned)
    args.output.write_text(policy_to_json(policy))
    result = report(outcome, history) | {
        "rejected_transactions": rejected,
        "rejected_labels": len(bad_labels),
        "unlabelled_as": args.unlabelled,
        "counted_legitimate": legitimate,
        "merchant_feed": {"confirmed_frauds_fed": labels.frauds, "label_delay_days": args.label_delay_days},
    }
    if learning is not None:  # the written policy's choice and threshold; the rules-only search's stay below
        result |= {"chosen": learning["chosen"], "threshold": str(policy.threshold), "learning": learning}
    if args.report_json:
        args.report_json.write_text(json.dumps(result, indent=2) + "\n")
    _print(result)
    return 0


def _refusal(args: argparse.Namespace, labels: Labels) -> str | None:
    """Why tune cannot learn from this labels file, in one line; None when it can. A file with no fraud at all (an
    empty one aside, which names no transaction) would write a policy learned from no fraud."""
    from securebank.lab.unlabelled import refusal

    if labels.frauds == 0 and (len(labels) or args.unlabelled == LEGITIMATE):
        return f"{args.labels} holds no fraud ({len(labels)} legitimate labels): there is no fraud to learn from"
    return refusal(
        args.labels,
        labels,
        args.unlabelled,
        "tune would learn from frauds alone, and its holdout F1 would mean nothing",
    )


def _history(
    args: argparse.Namespace, labels: Labels, current: FraudPolicy, delay: timedelta
) -> tuple[History, int, int]:
    """The labelled history by `args.engine` (the merchant rule fed with `labels`), the rejected lines and how many
    transactions the labels do not name were counted legitimate (`--unlabelled legitimate`)."""
    from securebank.jsonl import numbered_lines
    from securebank.lab.unlabelled import with_legitimate

    lines = list(numbered_lines(args.transactions))
    legitimate = args.unlabelled == LEGITIMATE
    added = 0
    if args.engine == "columnar":
        from securebank.lab.columnar_features import CUSTOMER
        from securebank.lab.columnar_parse import parse_lines
        from securebank.lab.columnar_tally import columnar_history, merchant_feed_of

        parsed, bad = parse_lines(lines)
        if legitimate:
            keys = zip(parsed[CUSTOMER].to_list(), parsed["transaction_id"].to_list(), strict=True)
            labels, added = with_legitimate(labels, keys)
        merchants = merchant_feed_of(parsed, labels, delay)
        history = columnar_history(lines, labels, current, args.holdout, merchants=merchants, parsed=parsed)
        return history, len(bad), added
    from securebank.lab.backtest import merchant_feed
    from securebank.lab.tuning import build_history, read_transactions

    transactions = [txn for _, txn in read_transactions(lines)]
    if legitimate:
        labels, added = with_legitimate(labels, (txn.key for txn in transactions))
    merchants = merchant_feed(transactions, labels, delay)
    history = build_history(transactions, labels, current, args.holdout, merchants=merchants)
    return history, len(lines) - len(transactions), added


def _print(result: dict[str, Any]) -> None:
    console = Console()
    legitimate = (
        f" ({result['counted_legitimate']} unnamed, counted legitimate)" if result["counted_legitimate"] else ""
    )
    console.print(
        f"{result['transactions']} transactions, {result['labelled']} labelled{legitimate}; "
        f"holdout from {result['holdout_from']}; "
        f"chosen: {result['chosen']} -> policy v{result['policy_version']}, threshold {result['threshold']}"
    )
    table = Table("policy", "part", "tp", "fp", "fn", "tn", "precision", "recall", "F1")
    for when, parts in result["confusion"].items():
        for part, c in parts.items():
            table.add_row(when, part, *(str(c[k]) for k in ("tp", "fp", "fn", "tn", "precision", "recall", "f1")))
    console.print(table)
    rules = Table("rule", "weight", "parameters", "FP rate", "FN rate", title="learned rules (all labelled)")
    for r in result["rules_after"]:
        rules.add_row(r["rule"], r["weight"], ", ".join(f"{k}={v}" for k, v in r["params"].items()), r["fp_rate"],
                      r["fn_rate"])  # fmt: skip
    console.print(rules)
    for p in result["missed_patterns_after"]:
        console.print(f"missed frauds with {' + '.join(p['rules'])}: {p['frauds']}")
    if "learning" in result:
        from securebank.lab.learn_print import print_learning

        print_learning(result["learning"], console)
