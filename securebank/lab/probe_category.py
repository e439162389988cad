"""A probe, not a signal of the engine: would the merchant category's fraud rate help the trees rank payments?

    python -m securebank.lab.probe_category --data D

D is a history in the layout of `securebank/lab/split.py`, after `python -m securebank.lab.evaluate --data D` (its
policy.json gives the merchant rule's window the trees read, its tune.json the setting `tune` chose; without them,
the specification's window and 300 trees of depth 5). Every payment of D/all is observed in columns, with every
label fed to the merchant rule from when it would have arrived (7 days), as `evaluate` scores. The training months
are those of D/train; the test months the rest. One ensemble of the chosen setting is fitted on every training
month with the engine's signals, and one with a column more: the payment's merchant category's fraud share among
the training months' labelled payments, smoothed towards the overall share (`SMOOTHING` payments of it). Both rank
the test months' payments; the probe prints the average precision and the best F1 over every threshold of each:
an upper bound of what a threshold would get, the same for both, so the two compare like for like.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.metrics import average_precision_score, precision_recall_curve

from adapters.serialization import policy_from_json
from domain.catalogue import MERCHANT_RISK
from domain.policy import FraudPolicy
from jobs.learn import Params, fit, matrix, one_thread, present
from securebank.jsonl import numbered_lines
from securebank.lab.backtest import read_labels
from securebank.lab.columnar_parse import parse_lines
from securebank.lab.columnar_tally import columnar_history, merchant_feed_of

SMOOTHING = 50
"""Payments of the overall fraud share each category's share starts from (a category with few payments stays near
the overall share)."""
DEFAULT_SETTING = Params(300, 5)
LABEL_DELAY = timedelta(days=7)


def category_shares(categories: list[str], frauds: list[bool], training: list[bool]) -> list[float]:
    """Each payment's category's smoothed fraud share over the training payments only."""
    seen = Counter(c for c, t in zip(categories, training, strict=True) if t)
    fraud = Counter(c for c, f, t in zip(categories, frauds, training, strict=True) if t and f)
    overall = sum(fraud.values()) / max(1, sum(seen.values()))
    return [(fraud[c] + SMOOTHING * overall) / (seen[c] + SMOOTHING) for c in categories]


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


def probe(data: Path) -> dict[str, Any]:
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
    return {
        "data": str(data),
        "setting": str(params),
        "signals": ranking(x, y, mask, params),
        "signals_and_category_share": ranking(np.column_stack([x, shares]), y, mask, params),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m securebank.lab.probe_category", description=__doc__)
    parser.add_argument("--data", type=Path, required=True)
    print(json.dumps(probe(parser.parse_args(argv).data), indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
