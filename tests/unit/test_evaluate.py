"""The evaluation runner runs the protocol with the project's own commands and reports what they measured."""

from __future__ import annotations

import json
from datetime import date

import pytest

from securebank.lab.evaluate import commands, evaluate
from securebank.lab.split import write_split
from securebank.lab.takeover import generate


@pytest.fixture(scope="module")
def evaluated(tmp_path_factory):
    data = tmp_path_factory.mktemp("takeover")
    write_split(generate(seed=1, holders=15, months=2, start=date(2025, 1, 1)), data, date(2025, 2, 1))
    return data, evaluate(data)


def test_the_protocol_learns_on_the_first_months_and_scores_both_policies_on_the_next(tmp_path):
    tune, learned, specification = commands(tmp_path, 7.0, "f1").values()

    assert tune[:5] == ["tune", "--transactions", f"{tmp_path}/train/transactions.jsonl", "--labels",
                        f"{tmp_path}/train/labels.jsonl"]  # fmt: skip
    assert tune[-2:] == ["--objective", "f1"]
    assert learned[1:5] == ["--transactions", f"{tmp_path}/all/transactions.jsonl", "--labels",
                            f"{tmp_path}/test/labels.jsonl"]  # fmt: skip
    assert learned[5:7] == specification[5:7] == ["--feed-labels", f"{tmp_path}/all/labels.jsonl"]  # the same feed
    assert ["--policy", f"{tmp_path}/policy.json"] == learned[9:11] and "--policy" not in specification
    assert "--objective" not in next(iter(commands(tmp_path, 7.0, None).values()))


@pytest.mark.slow
def test_every_step_ran_and_the_scores_count_exactly_the_test_months_frauds(evaluated):
    data, result = evaluated
    frauds = sum(json.loads(line)["is_fraud"] for line in (data / "test/labels.jsonl").read_text().splitlines())

    assert "failed" not in result and [s["returncode"] for s in result["steps"].values()] == [0, 0, 0]
    assert frauds > 0
    for policy in ("learned", "specification"):
        assert result[policy]["tp"] + result[policy]["fn"] == frauds
    assert json.loads((data / "evaluation.json").read_text()) == result
    assert result["steps"]["tune"]["command"].startswith("python -m securebank tune --transactions ")


@pytest.mark.slow
def test_a_failing_step_stops_the_run_and_is_named(tmp_path):
    result = evaluate(tmp_path)  # no data at all

    assert result["failed"] == "tune" and list(result["steps"]) == ["tune"]
    assert result["steps"]["tune"]["returncode"] != 0
    assert (tmp_path / "logs/tune.log").read_text()
