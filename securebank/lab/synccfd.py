"""Labelled history from a generator this project did not write: SynCCFD (PyPI `synccfd`, MIT licence).

SynCCFD is an evolution of the simulator of the *Reproducible Machine Learning for Credit Card Fraud Detection*
handbook (Le Borgne et al.): customers and terminals on a map, and four fraud scenarios (amount > 220; compromised
terminals for 28 days; card numbers stolen for 14 days, a third of the card's transactions x5 at a fraudster's
address; physical cards stolen for 5 days, all transactions moved to the first day and x5).

This module only maps its output onto our POST bodies and labels, and splits it by month:

    transaction_id  tx<TRANSACTION_ID>         merchant_id        t<TERMINAL_ID>
    customer_id     c<CUSTOMER_ID>             merchant_category  card_present | card_not_present (TX_TYPE)
    amount          TX_AMOUNT, 2 decimals      location           terminal (card present) or shipping address
    currency        BRL                        timestamp          TX_DATETIME, read as UTC (it has no zone)

A transaction of amount 0.00 (the generator can round to it) is not a valid POST body and is dropped and counted.

    python -m securebank.lab.synccfd --output-dir external --customers 1000 --terminals 2000

writes all/transactions.jsonl (six months, time order), all/labels.jsonl (every label, for the merchant feed, which
uses each only once it would have arrived), all/scenarios.jsonl (the generator's fraud scenario per
transaction, for analysis only), train/transactions.jsonl and train/labels.jsonl (first three
months) and test/labels.jsonl (the following three months).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator, Sequence
from datetime import date
from pathlib import Path
from typing import Any

from securebank.jsonl import write_lines


def bodies(frame: Any) -> Iterator[tuple[dict[str, Any], bool, int]]:
    """(POST body, is_fraud, fraud scenario) per row of a SynCCFD transactions DataFrame, in time order; amount-0
    rows skipped. The scenario (0 = legitimate) is for analysis only; it is never given to the tuning."""
    frame = frame.sort_values(["TX_DATETIME", "TRANSACTION_ID"], kind="stable")
    for row in frame.itertuples(index=False):
        amount = f"{row.TX_AMOUNT:.2f}"
        if float(amount) <= 0:
            continue
        present = row.TX_TYPE == "CP"
        lat, lon = (row.TX_TERM_LAT, row.TX_TERM_LONG) if present else (row.TX_SHIPP_LAT, row.TX_SHIPP_LONG)
        body = {
            "transaction_id": f"tx{row.TRANSACTION_ID}",
            "customer_id": f"c{row.CUSTOMER_ID}",
            "amount": amount,
            "currency": "BRL",
            "merchant_id": f"t{row.TERMINAL_ID}",
            "merchant_category": "card_present" if present else "card_not_present",
            "timestamp": row.TX_DATETIME.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "location": {"latitude": round(float(lat), 6), "longitude": round(float(lon), 6)},
        }
        yield body, bool(row.TX_FRAUD), int(row.TX_FRAUD_SCENARIO)


def write_split(frame: Any, output: Path, test_from: date) -> dict[str, int]:
    """Write all/, train/ (before `test_from`) and test/ (from it on); returns counts."""
    rows = list(bodies(frame))
    before = [(b, f) for b, f, _ in rows if b["timestamp"][:10] < test_from.isoformat()]
    after = [(b, f) for b, f, _ in rows if b["timestamp"][:10] >= test_from.isoformat()]
    for part in ("all", "train", "test"):
        (output / part).mkdir(parents=True, exist_ok=True)
    write_lines(output / "all/transactions.jsonl", (json.dumps(b) for b, _, _ in rows))
    scenarios = ({"transaction_id": b["transaction_id"], "scenario": n} for b, _, n in rows)
    write_lines(output / "all/scenarios.jsonl", (json.dumps(s) for s in scenarios))
    write_lines(output / "train/transactions.jsonl", (json.dumps(b) for b, _ in before))
    every = [(b, f) for b, f, _ in rows]
    for part, items in (("all", every), ("train", before), ("test", after)):
        labels = ({"transaction_id": b["transaction_id"], "is_fraud": f} for b, f in items)
        write_lines(output / part / "labels.jsonl", (json.dumps(label) for label in labels))
    return {
        "generated": len(frame),
        "dropped_zero_amount": len(frame) - len(rows),
        "train": len(before),
        "train_frauds": sum(f for _, f in before),
        "test": len(after),
        "test_frauds": sum(f for _, f in after),
    }


def flag_rate_by_scenario(output: Path, decisions: Path) -> dict[str, dict[str, Any]]:
    """Share flagged per fraud scenario over the test months, from `backtest --output` decisions."""
    from securebank.jsonl import numbered_lines

    test = {json.loads(text)["transaction_id"] for _, text in numbered_lines(output / "test/labels.jsonl")}
    scenario = {}
    for _, text in numbered_lines(output / "all/scenarios.jsonl"):
        row = json.loads(text)
        if row["transaction_id"] in test:
            scenario[row["transaction_id"]] = row["scenario"]
    counts: dict[int, list[int]] = {}
    for _, text in numbered_lines(decisions):
        row = json.loads(text)
        if row["transaction_id"] in scenario:
            entry = counts.setdefault(scenario[row["transaction_id"]], [0, 0])
            entry[0] += 1
            entry[1] += bool(row["is_fraud"])
    return {
        str(n): {"transactions": total, "flagged": flagged, "share_flagged": round(flagged / total, 4)}
        for n, (total, flagged) in sorted(counts.items())
    }


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m securebank.lab.synccfd", description=__doc__.splitlines()[0])
    parser.add_argument("--output-dir", type=Path, required=True)
    parser.add_argument("--customers", type=int, default=1000)
    parser.add_argument("--terminals", type=int, default=2000)
    parser.add_argument("--start", type=date.fromisoformat, default=date(2025, 1, 1))
    parser.add_argument("--days", type=int, default=181, help="181 days from 2025-01-01 is January to June")
    parser.add_argument("--test-from", type=date.fromisoformat, default=date(2025, 4, 1))
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--from-parquet", type=Path, help="convert a saved SynCCFD transactions frame instead")
    parser.add_argument("--by-scenario", type=Path, metavar="DECISIONS", help="only report, from `backtest --output`, "
                        "the share flagged per fraud scenario in the test months of --output-dir")  # fmt: skip
    args = parser.parse_args(argv)
    if args.by_scenario:
        print(json.dumps(flag_rate_by_scenario(args.output_dir, args.by_scenario), indent=2))
        return 0
    import pandas as pd

    if args.from_parquet:
        frame = pd.read_parquet(args.from_parquet)
    else:
        from synccfd import DatasetGenerator

        generator = DatasetGenerator(
            n_customers=args.customers,
            n_terminals=args.terminals,
            nb_days=args.days,
            start_date=args.start.isoformat(),
            random_state=args.seed,
        )
        _, _, frame = generator.generate()
    counts = write_split(frame, args.output_dir, args.test_from)
    scenarios = frame.groupby("TX_FRAUD_SCENARIO").size().to_dict()
    print(json.dumps(counts | {"fraud_scenarios": {str(k): int(v) for k, v in scenarios.items()}}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
