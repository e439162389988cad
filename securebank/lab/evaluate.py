"""The validation protocol, run with the project's own commands: learn on the first months, score the next ones.

    python -m securebank.lab.evaluate --data D [--objective f1] [--label-delay-days 7]

D is a labelled history in the layout of `securebank/lab/split.py`. As subprocesses, in order:

    python -m securebank tune --transactions D/train/transactions.jsonl --labels D/train/labels.jsonl \\
        --output D/policy.json --report-json D/tune.json --label-delay-days 7
    python -m securebank backtest --transactions D/all/transactions.jsonl --labels D/test/labels.jsonl \\
        --feed-labels D/all/labels.jsonl --label-delay-days 7 --policy D/policy.json --report-json D/learned.json
    python -m securebank backtest --transactions D/all/transactions.jsonl --labels D/test/labels.jsonl \\
        --feed-labels D/all/labels.jsonl --label-delay-days 7 --report-json D/specification.json

(the learned policy, then the specification's policy, both scored on the test months only, both with every label
fed to the merchant rule from when it would have arrived; without --feed-labels, `backtest` would feed only the
--labels file). It prints and writes D/evaluation.json: precision, recall and F1 of both, every command with its
seconds, and the date. Each command's output is kept in D/logs/.
"""

from __future__ import annotations

import argparse
import json
import shlex
import subprocess
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
SCORES = ("precision", "recall", "f1", "tp", "fp", "fn", "tn")


def commands(data: Path, delay: float, objective: str | None) -> dict[str, list[str]]:
    """The three commands of the protocol, by step name (arguments after `python -m securebank`)."""
    tune = ["tune", "--transactions", f"{data}/train/transactions.jsonl", "--labels", f"{data}/train/labels.jsonl",
            "--output", f"{data}/policy.json", "--report-json", f"{data}/tune.json",
            "--label-delay-days", str(delay)]  # fmt: skip
    if objective:
        tune += ["--objective", objective]
    scored = ["backtest", "--transactions", f"{data}/all/transactions.jsonl", "--labels", f"{data}/test/labels.jsonl",
              "--feed-labels", f"{data}/all/labels.jsonl", "--label-delay-days", str(delay)]  # fmt: skip
    learned = [*scored, "--policy", f"{data}/policy.json", "--report-json", f"{data}/learned.json"]
    return {"tune": tune, "learned": learned, "specification": [*scored, "--report-json", f"{data}/specification.json"]}


def run_step(name: str, args: list[str], logs: Path) -> dict[str, Any]:
    """Run `python -m securebank ARGS` from the project root; its output goes to logs/NAME.log."""
    argv = [sys.executable, "-m", "securebank", *args]
    started = time.perf_counter()
    with (logs / f"{name}.log").open("w") as log:
        done = subprocess.run(argv, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, check=False)
    seconds = round(time.perf_counter() - started, 1)
    return {"command": shlex.join(["python", "-m", "securebank", *args]), "seconds": seconds,
            "returncode": done.returncode}  # fmt: skip


def evaluate(data: Path, delay: float = 7.0, objective: str | None = None) -> dict[str, Any]:
    logs = data / "logs"
    logs.mkdir(exist_ok=True)
    result: dict[str, Any] = {"date": datetime.now(UTC).isoformat(timespec="seconds"), "data": str(data), "steps": {}}
    for name, args in commands(data, delay, objective).items():
        step = run_step(name, args, logs)
        result["steps"][name] = step
        if step["returncode"] != 0:
            result["failed"] = name
            break
    else:
        for policy in ("learned", "specification"):
            report = json.loads((data / f"{policy}.json").read_text())
            result[policy] = {key: report[key] for key in SCORES}
        tune = json.loads((data / "tune.json").read_text())
        result["tune"] = {key: tune[key] for key in ("chosen", "threshold", "policy_version") if key in tune}
    (data / "evaluation.json").write_text(json.dumps(result, indent=2) + "\n")
    return result


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m securebank.lab.evaluate", description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="a labelled history in the lab's split layout")
    parser.add_argument("--objective", help="passed to tune as --objective (f1 or cost) when given")
    parser.add_argument("--label-delay-days", type=float, default=7.0)
    args = parser.parse_args(argv)
    result = evaluate(args.data.resolve(), args.label_delay_days, args.objective)
    for name, step in result["steps"].items():
        print(f"{name:>13}  {step['seconds']:>7} s  exit {step['returncode']}  {step['command']}")
    if "failed" in result:
        print(f"{result['failed']} failed: see {args.data / 'logs'}")
        return 1
    print(f"{'policy':>13}  precision  recall  F1")
    for policy in ("specification", "learned"):
        scores = result[policy]
        print(f"{policy:>13}  {scores['precision']:>9}  {scores['recall']:>6}  {scores['f1']}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
