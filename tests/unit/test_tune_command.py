"""`tune --objective f1|cost --fn-cost X --fp-cost Y`: the written policy and the report's learning section; the
rules-only search stays available; the tune-to-replay ratio is measured in one run."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from adapters.serialization import policy_from_json
from securebank.__main__ import main
from securebank.lab.takeover import generate
from securebank.measure import tune_ratio


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    rows = generate(seed=8, holders=40, months=3, start=date(2026, 1, 1))
    folder = tmp_path_factory.mktemp("takeover")
    (folder / "t.jsonl").write_text("".join(json.dumps(r.body) + "\n" for r in rows))
    labels = ({"transaction_id": r.body["transaction_id"], "is_fraud": r.is_fraud} for r in rows)
    (folder / "l.jsonl").write_text("".join(json.dumps(label) + "\n" for label in labels))
    return ["tune", "--transactions", str(folder / "t.jsonl"), "--labels", str(folder / "l.jsonl")]


def _tune(files: list[str], tmp_path: Path, *more: str) -> tuple[int, dict, str]:
    out, report = tmp_path / "p.json", tmp_path / "r.json"
    code = main([*files, "--output", str(out), "--report-json", str(report), *more])
    return code, json.loads(report.read_text()), out.read_text()


def test_tune_by_cost_reports_the_cost_at_the_operating_threshold(files, tmp_path):
    code, report, written = _tune(files, tmp_path, "--objective", "cost", "--fn-cost", "1", "--fp-cost", "20")

    assert code == 0
    learning = report["learning"]
    policy = policy_from_json(written)
    chosen = learning["holdout"]
    assert learning["objective_value"] == {"objective": "cost", "value": str(chosen["fn"] + 20 * chosen["fp"]),
                                           "fn_cost": "1", "fp_cost": "20"}  # fmt: skip
    assert report["threshold"] == learning["operating_threshold"] == str(policy.threshold)
    assert (policy.model is not None) == (learning["learner"] != "rules")
    assert learning["refit_on_all_training_months"] is True


def test_tune_no_refit_writes_the_ensemble_the_holdout_judged(files, tmp_path):
    code, report, _ = _tune(files, tmp_path, "--no-refit")

    assert code == 0
    assert report["learning"]["refit_on_all_training_months"] is False


def test_tune_rules_only_writes_the_weighted_rules_without_a_model(files, tmp_path):
    code, report, written = _tune(files, tmp_path, "--rules-only")

    assert code == 0
    assert "learning" not in report
    assert policy_from_json(written).model is None


def test_a_negative_cost_is_refused(files, tmp_path):
    with pytest.raises(SystemExit) as exit_:
        main([*files, "--output", str(tmp_path / "p.json"), "--objective", "cost", "--fp-cost", "-3"])

    assert exit_.value.code == 2


@pytest.mark.parametrize("workers", ["0", "-2", "two"])
def test_workers_below_one_or_not_a_number_are_refused_naming_the_option(files, tmp_path, capsys, workers):
    with pytest.raises(SystemExit) as exit_:
        main([*files, "--output", str(tmp_path / "p.json"), "--workers", workers])

    assert exit_.value.code == 2
    assert "--workers" in capsys.readouterr().err
    assert not (tmp_path / "p.json").exists()


def test_the_tune_ratio_is_tune_seconds_over_replay_seconds_of_the_same_file(tmp_path):
    out = tmp_path / "ratio.json"

    size = ["--transactions", "1500", "--customers", "40", "--days", "20"]
    code = tune_ratio.main([*size, "--engine", "domain", "--report-json", str(out)])

    report = json.loads(out.read_text())
    assert code == 0 and report["transactions"] == 1500 and report["tune_engine"] == "domain"
    assert report["tune_seconds_ratio"] == pytest.approx(report["tune_seconds"] / report["replay_seconds"], rel=0.01)
    assert report["tune_seconds"] > 0 and report["replay_seconds"] > 0
    columnar = report["tune_seconds"] / report["columnar_replay_seconds"]
    assert report["tune_seconds_ratio_columnar"] == pytest.approx(columnar, rel=0.05)  # seconds rounded to 1 ms
    assert report["tune_cpu_seconds"] > 0 and report["replay_cpu_seconds"] > 0
    tuned = report["tune_seconds"] / report["tuned_replay_seconds"]  # the replay of the policy tune wrote
    assert report["tune_seconds_ratio_tuned"] == pytest.approx(tuned, rel=0.05)
    assert report["tuned_columnar_replay_seconds"] > 0 and report["tuned_policy_trees"] >= 0
    command = report["tune_seconds"] / report["backtest_command_seconds"]  # `backtest` of it, as a user runs it
    assert report["tune_seconds_ratio_backtest_command"] == pytest.approx(command, rel=0.05)


def test_the_tune_ratio_passes_tune_the_engine_asked_for_and_else_none():
    assert tune_ratio.engine_flags("columnar") == ["--engine", "columnar"]
    assert tune_ratio.engine_flags(None) == []  # tune's own default


def test_tune_ratios_are_over_each_engines_replay_in_wall_and_in_cpu_seconds():
    replays = {"replay": (2.0, 1.0), "columnar_replay": (0.5, 1.6)}

    report = tune_ratio.figures(replays, {"tune": (10.0, 4.0)})

    assert (report["tune_seconds_ratio"], report["tune_cpu_seconds_ratio"]) == (5.0, 4.0)
    assert (report["tune_seconds_ratio_columnar"], report["tune_cpu_seconds_ratio_columnar"]) == (20.0, 2.5)
    assert (report["replay_seconds"], report["columnar_replay_cpu_seconds"], report["tune_seconds"]) == (2.0, 1.6, 10.0)
    assert "tune_seconds_ratio_tuned" not in report  # no replay of a tuned policy given


def test_tune_ratios_over_the_replays_of_the_policy_tune_wrote():
    replays = {"replay": (2.0, 1.0), "columnar_replay": (0.5, 1.6), "tuned_replay": (8.0, 8.0),
               "tuned_columnar_replay": (1.0, 0.8)}  # fmt: skip

    report = tune_ratio.figures(replays, {"tune": (10.0, 4.0), "tune_rules_only": (4.0, 2.0)})

    assert (report["tune_seconds_ratio_tuned"], report["tune_cpu_seconds_ratio_tuned"]) == (1.25, 0.5)
    assert (report["tune_seconds_ratio_tuned_columnar"], report["tune_cpu_seconds_ratio_tuned_columnar"]) == (10.0, 5.0)
    assert report["tune_rules_only_seconds_ratio_tuned_columnar"] == 4.0
    assert report["tune_seconds_ratio"] == 5.0  # the specification's replay keeps its keys


def test_bench_backtest_tune_reports_tune_seconds_over_the_replay_seconds(tmp_path):
    out = tmp_path / "bench.json"
    args = ["--transactions", "800", "--customers", "20", "--repeat", "1", "--engine", "domain", "--tune"]

    assert main(["bench", "backtest", *args, "--report-json", str(out)]) == 0

    report = json.loads(out.read_text())
    assert report["tune_seconds_ratio"] == pytest.approx(report["tune_seconds"] / report["seconds"], rel=0.01)


@pytest.mark.parametrize(("given", "used"), [((), 2), (("--workers", "1"), 1), (("--workers", "3"), 3)])
def test_without_workers_tune_fits_over_the_spare_cores(files, tmp_path, monkeypatch, given, used):
    import jobs.learn_fits
    import jobs.learn_select

    asked, real = [], jobs.learn_select.learn

    def learn(*args, **kwargs):
        asked.append(kwargs["workers"])
        return real(*args, **{**kwargs, "workers": 1})  # the same policy with any number (test_learn_fits.py)

    monkeypatch.setattr(jobs.learn_fits, "spare_cores", lambda: 2)
    monkeypatch.setattr(jobs.learn_select, "learn", learn)
    code, _, _ = _tune(files, tmp_path, *given)

    assert code == 0
    assert asked == [used]


@pytest.mark.parametrize(
    ("fraud", "says"),
    [(True, "holds only frauds ({} of them)"), (False, "holds no fraud ({} legitimate labels)")],
)
def test_a_labels_file_of_one_verdict_only_is_refused(files, tmp_path, capsys, fraud, says):
    """Frauds only: a holdout F1 of 1 over a policy learned from frauds alone; no fraud: a policy learned from none."""
    rows = [json.loads(line) for line in Path(files[4]).read_text().splitlines()]
    labels = tmp_path / "one.jsonl"
    labels.write_text("".join(json.dumps(row) + "\n" for row in rows if row["is_fraud"] is fraud))
    out = tmp_path / "p.json"

    code = main(["tune", "--transactions", files[2], "--labels", str(labels), "--output", str(out)])

    assert code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and str(labels) in err
    assert says.format(sum(1 for row in rows if row["is_fraud"] is fraud)) in err
    assert ("--unlabelled legitimate" in err) is fraud
    assert not out.exists()


def test_a_labels_file_with_no_fraud_is_refused_with_the_others_legitimate_too(files, tmp_path, capsys):
    labels = tmp_path / "empty.jsonl"
    labels.write_text("")

    code = main(["tune", "--transactions", files[2], "--labels", str(labels), "--output", str(tmp_path / "p.json"),
                 "--unlabelled", "legitimate"])  # fmt: skip

    assert code == 2 and "holds no fraud" in capsys.readouterr().err
