"""The fraud operations loop, run by `demo` after its workload (securebank/demo/command.py), in order:

1. the workload was processed and cases were opened: open cases on the ReviewIndex, events in the cases queue;
2. a simulated analyst labels a sample of open cases through the local API, and chargebacks arrive late for some
   missed frauds as a file loaded by `labels import` (securebank/demo/loop_cases.py);
3. the merchant-risk and weekly jobs run on the local lake, and the weekly job publishes a candidate
   (securebank/demo/loop_jobs.py);
4. the candidate is put in shadow (`policy shadow N` on the local bucket) and a second workload (another seed, the
   same shape, other customers) is processed: every item carries the active decision and the shadow one;
5. `policy diff` shows the candidate's effect, and the simulated approver promotes it (`policy promote N
   --approved-by demo-approver`) unless its shadow flag rate is above the stack's fraud-rate alarm threshold: then
   it refuses, clears the shadow, and the report says why (`promotion_refused`).

Every figure is read back from the stack (items, index, queue, bucket), never assumed. When the weekly job
publishes no candidate (too few labels, or it learned the policy in force), or Spark cannot run here, the report
says so and steps 4 and 5 are reported as skipped: a candidate is never made up.

Precision, recall and F1 before and after the promotion are measured on the second workload against the
generator's ground truth (securebank/demo/loop_metrics.py), which no analyst has: `policy diff` can only count the
labelled transactions, and the labels this loop produces (reviewed flags, chargebacks of missed frauds) hold few
legitimate transactions, so the two can disagree. The report shows both, and the promotion's verdict ("after" is
what the candidate decided in shadow, whether or not it is then promoted).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from contracts.aws import FRAUD_RATE_ALARM_PERCENT
from securebank.demo import loop_cases, loop_jobs
from securebank.demo.loop_metrics import Decisions, refusal, shadow_quality, verdict
from securebank.emulator.stack import LocalStack

POLICY_CACHE_SECONDS = 10.0
"""The local processor's POLICY_CACHE_SECONDS when the demo runs the loop (deployed: 300), from the start (a stack
process reads it once): the shadow is picked up within it, and the demo's run reads the release record every 10 s
instead of every 300 s (one conditional GetObject each time)."""
PICKUP_MARGIN_SECONDS = 1.0
DIFF_DAYS = 2
"""`policy diff --days`: the workloads are dated yesterday (securebank/demo/command.py), so today and yesterday."""
DIFF_CHANGES_SHOWN = 10
APPROVER = "demo-approver"
OPERATOR = "demo-operator"
SECOND_WORKLOAD_CUSTOMER_SUFFIX = "_w2"
"""The second workload's customers are other customers: the generator names customers by index whatever the seed."""

LOOP_KEYS = (
    "cases_opened",
    "cases_queued",
    "labels_received",
    "cases_open_after_labels",
    "labels_from_chargebacks",
    "labels_in_lake",
    "candidate_version",
    "shadow_scored",
    "shadow_agreement",
    "shadow_flag_rate",
    "active_flag_rate",
    "precision_before_promotion",
    "recall_before_promotion",
    "precision_after_promotion",
    "recall_after_promotion",
    "promotion_verdict",
    "promoted_version",
    "promotion_refused",
    "loop_skipped",
    "loop_seconds",
)
"""The loop's report keys, in the order of its steps (securebank/demo/summary.py prints them so)."""


@dataclass(frozen=True)
class LoopInputs:
    truth: Mapping[str, Mapping[str, Any]]
    """The first workload's ground truth (the generator's labels), by transaction id."""
    second_bodies: list[dict[str, Any]]
    second_truth: Mapping[str, Mapping[str, Any]]
    send: Callable[[list[dict[str, Any]]], object]
    """Sends a workload to the local API and waits until it is processed."""
    output_dir: Path
    seed: int
    policy_cache_seconds: float = POLICY_CACHE_SECONDS


