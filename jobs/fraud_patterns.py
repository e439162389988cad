"""Glue job (weekly): learn a new FraudPolicy from the labelled raw lake, at scale.

Per-customer replay grouped by customer in Spark (jobs/fraud_replay.py): each executor replays its customers'
transactions in time order through the domain (`domain.tuning.Replay`, the same profile evolution and observations
as the processor) and emits one signature per labelled transaction, and the feature row
(`domain.features.vector`) of every fraud and of 1 in k legitimate transactions (k such that at most `--max-rows`
rows, 500,000 by default, reach the driver; jobs/learn_sample.py). Spark sums the signatures into a tally,
(holdout?, week, signature) -> [frauds, legits], which is small; the driver runs `domain.tuning.tune` on it,
starting from the ACTIVE policy (the release record's, else the seed: jobs/policy_versions.py), then lets tree
ensembles fitted on the rows (each sampled legitimate row weighted k) compete with that rules result on the same
holdout, as `python -m securebank tune` does (jobs/learn_select.py, jobs/learn_candidate.py), and writes the
report under processed/fraud-patterns/.

When the learned policy beats the active one on the time-ordered holdout, the job publishes it as a CANDIDATE:
`policy_key(N + 1)`, N the greatest published version (not the active one), and beside it `policy_report_key(N + 1)`,
its backtest report (`jobs.tuning_report.backtest_report`: precision, recall, F1 and confusion on the holdout, the
chosen rules and threshold, or the learner, its trees and operating threshold, the date range, the labelled
counts). A model policy is a policy like any: its trees travel inside the policy file. Both are new objects; a
learned policy equal to a published version is not published again. The job never writes the release record
(its role may write only POLICY_CANDIDATE_PATTERN): a candidate changes nothing until an operator shadows and
promotes it (`python -m securebank policy diff|shadow|promote`, docs/analytics.md).

    fraud_patterns.py --lake s3://bucket --labels s3://bucket/labels/ --date 2025-04-01 [--weeks 13] [--holdout 0.25]
        [--label-delay-days 7] [--max-rows 500000]

Transactions of the `--weeks` weeks before `--date` are replayed (unlabelled ones too: they shape the profiles).
The `merchant_risk` rule is fed as `python -m securebank tune` feeds it: Spark builds the merchant ledger of the
replayed history (`domain.merchant_risk.MerchantLedger` semantics: distinct transactions per merchant and UTC day,
and per confirmed fraud the day after its label arrived, its `labelled_at`, else the transaction's time plus
`--label-delay-days`), keeps the merchants with confirmed fraud and hands that small `MerchantRisk` to every
customer's replay, so a label is never used before it would have arrived and the search sees the rule trigger.

Layering note: the policy's JSON shape has exactly one definition, the cattrs converter in
adapters/serialization.py (no boto3 in it), so this job uses it to parse bodies and to write the policy.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_CEILING, Decimal
from typing import TYPE_CHECKING, Any

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as fn

from contracts.aws import FRAUD_REPORTS_PREFIX, policy_key, policy_report_key
from domain.catalogue import MERCHANT_RISK
from domain.merchant_risk import Day, MerchantDay, MerchantRisk
from domain.policy import FraudPolicy
from domain.tuning import candidate_grid, tune
from jobs.fraud_replay import holdout_cutoff, replay_history
from jobs.labels import label_transactions, read_labels, shared_id_labels
from jobs.lake import (
    LakeFiles,
    deduplicate,
    existing_paths,
    parse_day,
    parse_job_args,
    raw_day_path,
    raw_root,
    spark_session,
)
from jobs.learn_sample import MAX_ROWS
from jobs.merchant_risk import merchant_days, parse_lines
from jobs.policy_versions import published, same_as_published
from jobs.tuning_report import backtest_report, report

if TYPE_CHECKING:  # scikit-learn is imported on the driver only, when it learns (never by the executors' replay)
    from jobs.learn import Params

QUANTILES = (0.9, 0.95, 0.98, 0.99, 0.995, 0.999)
LEGIT_QUANTILES = (0.99, 0.999, 1.0)


def read_history(spark: SparkSession, lake: str, labels: str, first: date, end: date) -> DataFrame:
    """Raw lines of the days [first, end) (only those folders are listed): value, transaction_id, customer_id, at,
    amount, currency, merchant_id, day (UTC) and `valid` (the daily merchant job's checks,
    `jobs.merchant_risk.parse_lines`), with the label, is_fraud and labelled_at (null when unlabelled; one label per
    (customer_id, transaction_id), as `jobs.labels.label_transactions` applies them)."""
    days = [first + timedelta(days=n) for n in range((end - first).days)]
    folders = existing_paths(spark, [raw_day_path(lake, day) for day in days])
    if not folders:
        raise FileNotFoundError(f"no raw transactions under {raw_root(lake)} from {first} to {end}")
    raw = spark.read.option("basePath", raw_root(lake)).text(folders)
    lines = parse_lines(raw.select("value").where(fn.trim("value") != ""), first, end).select(
        "value",
        # as before for the replay; equal to parse_lines' ids on every valid line
        fn.get_json_object("value", "$.transaction_id").alias("transaction_id"),
        fn.get_json_object("value", "$.customer_id").alias("customer_id"),
        fn.to_timestamp(fn.get_json_object("value", "$.timestamp")).alias("at"),
        fn.get_json_object("value", "$.amount").cast("decimal(18,2)").alias("amount"),
        fn.get_json_object("value", "$.currency").alias("currency"),
        "merchant_id",
        "day",
        "valid",
    )
    return label_transactions(lines.where("customer_id IS NOT NULL AND at IS NOT NULL"), read_labels(spark, labels))


def merchant_ledger(history: DataFrame, label_delay: timedelta) -> MerchantRisk:
    """What the merchant rule knew, day by day, over `history` (`domain.merchant_risk.MerchantLedger` in Spark):
    per merchant with at least one confirmed fraud and per UTC day, its distinct transactions and, per confirmed
    fraud, the day after its label arrived (`labelled_at`, else the transaction's time + `label_delay`). Small: it
    is collected to the driver."""
    columns = ("value", "customer_id", "transaction_id", "merchant_id", "day", "at", "is_fraud", "labelled_at")
    unique = deduplicate(history.where("valid").select(*columns))  # the lake is at-least-once
    days = merchant_days(unique).where("merchant_frauds > 0")
    delay = fn.lit(label_delay // timedelta(microseconds=1))
    arrived = fn.coalesce(fn.to_timestamp("labelled_at"), fn.timestamp_micros(fn.unix_micros("at") + delay))
    known = (
        unique.where("is_fraud")
        .groupBy("merchant_id", "day")
        .agg(fn.sort_array(fn.collect_list(fn.date_add(fn.to_date(arrived), 1))).alias("known_from"))
    )
    rows = days.join(known, ["merchant_id", "day"], "left").select("merchant_id", "day", "transactions", "known_from")
    merchants: dict[str, dict[Day, MerchantDay]] = {}
    for row in rows.collect():
        known_from = tuple(when.toordinal() for when in row["known_from"] or ())
        merchants.setdefault(row["merchant_id"], {})[row["day"].toordinal()] = MerchantDay(
            row["transactions"], known_from
        )
    return MerchantRisk(merchants)


def amount_limits(history: DataFrame, cutoff: datetime | None, currency: str) -> list[Decimal]:
    """Candidate limits for `large_amount` in `currency` (as `securebank.lab.tuning.amount_limits`,
    approximate): high quantiles of the amounts seen in it, rounded, and of its labelled-legitimate amounts before
    the holdout (which must not shape what it judges) up to their largest, rounded up."""
    history = history.where(fn.col("currency") == currency)  # amounts in other currencies are not comparable
    row = history.agg(fn.percentile_approx("amount", list(QUANTILES)).alias("q")).first()
    limits = {Decimal(q).quantize(Decimal(1)) for q in (row["q"] if row else None) or [] if q is not None}
    training = history.where("is_fraud = false")
    if cutoff is None:
        training = training.where("false")
    else:
        training = training.where(fn.col("at") < fn.lit(cutoff.replace(tzinfo=None)))  # naive UTC, as Spark's
    legit = training.agg(fn.percentile_approx("amount", list(LEGIT_QUANTILES)).alias("q"))
    legit_row = legit.first()
    limits |= {Decimal(q).to_integral_value(ROUND_CEILING) for q in (legit_row["q"] if legit_row else None) or []
               if q is not None}  # fmt: skip
    return sorted(limit for limit in limits if limit > 0)


def run(
    spark: SparkSession,
    lake: str,
    labels: str,
    end: date,
    weeks: int,
    holdout: float,
    label_delay_days: float = 7.0,
    *,
    at_most: int = MAX_ROWS,
    settings: Sequence[Params] | None = None,
) -> dict[str, Any]:
    """Replay, search the rules, let tree ensembles compete (`settings`: the learner's own by default), publish
    a candidate that beats the active policy on the holdout."""
    from attrs import evolve

    from adapters.serialization import policy_to_json
    from jobs.learn_candidate import learn_candidate
    from jobs.learn_select import SETTINGS

    if label_delay_days < 0:
        raise ValueError(f"--label-delay-days must be 0 or more, got {label_delay_days}")
    files = LakeFiles(spark, lake)
    found = published(files)
    current = found.active
    first = end - timedelta(weeks=weeks)
    history = read_history(spark, lake, labels, first, end).cache()
    limits = amount_limits(history, holdout_cutoff(history, holdout), current.large_amount.currency)
    grid = candidate_grid(current, limits)
    merchants = merchant_ledger(history, timedelta(days=label_delay_days))
    replayed = replay_history(history, grid, holdout, merchants, at_most)
    tally, meta = replayed.tally, replayed.meta
    feed = {
        "confirmed_frauds_fed": sum(len(e.known_from) for days in merchants.merchants.values() for e in days.values()),
        "merchants_with_fraud": len(merchants.merchants),
        "label_delay_days": label_delay_days,
    }
    shared = shared_id_labels(history.where("valid"), read_labels(spark, labels))
    result: dict[str, Any] = {
        "date": end.isoformat(),
        "current_version": current.version,
        "merchant_feed": feed,
        "shared_id_labels": shared,  # labels without customer_id applied to several customers' transactions
    }
    if not tally:
        return result | {"labelled": 0, "written_policy": None}
    outcome = tune(tally, grid, current)
    result |= meta | report(outcome, tally, grid)
    examples = replayed.examples(_merchant_window(outcome.policy))
    active = replayed.examples(_merchant_window(current)) if current.model is not None else None
    learned, learning = learn_candidate(examples, replayed.step, grid, outcome, current, settings or SETTINGS, active)
    # the written policy's choice and threshold, as `tune` reports them; the rules search's stay in the report
    result |= {"chosen": learning["chosen"], "threshold": learning["operating_threshold"], "learning": learning}
    written = None
    if learned is not None:
        policy = evolve(learned, version=found.newest + 1)
        result["same_as_version"] = same_as_published(files, found, policy)
        if result["same_as_version"] is None:
            dates = meta | {"history_from": first.isoformat(), "history_to": end.isoformat()}
            backtest = {"version": policy.version, "base_version": current.version, "date": end.isoformat()}
            backtest |= backtest_report(outcome, tally, grid, dates, learning)
            written = policy_key(policy.version)
            files.create(written, policy_to_json(policy))
            files.create(policy_report_key(policy.version), json.dumps(backtest, indent=2) + "\n")
            result |= {"policy_version": policy.version, "backtest_report": policy_report_key(policy.version)}
    result["written_policy"] = written
    report_key = f"{FRAUD_REPORTS_PREFIX}date={end.isoformat()}/report-{datetime.now(UTC):%Y%m%dT%H%M%S}.json"
    files.create(report_key, json.dumps(result) + "\n")  # one line: Athena reads one JSON document a line
    return result | {"report": report_key}


def _merchant_window(policy: FraudPolicy) -> tuple[int, int]:
    """The merchant rule's window (days, lag days): what a model in this policy reads of the merchant feed."""
    rule = policy[MERCHANT_RISK]
    return rule.window_days, rule.lag_days


def main(argv: Sequence[str]) -> int:
    optional = {"date": "", "weeks": "13", "holdout": "0.25", "label-delay-days": "7", "max-rows": str(MAX_ROWS),
                "master": ""}  # fmt: skip
    args = parse_job_args(argv, "lake", "labels", **optional)  # argparse: --label-delay-days -> label_delay_days
    spark = spark_session("securebank-fraud-patterns", master=args.master or None)
    day = parse_day(args.date, days_before_today=0)  # the weekly schedule passes no date: the weeks before today
    delay = float(args.label_delay_days)
    result = run(spark, args.lake, args.labels, day, int(args.weeks), float(args.holdout), delay,
                 at_most=int(args.max_rows))  # fmt: skip
    shown = ("labelled", "chosen", "written_policy", "backtest_report", "same_as_version", "merchant_feed", "report")
    print(json.dumps({k: result.get(k) for k in shown}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
