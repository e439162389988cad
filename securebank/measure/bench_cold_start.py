"""Cold start: `import handlers.processor` from the built bundle, against `import boto3` in the same run.

Each probe is a fresh python3.12 (the Lambda runtime's version) with PYTHONDONTWRITEBYTECODE=1, as on Lambda,
where /var/task and /opt are read-only: a module without its `.pyc` is compiled at every cold start. sys.path is
the code bundle (build/lambda-code, as /var/task), the layer and boto3, nothing else but the standard library; the
paths come from `python -m securebank.infra.bundle --for-cold-start`, which builds what is missing or stale.

Probes, in a different order each round, medians over the rounds:
- `boto3`: `import boto3`, the baseline;
- `processor`: `import handlers.processor` (Lambda's init phase), reported as `ratio` against boto3 (goal <= 1.3);
- `ready`: that import, then what the first invocation builds before its first AWS call (the processor's
  dependencies: boto3 clients, logger, metrics; and the two converters), so that work moved out of the import
  into the first invocation is still counted;
- `processor_without_bytecode`: the import from a copy of the code and the layer without their `.pyc`, as they
  shipped before, which is what shipping bytecode saves.
Wall time of the statement inside the process (interpreter start-up excluded); each ratio is the median
of the rounds' ratios. Nothing here is asserted by a test.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
GOAL_RATIO = 1.3
PROBES = {
    "boto3": "import boto3",
    "processor": "import handlers.processor",
    "ready": "import handlers.processor as p; p._dependencies(); import adapters.items as i, adapters.serialization"
    " as s; i.converter; s.converter",
    "processor_without_bytecode": "import handlers.processor",
}
SCRIPT = """
import sys, time
sys.path[:] = [*{paths!r}, *[p for p in sys.path[1:] if "site-packages" not in p]]
start = time.perf_counter()
{statement}
elapsed = time.perf_counter() - start
import json, os
roots = tuple({paths!r})
compiled = sorted(n for n, m in list(sys.modules.items()) if str(getattr(m, "__file__", "")).startswith(roots)
                  and not os.path.exists(getattr(m, "__cached__", None) or ""))
print(json.dumps({{"ms": elapsed * 1000, "compiled": compiled}}))
"""
FAKE_ENV = {
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "QUARANTINE_QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/123456789012/quarantine",
}
"""What `ready` needs to build the dependencies; nothing calls AWS."""


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--rounds", type=int, default=7, help="fresh processes per probe (the median is reported)")
    parser.add_argument("--report-json", type=Path, help="also write the report as JSON to this file")


def run(args: argparse.Namespace) -> int:
    site = _site()
    with tempfile.TemporaryDirectory(prefix="cold-start-") as scratch:
        sources = _without_bytecode(Path(scratch), [Path(site["code"]), Path(site["layer"])])
        paths = {name: [site["code"], site["layer"], site["runtime"]] for name in PROBES}
        paths["processor_without_bytecode"] = [*map(str, sources), site["runtime"]]
        samples: dict[str, list[float]] = {name: [] for name in PROBES}
        compiled: dict[str, list[str]] = {}
        for round_ in range(args.rounds):
            names = list(PROBES)
            for name in names[round_ % len(names) :] + names[: round_ % len(names)]:
                result = _probe(site["python"], PROBES[name], paths[name])
                samples[name].append(result["ms"])
                compiled[name] = result["compiled"]
    report = _report(site, samples, compiled, args.rounds)
    _print(report)
    if args.report_json:
        args.report_json.write_text(json.dumps(report, indent=2) + "\n")
    return 0


def _site() -> dict[str, Any]:
    command = [sys.executable, "-m", "securebank.infra.bundle", "--for-cold-start"]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise SystemExit(f"could not prepare the bundle ({' '.join(command)}):\n{result.stderr.strip()}")
    site: dict[str, Any] = json.loads(result.stdout.splitlines()[-1])
    return site


def _without_bytecode(scratch: Path, directories: list[Path]) -> list[Path]:
    copies = []
    for index, directory in enumerate(directories):
        copy = scratch / str(index)
        shutil.copytree(directory, copy, ignore=shutil.ignore_patterns("__pycache__"))
        copies.append(copy)
    return copies


def _probe(python: str, statement: str, paths: list[str]) -> dict[str, Any]:
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONDONTWRITEBYTECODE": "1", **FAKE_ENV}
    script = SCRIPT.format(paths=paths, statement=statement)
    result = subprocess.run([python, "-s", "-c", script], env=env, cwd=tempfile.gettempdir(), capture_output=True,
                            text=True, check=False, timeout=120)  # fmt: skip
    if result.returncode != 0:
        raise SystemExit(f"probe `{statement}` failed:\n{result.stderr.strip()}")
    probe: dict[str, Any] = json.loads(result.stdout.splitlines()[-1])
    return probe


def _report(
    site: dict[str, Any], samples: dict[str, list[float]], compiled: dict[str, list[str]], rounds: int
) -> dict[str, Any]:
    """Medians of the times; each ratio is the median of the rounds' ratios (a round's probes ran back to back, so
    a load that drifts over the run changes both sides of a ratio alike)."""
    median = {name: statistics.median(values) for name, values in samples.items()}

    def ratio(name: str) -> float:
        return round(statistics.median(v / b for v, b in zip(samples[name], samples["boto3"], strict=True)), 2)

    version = subprocess.run([site["python"], "-c", "import sys; print(sys.version.split()[0])"], capture_output=True,
                             text=True, check=True).stdout.strip()  # fmt: skip
    return {
        "command": "python -m securebank bench cold-start",
        "date": datetime.now(UTC).strftime("%Y-%m-%d"),
        "interpreter": f"{site['python']} (Python {version})",
        "machine": platform.machine(),
        "rounds": rounds,
        "import_boto3_ms": round(median["boto3"], 1),
        "import_processor_ms": round(median["processor"], 1),
        "ratio": ratio("processor"),
        "goal_ratio": GOAL_RATIO,
        "processor_ready_ms": round(median["ready"], 1),
        "ready_ratio": ratio("ready"),
        "import_processor_without_bytecode_ms": round(median["processor_without_bytecode"], 1),
        "without_bytecode_ratio": ratio("processor_without_bytecode"),
        "modules_compiled_at_import": {name: len(compiled[name]) for name in PROBES},
        "samples_ms": {name: [round(v, 1) for v in values] for name, values in samples.items()},
        "notes": site["notes"],
    }


def _print(report: dict[str, Any]) -> None:
    print(f"cold start, {report['date']}, {report['interpreter']} on {report['machine']}, median of {report['rounds']}")
    print(f"  import boto3                  {report['import_boto3_ms']:8.1f} ms   1.00")
    rows = (
        ("import handlers.processor", "import_processor_ms", "ratio"),
        ("  + dependencies, converters", "processor_ready_ms", "ready_ratio"),
        ("import, code+layer w/o .pyc", "import_processor_without_bytecode_ms", "without_bytecode_ratio"),
    )
    for label, figure, ratio in rows:
        print(f"  {label:29} {report[figure]:8.1f} ms   {report[ratio]:.2f}")
    verdict = "met" if report["ratio"] <= GOAL_RATIO else "NOT met"
    print(f"  goal: import handlers.processor <= {GOAL_RATIO} x import boto3: {verdict}")
    print(f"  modules compiled at import (no .pyc): {report['modules_compiled_at_import']}")
    for note in report["notes"]:
        print(f"  note: {note}")
