"""`python -m securebank backtest` end to end on small files."""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from securebank.__main__ import main
from securebank.lab.takeover import Row, generate


def body(n: int, customer: str = "c1", minute: int = 0, amount: str = "10.00", lat: float = 40.7) -> dict:
    return {"transaction_id": f"t{n}", "customer_id": customer, "amount": amount, "currency": "USD",
            "merchant_id": "m1", "merchant_category": "grocery", "timestamp": f"2024-03-01T12:{minute:02d}:00Z",
            "location": {"latitude": lat, "longitude": -74.0}}  # fmt: skip


def write(path: Path, rows: list) -> Path:
    text = "".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows)
    if path.suffix == ".gz":
        path.write_bytes(gzip.compress(text.encode()))
    else:
        path.write_text(text)
    return path


@pytest.fixture
def attack(tmp_path: Path) -> Path:
    """Five small payments, then a large one far away within the hour: velocity + amount + location = 0.9."""
    rows = [body(i, minute=i) for i in range(5)] + [body(5, minute=10, amount="500.00", lat=25.0)]
    return write(tmp_path / "txns.jsonl.gz", rows)


def run(*args: str) -> int:
    return main(["backtest", *args])


def test_writes_one_decision_per_transaction_in_input_order(attack: Path, tmp_path: Path):
    out = tmp_path / "decisions.jsonl"
    assert run("--transactions", str(attack), "--output", str(out)) == 0
    decisions = [json.loads(line) for line in out.read_text().splitlines()]
    assert [d["transaction_id"] for d in decisions] == [f"t{i}" for i in range(6)]
    last = decisions[-1]
    assert last == {
        "transaction_id": "t5",
        "customer_id": "c1",
        "risk_score": "0.9",
        "is_fraud": True,
        "triggered_rules": ["velocity_check", "amount_anomaly", "location_anomaly"],
        "reasons": last["reasons"],
    }
    assert last["reasons"][0] == "6 transactions in the last hour > 5"


def test_reports_confusion_and_f1_against_labels(attack: Path, tmp_path: Path):
    labels = write(tmp_path / "labels.jsonl", [{"transaction_id": f"t{i}", "is_fraud": i >= 4} for i in range(6)])
    report = tmp_path / "report.json"
    assert run("--transactions", str(attack), "--labels", str(labels), "--report-json", str(report)) == 0
    data = json.loads(report.read_text())
    assert (data["tp"], data["fp"], data["fn"], data["tn"]) == (1, 0, 1, 4)
    assert (data["precision"], data["recall"], data["f1"]) == ("1.0000", "0.5000", "0.6667")
    assert data["transactions"] == 6
    assert data["flagged"] == 1
    assert data["transactions_per_second"] > 0
    assert {"seconds", "rejected"} <= data.keys()


def test_a_repeated_transaction_gets_no_second_decision(tmp_path: Path):
    rows = [body(1), body(2, minute=1), body(1), body(3, minute=2)]
    out, report = tmp_path / "d.jsonl", tmp_path / "r.json"
    assert run("--transactions", str(write(tmp_path / "t.jsonl", rows)), "--output", str(out),
               "--report-json", str(report)) == 0  # fmt: skip
    assert [json.loads(line)["transaction_id"] for line in out.read_text().splitlines()] == ["t1", "t2", "t3"]
    assert json.loads(report.read_text())["duplicates"] == 1


