"""How long `tune` takes against a replay of the same file: `tune_seconds_ratio` (the specification: under 5).

    python -m securebank.measure.tune_ratio [--transactions 100000 --customers 2000 --days 90 --seed 11]
        [--engine columnar|domain] [--report-json R]

Generates a labelled workload (securebank/lab/generate.py), then in the same process times the replay of the file
through the domain engine (`securebank.lab.backtest.Backtest`, the specification's policy; the file is read and
parsed inside the timing, as `backtest` does) and through the columnar one (`securebank.lab.columnar`, Polars), and
`python -m securebank tune` on the same file and its labels, in its own process (rules search and tree ensembles,
the defaults, its history by `--engine` when given; then `--rules-only`); then the replay of the policy that tune
wrote (a model policy when the ensembles won) through both engines, and `python -m securebank backtest` of that
policy as a user runs it after `tune` (its own process, like tune's: interpreter start, imports, the labels and the
merchant feed from them, the report; the default engine). Wall and CPU seconds; the ratios are what is reported,
never a rate: `..._ratio` over the domain replay of the specification's policy, `..._ratio_columnar` over its
columnar one, `..._ratio_tuned` and `..._ratio_tuned_columnar` over the replays of the written policy, and
`..._ratio_backtest_command` over that command (see `figures`).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from adapters.serialization import policy_from_json
from domain.policy import FraudPolicy
from securebank.jsonl import numbered_lines
from securebank.lab.backtest import Backtest
from securebank.lab.generate import generate_workload, write_workload

REPLAYS = (("replay", ""), ("columnar_replay", "_columnar"), ("tuned_replay", "_tuned"),
           ("tuned_columnar_replay", "_tuned_columnar"), ("backtest_command", "_backtest_command"))  # fmt: skip
"""Each replay a ratio is taken over, and the suffix of its ratios' keys: the specification's policy by the domain
and the columnar engine, then the policy tune wrote by each, then the `backtest` command of that policy."""


def replay_times(transactions: Path, engine: str = "domain", policy: FraudPolicy | None = None) -> tuple[float, float]:
    """(wall, CPU) seconds of a replay of the file by `engine` ("domain" or "columnar"), under `policy` (the
    specification's by default; CPU: this process's, every thread)."""
    backtest: Any = Backtest
    if engine == "columnar":
        from securebank.lab.columnar import ColumnarBacktest  # Polars only when asked for

        backtest = ColumnarBacktest
    wall, cpu = time.perf_counter(), time.process_time()
    backtest(policy or FraudPolicy.default()).run(numbered_lines(transactions))
    return time.perf_counter() - wall, time.process_time() - cpu


def replay_seconds(transactions: Path, engine: str = "domain") -> float:
    return replay_times(transactions, engine)[0]


def tune_times(transactions: Path, labels: Path, output: Path, *more: str) -> tuple[float, float]:
    """(wall, CPU) seconds of `python -m securebank tune` as a user runs it (`command_times`)."""
    return command_times("tune", "--transactions", str(transactions), "--labels", str(labels), "--output", str(output),
                         *more)  # fmt: skip


def backtest_command_times(transactions: Path, labels: Path, policy: Path) -> tuple[float, float]:
    """(wall, CPU) seconds of `python -m securebank backtest` of `policy` on the file, scored on its labels, the
    merchant feed from them: the protocol's step after `tune` (`command_times`)."""
    labelled = ["--labels", str(labels), "--feed-labels", str(labels)]
    return command_times("backtest", "--transactions", str(transactions), "--policy", str(policy), *labelled)


def command_times(*args: str) -> tuple[float, float]:
    """(wall, CPU) seconds of `python -m securebank ARGS` as a user runs it (its own process: interpreter start and
    imports included; its printed report discarded; CPU: the child's, every thread)."""
    wall, cpu = time.perf_counter(), _children_cpu()
    subprocess.run([sys.executable, "-m", "securebank", *args], check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - wall, _children_cpu() - cpu


def tune_seconds(transactions: Path, labels: Path, output: Path, *more: str) -> float:
    """Wall seconds of `tune_times`."""
    return tune_times(transactions, labels, output, *more)[0]


def engine_flags(engine: str | None) -> list[str]:
    """tune's arguments for the engine of its history: none for tune's own default."""
    return [] if engine is None else ["--engine", engine]


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def figures(replays: dict[str, tuple[float, float]], tunes: dict[str, tuple[float, float]]) -> dict[str, float]:
    """Seconds and ratios: `tune[_rules_only]_[cpu_]seconds_ratio<suffix>` is tune's time over the time of the
    replay `REPLAYS` names by that suffix (those in `replays`), in wall (CPU) seconds; on a shared machine the CPU
    ratio moves less with the load."""
    report: dict[str, float] = {}
    for name, (wall, cpu) in (replays | tunes).items():
        report |= {f"{name}_seconds": round(wall, 3), f"{name}_cpu_seconds": round(cpu, 3)}
    for tune, (tune_wall, tune_cpu) in tunes.items():
        for replay, suffix in ((r, s) for r, s in REPLAYS if r in replays):
            wall, cpu = replays[replay]
            report[f"{tune}_seconds_ratio{suffix}"] = round(tune_wall / wall, 3)
            report[f"{tune}_cpu_seconds_ratio{suffix}"] = round(tune_cpu / cpu, 3)
    return report


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m securebank.measure.tune_ratio", description=__doc__)
    parser.add_argument("--transactions", type=int, default=100_000)
    parser.add_argument("--customers", type=int, default=2_000)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--engine", choices=("columnar", "domain"), default=None,
                        help="the engine of tune's history (default: tune's default)")  # fmt: skip
    parser.add_argument("--report-json", type=Path)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        workload = generate_workload(
            customers=args.customers, transactions=args.transactions, seed=args.seed, days=args.days
        )
        paths = write_workload(workload, Path(tmp))
        replays = {"replay": replay_times(paths["transactions"]),
                   "columnar_replay": replay_times(paths["transactions"], "columnar")}  # fmt: skip
        engine = engine_flags(args.engine)
        tunes = {
            "tune": tune_times(paths["transactions"], paths["labels"], Path(tmp) / "policy.json", *engine),
            "tune_rules_only": tune_times(
                paths["transactions"], paths["labels"], Path(tmp) / "r.json", "--rules-only", *engine
            ),
        }
        tuned = policy_from_json((Path(tmp) / "policy.json").read_text())
        replays |= {"tuned_replay": replay_times(paths["transactions"], "domain", tuned),
                    "tuned_columnar_replay": replay_times(paths["transactions"], "columnar", tuned),
                    "backtest_command": backtest_command_times(paths["transactions"], paths["labels"],
                                                               Path(tmp) / "policy.json")}  # fmt: skip
    trees = len(getattr(tuned.model, "trees", ()))  # a `domain.ensemble.TreeModel`'s, when tune wrote a model
    report = {"transactions": args.transactions, "tune_engine": args.engine or "default", "tuned_policy_trees": trees}
    report |= figures(replays, tunes)
    print(json.dumps(report, indent=2))
    if args.report_json:
        args.report_json.write_text(json.dumps(report, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