def other_customers(bodies: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The workload with every customer renamed, so that its customers have no profile from the first workload."""
    return [body | {"customer_id": f"{body['customer_id']}{SECOND_WORKLOAD_CUSTOMER_SUFFIX}"} for body in bodies]


def read_items(stack: LocalStack, ids: set[str]) -> dict[str, dict[str, Any]]:
    """The stored decisions of the transactions `ids`: customer_id, is_fraud and shadow_is_fraud (None if absent)."""
    assert stack.resources is not None
    dynamodb = stack.client("dynamodb")
    names = {"#t": "transaction_id", "#c": "customer_id", "#f": "is_fraud", "#s": "shadow_is_fraud"}
    kwargs: dict[str, Any] = {
        "TableName": stack.resources.transactions_table,
        "ProjectionExpression": ", ".join(names),
        "ExpressionAttributeNames": names,
    }
    items: dict[str, dict[str, Any]] = {}
    while True:
        page = dynamodb.scan(**kwargs)
        for item in page["Items"]:
            transaction_id = item["transaction_id"]["S"]
            if transaction_id in ids:
                items[transaction_id] = {
                    "customer_id": item["customer_id"]["S"],
                    "is_fraud": item.get("is_fraud", {}).get("BOOL", False),
                    "shadow_is_fraud": item.get("shadow_is_fraud", {}).get("BOOL"),
                }
        if "LastEvaluatedKey" not in page:
            return items
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def _policy_store(stack: LocalStack) -> Any:
    from adapters.policy_store import PolicyStore, S3Objects

    assert stack.resources is not None
    return PolicyStore(S3Objects(stack.client("s3"), stack.resources.bucket))


def _cases_and_labels(
    stack: LocalStack, inputs: LoopInputs, say: Callable[[Any], None], report: dict[str, Any]
) -> None:
    report["cases_opened"] = loop_cases.open_cases(stack)
    report["cases_queued"] = loop_cases.queued_case_events(stack)
    say(f"1. cases opened: {report['cases_opened']} open on the review index, {report['cases_queued']} events queued")
    analyst = loop_cases.analyst_labels(stack, inputs.truth, inputs.seed)
    items = read_items(stack, set(inputs.truth))
    missed = loop_cases.missed_frauds(items, inputs.truth)
    chargebacks = loop_cases.chargeback_file(missed, items, inputs.seed)
    path = inputs.output_dir / "chargebacks.csv"
    report["labels_received"], report["labels_refused"] = analyst.labelled, analyst.refused
    report["cases_of_the_workload"] = analyst.known
    report["cases_open_after_labels"] = loop_cases.open_cases(stack)
    report["missed_frauds"] = len(missed)
    report["labels_from_chargebacks"] = loop_cases.import_chargebacks(stack, chargebacks, path)
    report["labels_in_lake"] = loop_cases.labels_in_lake(stack)
    say(
        f"2. the analyst labelled {analyst.labelled} of {analyst.listed} open cases ({analyst.known} of the "
        "workload, the rest the warm-up's) "
        f"({report['cases_open_after_labels']} still open); {report['labels_from_chargebacks']} chargebacks of "
        f"{len(missed)} missed frauds imported from {path}; {report['labels_in_lake']} label lines in the lake"
    )


def _diff(stack: LocalStack, say: Callable[[Any], None], report: dict[str, Any]) -> None:
    """`policy diff active shadow --lake s3://<local bucket> --days DIFF_DAYS`: both versions backtested on the
    lake's recent raw transactions (both workloads) against the labels that came back."""
    from adapters.policy_store import S3Objects
    from securebank.ops.policy_diff import as_json, diff, tables

    assert stack.resources is not None
    result = diff(S3Objects(stack.client("s3"), stack.resources.bucket), "active", "shadow", days=DIFF_DAYS)
    say(f"5. policy diff active shadow: {len(result.changes)} of {result.transactions} decisions change")
    for table in tables(result, DIFF_CHANGES_SHOWN):
        say(table)
    report["diff"] = as_json(result, DIFF_CHANGES_SHOWN)
    report["diff_changed_decisions"] = len(result.changes)


def _shadow_and_promote(
    stack: LocalStack, inputs: LoopInputs, candidate: int, say: Callable[[Any], None], report: dict[str, Any]
) -> None:
    store = _policy_store(stack)
    store.shadow(candidate, by=OPERATOR, reason="demo: shadow the weekly job's candidate")
    wait = inputs.policy_cache_seconds + PICKUP_MARGIN_SECONDS
    say(f"4. v{candidate} in shadow; waiting {wait:g} s for the processor's policy cache, then the second workload")
    time.sleep(wait)
    with _timed(report, "second_workload"):
        inputs.send(inputs.second_bodies)
        items = read_items(stack, set(inputs.second_truth))
    truth = {i: bool(label.get("is_fraud")) for i, label in inputs.second_truth.items()}
    quality = shadow_quality(Decisions.from_items(items), truth)
    renamed = {
        "promotion_verdict": verdict(quality["f1_before"], quality["f1_after"]),
        "precision_before_promotion": quality.pop("precision_before"),
        "recall_before_promotion": quality.pop("recall_before"),
        "precision_after_promotion": quality.pop("precision_after"),
        "recall_after_promotion": quality.pop("recall_after"),
    }
    report |= {"second_workload_processed": len(items)} | quality | renamed
    say(
        f"   {quality['shadow_scored']} of {len(items)} processed transactions carry both decisions: agreement "
        f"{quality['shadow_agreement']}, shadow flag rate {quality['shadow_flag_rate']} "
        f"(active {quality['active_flag_rate']}); against the generator's ground truth, precision "
        f"{renamed['precision_before_promotion']} -> {renamed['precision_after_promotion']}, recall "
        f"{renamed['recall_before_promotion']} -> {renamed['recall_after_promotion']}: promoting it makes the "
        f"decisions {renamed['promotion_verdict']}"
    )
    with _timed(report, "diff"):
        _diff(stack, say, report)
    refused = refusal(quality["shadow_flag_rate"], FRAUD_RATE_ALARM_PERCENT)
    if refused is not None:  # the approver's evidence is the shadow period: it says no, and the shadow ends
        store.shadow(None, by=APPROVER, reason=f"demo: promotion refused: {refused}")
        report |= {"promoted_version": None, "promotion_refused": refused}
        say(f"   v{candidate} not promoted, refused by {APPROVER}: {refused}; the shadow is cleared")
        return
    release = store.promote(candidate, approved_by=APPROVER, reason="demo: shadowed on the second workload")
    report["promoted_version"] = release.active
    say(f"   v{release.active} promoted, approved by {APPROVER}")


def why_no_candidate(jobs: loop_jobs.JobsResult) -> str:
    """The weekly job's own account of why it published nothing."""
    weekly = jobs.weekly
    if not weekly.get("labelled"):
        return "no labelled transaction in its window"
    if weekly.get("same_as_version") is not None:
        return f"it learned version {weekly['same_as_version']} again, already published"
    return f"it kept the policy in force (chosen: {weekly.get('chosen')}) on {weekly['labelled']} labelled transactions"


def run_loop(stack: LocalStack, inputs: LoopInputs, say: Callable[[Any], None]) -> dict[str, Any]:
    """Steps 1 to 5: the report's LOOP_KEYS, and the details under `loop`. A step that fails ends the loop: what
    the steps before it measured is kept, and `loop_error` says what failed."""
    started = time.monotonic()
    report: dict[str, Any] = dict.fromkeys(LOOP_KEYS) | {"loop_error": None}
    try:
        _steps(stack, inputs, say, report)
    except Exception as exc:  # the demo still reports what it measured, and fails
        report["loop_error"] = f"{type(exc).__name__}: {exc}"
    report["loop_seconds"] = round(time.monotonic() - started, 1)
    details = {k: v for k, v in report.items() if k not in LOOP_KEYS and k != "loop_error"}
    return {key: report[key] for key in (*LOOP_KEYS, "loop_error")} | {"loop": details}


@contextmanager
def _timed(report: dict[str, Any], step: str) -> Iterator[None]:
    """Adds `seconds_<step>` to the report: where the loop's time goes."""
    started = time.monotonic()
    try:
        yield
    finally:
        report[f"seconds_{step}"] = round(time.monotonic() - started, 1)


def _steps(stack: LocalStack, inputs: LoopInputs, say: Callable[[Any], None], report: dict[str, Any]) -> None:
    with _timed(report, "cases_and_labels"):
        _cases_and_labels(stack, inputs, say, report)
    unavailable = loop_jobs.spark_unavailable()
    if unavailable is not None:
        report["loop_skipped"] = f"steps 3 to 5: {unavailable}"
    else:
        with _timed(report, "jobs"):
            jobs = loop_jobs.run_jobs(stack, inputs.output_dir / "loop-lake")
        candidate = jobs.candidate_version
        report |= {"candidate_version": candidate, "jobs_wrote": jobs.written}
        report["weekly_labelled"] = jobs.weekly.get("labelled")
        say(
            f"3. merchant-risk ({jobs.merchant_risk.get('merchants')} risky merchants) and weekly jobs ran in "
            f"{jobs.seconds:g} s on {jobs.weekly.get('labelled')} labelled transactions; "
            + (f"candidate v{candidate} published" if candidate is not None else "no candidate published")
        )
        if candidate is None:
            report["loop_skipped"] = f"steps 4 and 5: the weekly job published no candidate ({why_no_candidate(jobs)})"
        else:
            _shadow_and_promote(stack, inputs, candidate, say, report)
