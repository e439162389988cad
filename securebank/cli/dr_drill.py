"""`python -m securebank dr-drill`: lose the local stack's primary region mid-traffic, fail over, report the loss.

Runs the primary stack on moto with a second moto region fed by replication (tables and lake, a pass every
`--interval` seconds), stops the primary right after `--before` transactions, starts the processor and API in the
second region over the replicas, sends `--after` more, and reports what the second region had and lacked
(securebank/dr/drill.py). Everything runs on 127.0.0.1. Exit 1 when the second region lost a transaction it
acknowledged itself, or dropped a replicated one.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

MAX_TRANSACTIONS = 20_000
MAX_RATE = 1000


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--before", type=int, default=1000, help="transactions sent to the primary before it is lost")
    parser.add_argument("--after", type=int, default=300, help="transactions sent to the second region after failover")
    parser.add_argument("--rate", type=float, default=200, help=f"requests per second (at most {MAX_RATE})")
    parser.add_argument("--interval", type=float, default=1.0, help="seconds between replication passes")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--report-json", type=Path, default=None)


def run(args: argparse.Namespace) -> int:
    from securebank.dr.drill import DrillPlan, run_drill

    if min(args.before, args.after) <= 0 or args.before + args.after > MAX_TRANSACTIONS:
        raise SystemExit(f"--before and --after must be positive and total at most {MAX_TRANSACTIONS}")
    if not 0 < args.rate <= MAX_RATE or args.interval <= 0:
        raise SystemExit(f"--rate must be in (0, {MAX_RATE}] and --interval positive")
    result = run_drill(DrillPlan(args.before, args.after, args.rate, args.interval, args.seed))
    text = json.dumps(result, indent=2)
    print(text)
    if args.report_json is not None:
        args.report_json.write_text(text + "\n")
    second = result["second_region"]
    return 0 if second["missing"] == 0 and second["replicas_kept"] else 1