def test_bad_lines_are_reported_with_line_and_field_and_the_run_goes_on(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    rows = [body(1), "{not json", {**body(2), "amount": "1.005"}, body(3, minute=2), {**body(4), "currency": "usd"}]
    report = tmp_path / "r.json"
    assert run("--transactions", str(write(tmp_path / "t.jsonl", rows)), "--report-json", str(report)) == 0
    err = capsys.readouterr().err
    assert "line 2: body: is not JSON (" in err
    assert "line 3: amount: must have at most 2 decimal places" in err
    assert "line 5: currency:" in err
    data = json.loads(report.read_text())
    assert (data["transactions"], data["rejected"]) == (2, 3)


def test_a_policy_file_changes_the_decisions(attack: Path, tmp_path: Path):
    from adapters.serialization import policy_to_json
    from domain.policy import FraudPolicy

    strict = tmp_path / "policy.json"
    strict.write_text(policy_to_json(FraudPolicy(version=7, threshold=__import__("decimal").Decimal("0.3"))))
    out = tmp_path / "d.jsonl"
    assert run("--transactions", str(attack), "--policy", str(strict), "--output", str(out)) == 0
    flagged = [json.loads(line)["is_fraud"] for line in out.read_text().splitlines()]
    assert flagged == [False, False, False, False, False, True]
    report = tmp_path / "r.json"
    run("--transactions", str(attack), "--policy", str(strict), "--report-json", str(report))
    assert json.loads(report.read_text())["policy_version"] == 7


def _merchant_history(tmp_path: Path) -> tuple[Path, Path, Path]:
    """Two confirmed frauds at m1 on March 1. One label arrives on March 3 (labelled_at), the other after the
    assumed delay (5 days: known from March 7). The policy flags a payment at m1 once 2 frauds are known.
    (transactions, labels, policy)"""

    def at(n: int, day: int, merchant: str = "m1") -> dict:
        return body(n, customer=f"c{n}") | {"merchant_id": merchant, "timestamp": f"2024-03-{day:02d}T12:00:00Z"}

    rows = [at(1, 1), at(2, 1), at(3, 4), at(4, 7), at(5, 8, "m2")]
    transactions = write(tmp_path / "txns.jsonl", rows)
    fed = write(tmp_path / "fed.jsonl", [
        {"transaction_id": "t1", "is_fraud": True, "labelled_at": "2024-03-02T18:00:00+01:00"},
        {"transaction_id": "t2", "is_fraud": True}, {"transaction_id": "t3", "is_fraud": False},
        {"transaction_id": "t4", "is_fraud": True, "labelled_at": "yesterday"},
    ])  # fmt: skip
    rule = {"weight": "0.9", "window_days": 7, "lag_days": 0, "min_frauds": 2, "min_share": "0"}
    (tmp_path / "p.json").write_text(json.dumps({"merchant_risk": rule}))
    return transactions, fed, tmp_path / "p.json"


@pytest.mark.parametrize(("feed", "source"), [("--feed-labels", "--feed-labels"), ("--labels", "--labels")])
def test_fed_labels_reach_the_merchant_rule_only_from_the_day_after_they_arrived(tmp_path: Path, feed, source):
    """By --feed-labels, or by default the --labels file, as `tune` feeds its own."""
    transactions, fed, policy = _merchant_history(tmp_path)
    out, report = tmp_path / "decisions.jsonl", tmp_path / "report.json"

    assert run("--transactions", str(transactions), "--policy", str(policy), "--output", str(out),
               feed, str(fed), "--label-delay-days", "5", "--report-json", str(report)) == 0  # fmt: skip

    flagged = {d["transaction_id"]: d["is_fraud"] for d in map(json.loads, out.read_text().splitlines())}
    assert flagged == {"t1": False, "t2": False, "t3": False, "t4": True, "t5": False}
    assert json.loads(report.read_text())["merchant_feed"] == {
        "confirmed_frauds_fed": 2,
        "label_delay_days": 5.0,
        "merchants_with_fraud": 1,
        "from": source,
    }  # fmt: skip
    # t4's label has a bad labelled_at: it is rejected, not fed


def test_no_feed_scores_against_the_labels_without_feeding_them(tmp_path: Path):
    transactions, fed, policy = _merchant_history(tmp_path)
    out, report = tmp_path / "decisions.jsonl", tmp_path / "report.json"

    assert run("--transactions", str(transactions), "--policy", str(policy), "--output", str(out), "--labels",
               str(fed), "--no-feed", "--report-json", str(report)) == 0  # fmt: skip

    assert not any(json.loads(line)["is_fraud"] for line in out.read_text().splitlines())
    result = json.loads(report.read_text())
    assert "merchant_feed" not in result and result["labelled"] == 3  # scored all the same (t4's label refused)


@pytest.mark.parametrize(("delay", "known_next_noon"), [("0", True), ("0.5", False)])
def test_a_scored_label_fed_by_default_never_flags_its_own_payment(tmp_path: Path, delay: str, known_next_noon):
    """The leak the default could open: the labels being scored feed the rule. At a delay of zero a fraud's label
    arrives with its payment, yet reaches the rule only from the next UTC day; at half a day, March 1's labels
    arrive on March 2 and count from March 3."""
    rows = [body(1, customer="c1") | {"merchant_id": "m1", "timestamp": "2024-03-01T23:00:00Z"},
            body(2, customer="c2") | {"merchant_id": "m1", "timestamp": "2024-03-01T23:30:00Z"},
            body(3, customer="c3") | {"merchant_id": "m1", "timestamp": "2024-03-02T12:00:00Z"}]  # fmt: skip
    transactions = write(tmp_path / "txns.jsonl", rows)
    labels = write(tmp_path / "labels.jsonl", [{"transaction_id": f"t{n}", "is_fraud": True} for n in (1, 2, 3)])
    rule = {"weight": "0.9", "window_days": 7, "lag_days": 0, "min_frauds": 1, "min_share": "0"}
    (tmp_path / "p.json").write_text(json.dumps({"merchant_risk": rule}))
    out = tmp_path / "decisions.jsonl"

    # --unlabelled legitimate: a file of frauds only is refused without it; this one names every transaction
    assert run("--transactions", str(transactions), "--policy", str(tmp_path / "p.json"), "--output", str(out),
               "--labels", str(labels), "--label-delay-days", delay, "--unlabelled", "legitimate") == 0  # fmt: skip

    flagged = {d["transaction_id"]: d["is_fraud"] for d in map(json.loads, out.read_text().splitlines())}
    assert flagged == {"t1": False, "t2": False, "t3": known_next_noon}  # t2 never sees t1's label the same day


def test_no_feed_and_fed_labels_together_are_refused(tmp_path: Path, capsys):
    transactions, fed, _ = _merchant_history(tmp_path)

    with pytest.raises(SystemExit) as exit_:
        run("--transactions", str(transactions), "--feed-labels", str(fed), "--no-feed")

    assert exit_.value.code == 2 and "--no-feed" in capsys.readouterr().err


def test_without_fed_labels_the_merchant_rule_knows_nothing(attack: Path, tmp_path: Path, capsys):
    policy = tmp_path / "p.json"
    policy.write_text(json.dumps({"threshold": "0", "merchant_risk": {"weight": "0.9", "min_frauds": 1}}))
    report = tmp_path / "report.json"

    assert run("--transactions", str(attack), "--policy", str(policy), "--report-json", str(report)) == 0

    result = json.loads(report.read_text())
    assert "merchant_feed" not in result
    assert result["flagged"] == 1  # the attack's own rules, at threshold 0; no payment is flagged for its merchant
    assert "reads the merchant feed and no labels feed it" in capsys.readouterr().err.replace("\n", " ")


def test_a_policy_that_does_not_read_the_feed_gets_no_warning_without_labels(attack: Path, tmp_path: Path, capsys):
    policy = tmp_path / "p.json"
    policy.write_text(json.dumps({"threshold": "0", "merchant_risk": {"weight": "0"}}))

    assert run("--transactions", str(attack), "--policy", str(policy)) == 0

    assert "merchant feed" not in capsys.readouterr().err


def test_a_history_whose_ids_repeat_across_customers_accounts_for_every_line(tmp_path: Path):
    """Regression: with card-level ids shared by customers (a quarter of the rows), the replay stopped with
    `RuntimeError: replay could not apply 51 transactions`."""
    rows = []
    for n in range(200):
        rows.append(body(n, customer=f"c{n % 10}", minute=n % 60))
        if n % 4 == 0:  # another customer's transaction with the same id
            rows.append(body(n, customer=f"d{n % 7}", minute=n % 60, amount="11.00"))
    rows.append(body(0, customer="c0", minute=0))  # a client's retry: same identity, same content
    rows.append(body(1, customer="c1", minute=1, amount="99.00"))  # same identity, other content
    rows.append("{not json")
    history = write(tmp_path / "shared.jsonl", rows)
    out, report = tmp_path / "decisions.jsonl", tmp_path / "report.json"

    assert run("--transactions", str(history), "--output", str(out), "--report-json", str(report)) == 0

    counts = json.loads(report.read_text())
    assert counts["lines"] == len(rows) == 253
    assert (counts["transactions"], counts["duplicates"], counts["rejected"]) == (250, 1, 2)
    assert counts["rejected_by_field"] == {"body": 1, "conflicting_resubmission": 1}
    decided = [json.loads(line) for line in out.read_text().splitlines()]
    assert len({(d["customer_id"], d["transaction_id"]) for d in decided}) == 250


def test_a_line_that_is_not_utf8_is_one_rejected_line_and_the_run_goes_on(tmp_path: Path):
    """Before: the file reader decoded strictly, and one bad byte stopped the backtest with UnicodeDecodeError."""
    history = tmp_path / "history.jsonl"
    good = [json.dumps(body(n, minute=n)).encode() for n in range(3)]
    history.write_bytes(b"\n".join([good[0], b"\xff\xfe not utf-8", *good[1:]]) + b"\n")
    report = tmp_path / "report.json"

    assert run("--transactions", str(history), "--report-json", str(report)) == 0

    counts = json.loads(report.read_text())
    assert (counts["transactions"], counts["rejected"], counts["rejected_by_field"]) == (3, 1, {"record": 1})


@pytest.fixture(scope="module")
def months(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Four generated months (January to April 2026) and their labels: all of them, the frauds only, all of March
    and April (UTC), and March and April's frauds only; a policy that flags enough to have false alarms."""
    rows = generate(seed=3, holders=30, months=4, start=date(2026, 1, 1))
    folder = tmp_path_factory.mktemp("months")

    def labels(name: str, keep: Callable[[Row], bool]) -> Path:
        kept = [{"transaction_id": r.body["transaction_id"], "is_fraud": r.is_fraud} for r in rows if keep(r)]
        return write(folder / name, kept)

    def late(row: Row) -> bool:
        return datetime.fromisoformat(row.body["timestamp"]) >= SCORE_FROM

    (folder / "p.json").write_text(json.dumps({"threshold": "0.3"}))
    return {
        "transactions": write(folder / "t.jsonl", [r.body for r in rows]),
        "policy": folder / "p.json",
        "all": labels("all.jsonl", lambda r: True),
        "frauds": labels("frauds.jsonl", lambda r: r.is_fraud),
        "late": labels("late.jsonl", late),
        "late_frauds": labels("late_frauds.jsonl", lambda r: r.is_fraud and late(r)),
    }


SCORE_FROM = datetime(2026, 3, 1, tzinfo=UTC)


def scored(months: dict[str, Path], tmp_path: Path, labels: str, *more: str) -> dict[str, Any]:
    report = tmp_path / f"{labels}.json"
    assert run("--transactions", str(months["transactions"]), "--policy", str(months["policy"]), "--labels",
               str(months[labels]), "--report-json", str(report), *more) == 0  # fmt: skip
    return json.loads(report.read_text())


def confusion(report: dict[str, Any]) -> tuple[int, int, int, int]:
    return report["tp"], report["fp"], report["fn"], report["tn"]


def test_a_labels_file_of_frauds_only_is_refused_naming_the_option(months, tmp_path, capsys):
    report = tmp_path / "r.json"

    code = run("--transactions", str(months["transactions"]), "--labels", str(months["frauds"]),
               "--report-json", str(report))  # fmt: skip

    assert code == 2
    err = capsys.readouterr().err
    frauds = len(months["frauds"].read_text().splitlines())
    assert err.count("\n") == 1 and str(months["frauds"]) in err
    assert f"holds only frauds ({frauds} of them)" in err and "--unlabelled legitimate" in err
    assert not report.exists()


def test_a_labels_file_with_no_fraud_is_scored_as_before(attack: Path, tmp_path: Path):
    """Its false alarms are real ones; only recall has nothing to measure."""
    labels = write(tmp_path / "labels.jsonl", [{"transaction_id": f"t{i}", "is_fraud": False} for i in range(6)])
    report = tmp_path / "report.json"

    assert run("--transactions", str(attack), "--labels", str(labels), "--report-json", str(report)) == 0

    assert confusion(json.loads(report.read_text())) == (0, 1, 0, 5)


@pytest.mark.parametrize("engine", ["columnar", "domain"])
def test_frauds_only_with_the_others_legitimate_scores_as_the_complete_labels(months, tmp_path, engine):
    complete = scored(months, tmp_path, "all", "--engine", engine)
    frauds_only = scored(months, tmp_path, "frauds", "--engine", engine, "--unlabelled", "legitimate")

    assert confusion(frauds_only) == confusion(complete)
    assert min(confusion(complete)) > 0  # every cell counts: false alarms and true negatives included
    frauds = complete["tp"] + complete["fn"]
    assert (frauds_only["unlabelled_as"], frauds_only["counted_legitimate"]) == (
        "legitimate",
        complete["tn"] + complete["fp"],
    )
    assert frauds_only["labelled"] == complete["labelled"] == frauds + frauds_only["counted_legitimate"]
    assert (frauds_only["unlabelled"], complete["unlabelled_as"], complete["counted_legitimate"]) == (0, "skip", 0)


@pytest.mark.parametrize("engine", ["columnar", "domain"])
def test_score_from_scores_the_late_months_as_their_complete_labels(months, tmp_path, engine):
    """The six-month replay scored on its last months with a frauds-only file: every transaction replays (the
    early months build the holders' history), and only those from March 1 are scored."""
    late = scored(months, tmp_path, "late", "--engine", engine)
    frauds_only = scored(months, tmp_path, "late_frauds", "--engine", engine, "--unlabelled", "legitimate",
                         "--score-from", "2026-03-01T00:00:00+00:00")  # fmt: skip

    assert confusion(frauds_only) == confusion(late)
    assert min(confusion(late)) > 0
    assert frauds_only["score_from"] == "2026-03-01T00:00:00+00:00"
    assert frauds_only["before_score_from"] == late["unlabelled"] > 0
    assert frauds_only["transactions"] == frauds_only["labelled"] + frauds_only["before_score_from"]
    assert frauds_only["labelled"] == late["labelled"]


@pytest.mark.parametrize("engine", ["columnar", "domain"])
def test_score_from_scores_a_transaction_at_that_instant_written_in_any_offset(attack: Path, tmp_path: Path, engine):
    labels = write(tmp_path / "labels.jsonl", [{"transaction_id": f"t{i}", "is_fraud": i >= 4} for i in range(6)])
    report = tmp_path / "report.json"

    assert run("--transactions", str(attack), "--labels", str(labels), "--score-from", "2024-03-01T13:04:00+01:00",
               "--report-json", str(report), "--engine", engine) == 0  # fmt: skip

    result = json.loads(report.read_text())
    assert confusion(result) == (1, 0, 1, 0)  # t4 at 12:04Z (missed) and t5 (flagged)
    assert (result["before_score_from"], result["score_from"]) == (4, "2024-03-01T13:04:00+01:00")


@pytest.mark.parametrize("value", ["2024-04-01", "2024-04-01T00:00:00", "April", "2024-13-01T00:00:00Z"])
def test_a_score_from_that_is_not_a_time_with_an_offset_is_refused_naming_the_option(attack, tmp_path, capsys, value):
    with pytest.raises(SystemExit) as exit_:
        run("--transactions", str(attack), "--labels", str(attack), "--score-from", value)

    assert exit_.value.code == 2
    assert "--score-from" in capsys.readouterr().err


@pytest.mark.parametrize("option", [("--unlabelled", "legitimate"), ("--score-from", "2024-03-01T00:00:00Z")])
def test_scoring_options_without_labels_are_refused(attack: Path, capsys, option):
    assert run("--transactions", str(attack), *option) == 2

    assert f"{option[0]}" in capsys.readouterr().err
