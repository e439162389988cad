"""A probe, not a signal of the engine: would the merchant category's fraud rate help the trees rank payments?

    python -m securebank.lab.probe_category --data D

D is a history in the layout of `securebank/lab/split.py`, after `python -m securebank.lab.evaluate --data D` (its
policy.json gives the merchant rule's window the trees read, its tune.json the setting `tune` chose; without them,
the specification's window and 300 trees of depth 5). Every payment of D/all is observed in columns, with every
label fed to the merchant rule from when it would have arrived (7 days), as `evaluate` scores. The training months
are those of D/train; the test months the rest. One ensemble of the chosen setting is fitted on every training
month with the engine's observed signals, and one with a column more: the payment's merchant category's fraud share
among the training months' labelled payments, smoothed towards the overall share, as the engine learns it. Both rank
the test months' payments; the probe prints the average precision and the best F1 over every threshold of each:
an upper bound of what a threshold would get, the same for both, so the two compare like for like. With
`--windows`, the column is also tried as a feed by category instead: the share of frauds known on the payment's day
among the category's payments over the `WINDOWS` (days, lag days) before it, as the merchant feed counts a merchant.

The engine now learns the training months' share with its model (jobs/learn_categories.py); this probe is how it
was chosen (docs/analytics.md).
"""

from __future__ import annotations

import argparse
import json
import math
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
from sklearn.metrics import average_precision_score, precision_recall_curve

from adapters.serialization import policy_from_json
from domain.catalogue import MERCHANT_RISK
from domain.policy import FraudPolicy
from jobs.learn import Params, fit, matrix, one_thread, present
from jobs.learn_categories import category_table
from jobs.learn_select import Example
from securebank.jsonl import numbered_lines
from securebank.lab.backtest import read_labels
from securebank.lab.columnar_parse import parse_lines
from securebank.lab.columnar_tally import columnar_history, merchant_feed_of
from securebank.lab.columnar_tally_columns import ORDINAL_1970, US_PER_DAY

DEFAULT_SETTING = Params(300, 5)
WINDOWS = ((7, 7), (28, 7))
"""The windows `--windows` tries: the days counted, ending this many days before the payment's UTC day."""
LABEL_DELAY = timedelta(days=7)


def category_shares(categories: list[str], frauds: list[bool], training: list[bool]) -> list[float]:
    """Each payment's category's share as the engine learns it (jobs/learn_categories.py), from the training payments
    only."""
    rows = [Example((), f, False, 0, 1, c) for c, f, t in zip(categories, frauds, training, strict=True) if t]
    table = category_table(rows)
    if table is None:
        raise SystemExit("the training months hold no labelled fraud: no category share to probe")
    read = table.lookup()
    return [read(c) for c in categories]


def ranking(x: Any, y: Any, training: Any, params: Params) -> dict[str, float]:
    """Average precision and the best F1 on the rows outside `training` of `params` fitted on those inside."""
    columns = present(x[training])
    with one_thread():
        scores = fit(x[training][:, columns], y[training], params).predict(x[~training][:, columns])
    precision, recall, _ = precision_recall_curve(y[~training], scores)
    best_f1 = float(np.max(2 * precision * recall / np.maximum(precision + recall, 1e-12)))
    return {"average_precision": round(float(average_precision_score(y[~training], scores)), 4),
            "best_f1": round(best_f1, 4)}  # fmt: skip


def _setting(data: Path) -> tuple[FraudPolicy, Params]:
    policy = data / "policy.json"
    tune = data / "tune.json"
    if not policy.exists() or not tune.exists():
        return FraudPolicy.default(), DEFAULT_SETTING
    chosen = json.loads(tune.read_text())["learning"]["chosen"]
    try:
        parts = dict(part.strip().split(" ", 1) for part in chosen.split(","))
        params = Params(int(parts["trees"]), int(parts["depth"]), float(parts["rate"]), int(parts["leaf"]))
    except (KeyError, ValueError):
        params = None
    if params is None or params.name != chosen:  # the rules won, or a setting this reading would change
        raise SystemExit(f"{tune}: the chosen setting {chosen!r} is not one of the trees' settings")
    return policy_from_json(policy.read_text()), params


def windowed_shares(parsed: Any, labels: Any, window: tuple[int, int]) -> list[float]:
    """Each payment's category's share of frauds known on its day over `window`, NaN with no payment there."""
    feed = merchant_feed_of(parsed.with_columns(merchant_id=pl.col("merchant_category")), labels, LABEL_DELAY)
    days = (parsed["epoch_us"] // US_PER_DAY + ORDINAL_1970).to_list()
    counts = [feed.counts(c, d, *window) for c, d in zip(parsed["merchant_category"].to_list(), days, strict=True)]
    return [frauds / payments if payments else math.nan for frauds, payments in counts]


def probe(data: Path, windows: bool = False) -> dict[str, Any]:
    labels, _ = read_labels(numbered_lines(data / "all" / "labels.jsonl"))
    lines = list(numbered_lines(data / "all" / "transactions.jsonl"))
    parsed, _ = parse_lines(lines)
    history = columnar_history(
        lines, labels, FraudPolicy.default(), 0.25, merchants=merchant_feed_of(parsed, labels, LABEL_DELAY),
        parsed=parsed,
    )  # fmt: skip
    policy, params = _setting(data)
    rule = policy[MERCHANT_RISK]
    rows = history.rows_at((rule.window_days, rule.lag_days))
    if len(rows) != len(lines):
        raise SystemExit(f"{data}: every line must be a labelled, valid payment ({len(rows)} of {len(lines)})")
    trained = {json.loads(text)["transaction_id"] for _, text in numbered_lines(data / "train" / "labels.jsonl")}
    bodies = [json.loads(text) for _, text in lines]
    training = [b["transaction_id"] in trained for b in bodies]
    frauds = [e.fraud for e in history.examples]
    x, y = matrix([tuple(r) for r in rows]), np.array(frauds, dtype=np.float64)
    shares = category_shares([b["merchant_category"] for b in bodies], frauds, training)
    mask = np.array(training)
    found = {
        "data": str(data),
        "setting": str(params),
        "signals": ranking(x, y, mask, params),
        "signals_and_category_share": ranking(np.column_stack([x, shares]), y, mask, params),
    }
    for window in WINDOWS if windows else ():
        column = windowed_shares(parsed, labels, window)
        found[f"signals_and_category_feed_{window[0]}d_lag_{window[1]}d"] = ranking(
            np.column_stack([x, column]), y, mask, params
        )
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m securebank.lab.probe_category", description=__doc__)
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--windows", action="store_true", help="also try the share as a feed by category")
    args = parser.parse_args(argv)
    print(json.dumps(probe(args.data, args.windows), indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
