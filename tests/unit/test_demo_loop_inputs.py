"""The demo loop's simulated inputs: the missed frauds, the chargeback file `labels import` accepts, the second
workload's other customers, the candidate read from what the weekly job wrote (or why there is none), and the
loop's table in the demo's report."""

from datetime import UTC, datetime

from securebank.demo.loop import LOOP_KEYS, SECOND_WORKLOAD_CUSTOMER_SUFFIX, other_customers, why_no_candidate
from securebank.demo.loop_cases import CHARGEBACK_SHARE, chargeback_file, missed_frauds
from securebank.demo.loop_jobs import JobsResult
from securebank.demo.summary import loop_table
from securebank.ops.labels_file import parse

NOW = datetime(2026, 11, 30, 12, tzinfo=UTC)


def test_missed_frauds_are_the_frauds_the_active_policy_did_not_flag():
    items = {
        "caught": {"is_fraud": True},
        "missed": {"is_fraud": False},
        "legit": {"is_fraud": False},
        "false_alarm": {"is_fraud": True},
    }
    truth = {"caught": {"is_fraud": True}, "missed": {"is_fraud": True}, "false_alarm": {"is_fraud": False}}
    assert missed_frauds(items, truth) == ["missed"]


def test_the_chargeback_file_is_a_valid_label_file_of_a_sample_of_the_missed_frauds():
    missed = [f"tx_{n}" for n in range(10)]
    items = {i: {"customer_id": f"cust_{i}", "is_fraud": False} for i in missed}
    data = chargeback_file(missed, items, seed=7, now=NOW)
    rows, rejected = parse(data, csv_format=True, source="chargeback", now=NOW)
    assert rejected == []
    assert len(rows) == round(len(missed) * CHARGEBACK_SHARE)
    assert {row.transaction_id for row in rows} <= set(missed)
    assert all(row.is_fraud and row.source == "chargeback" and row.labelled_at == NOW for row in rows)
    assert all(row.customer_id == f"cust_{row.transaction_id}" for row in rows)
    assert chargeback_file(missed, items, seed=7, now=NOW) == data  # the same sample for the same seed


def test_the_second_workload_has_other_customers_and_the_same_transactions():
    bodies = [{"transaction_id": "tx_1", "customer_id": "cust_000001", "amount": "10.00"}]
    renamed = other_customers(bodies)
    assert renamed == [
        {"transaction_id": "tx_1", "customer_id": f"cust_000001{SECOND_WORKLOAD_CUSTOMER_SUFFIX}", "amount": "10.00"}
    ]
    assert bodies[0]["customer_id"] == "cust_000001"  # the first workload's bodies are left alone


def test_the_candidate_is_the_policy_version_the_weekly_job_wrote_or_none():
    wrote = ["config/merchant-risk/2026-12-01.json", "config/fraud-policy/v0000000003.json"]
    assert JobsResult({}, {}, wrote, 1.0).candidate_version == 3
    assert JobsResult({}, {}, wrote[:1], 1.0).candidate_version is None


def test_a_loop_without_candidate_says_why_in_the_weekly_jobs_words():
    def why(weekly: dict[str, object]) -> str:
        return why_no_candidate(JobsResult({}, weekly, [], 1.0))

    assert why({"labelled": 0, "written_policy": None}) == "no labelled transaction in its window"
    assert why({"labelled": 40, "same_as_version": 3}) == "it learned version 3 again, already published"
    assert "kept the policy in force (chosen: current) on 40 labelled" in why({"labelled": 40, "chosen": "current"})


def test_the_loop_table_prints_every_loop_key_in_step_order_and_a_skipped_step_as_a_dash():
    from rich.console import Console

    report = dict.fromkeys(LOOP_KEYS) | {"cases_opened": 12, "loop_skipped": "steps 4 and 5: no candidate"}
    report |= {"loop_error": None, "loop": {"missed_frauds": 3, "jobs_wrote": ["a"]}}
    console = Console(width=200, record=True)
    console.print(loop_table(report))
    text = console.export_text()
    rows = [line.split("│")[1:3] for line in text.splitlines() if line.count("│") >= 3]
    names = [name.strip() for name, _ in rows]
    assert names[: len(LOOP_KEYS)] == list(LOOP_KEYS)
    assert "missed_frauds" in names and "jobs_wrote" not in names and "loop_error" not in names
    values = dict((name.strip(), value.strip()) for name, value in rows)
    assert values["cases_opened"] == "12"
    assert values["promoted_version"] == "-"
