"""The demo's verdict: processed_rate from completion times, and the health judgement, on numbers."""

import random

import pytest

from securebank.demo.capacity import DEFAULT_RATE, RATE_SHARE, Capacity
from securebank.demo.health import HEALTHY_P99_MS, completion_rate, judge, pace

BATCH = 100


def _run(offered, carried, count=1000, delay=0.3, jitter=0.0, seed=1):
    """(sent_at, completed_at) of `count` transactions sent at `offered`/s and completed in batches of BATCH by a
    pipeline that carries `carried`/s: a batch completes when full and when the pipeline is done with the previous."""
    rng = random.Random(seed)
    pairs, free_at = [], 0.0
    for start in range(0, count, BATCH):
        full_at = (start + BATCH - 1) / offered
        free_at = max(full_at, free_at) + BATCH / carried
        done = free_at + delay + rng.uniform(0, jitter)
        pairs += [(n / offered, done) for n in range(start, min(count, start + BATCH))]
    return pairs


def test_a_pipeline_that_keeps_up_processes_at_the_offered_rate_even_in_a_short_run():
    rates = pace(_run(offered=300, carried=1000))
    assert rates.processed == pytest.approx(300, rel=0.001)
    assert rates.sent == pytest.approx(300, rel=0.001)


def test_a_pipeline_that_falls_behind_processes_at_its_own_pace():
    rates = pace(_run(offered=300, carried=200))
    assert rates.processed == pytest.approx(200, rel=0.01)
    assert judge(rates.sent, rates.processed, 900).healthy is False


def test_the_last_batch_waiting_its_window_does_not_count_against_a_short_run():
    pairs = _run(offered=300, carried=1000, count=950)
    last_batch = [(sent, done + 1.0) for sent, done in pairs[900:]]  # 50 records wait the whole window
    assert pace(pairs[:900] + last_batch).processed == pytest.approx(300, rel=0.001)


def test_invocation_jitter_of_50_ms_stays_within_the_margin_on_3000_transactions():
    for seed in range(20):
        rates = pace(_run(offered=300, carried=1000, count=3000, jitter=0.05, seed=seed))
        assert rates.processed / rates.sent > 0.98


def test_few_transactions_fall_back_to_count_over_the_whole_span():
    pairs = [(0.0, 0.5), (0.1, 0.5), (0.2, 1.0)]
    assert pace(pairs).processed == pytest.approx(3 / 1.0)
    assert pace([]).processed == 0.0


@pytest.mark.parametrize(
    ("processed", "p99_ms", "healthy", "says"),
    [
        (300, 650, True, "kept up: processed 300/s of 300/s offered (100%), p99 0.65 s"),
        (294, 650, True, "kept up"),
        (212, 650, False, "fell behind: processed 212/s of 300/s offered (71%), p99 0.65 s; under 98%"),
        (300, 6100, False, "fell behind: processed 300/s of 300/s offered (100%), p99 6.10 s; p99 not under 1 s"),
        (212, 6100, False, "under 98% of the offered rate and p99 not under 1 s"),
    ],
)
def test_health_needs_98_percent_of_the_offered_rate_and_a_p99_under_a_second(processed, p99_ms, healthy, says):
    health = judge(300, processed, p99_ms)
    assert health.healthy is healthy
    assert says in health.message
    assert health.fell_behind_by == pytest.approx(max(0, 1 - processed / 300), abs=1e-4)


def test_a_p99_of_exactly_one_second_is_not_under_it():
    assert judge(300, 300, HEALTHY_P99_MS).healthy is False


def test_the_warm_up_rate_counts_records_after_the_first_invocation_until_the_end_of_sending():
    events = [(10.0, 100), (10.5, 100), (11.0, 100), (11.5, 100), (30.0, 100)]
    assert completion_rate(events, until=12.0) == pytest.approx(300 / 1.5)
    assert completion_rate(events[:1], until=12.0) is None


def test_the_demo_offers_a_share_of_the_capacity_at_most_the_default_unless_told():
    slow = Capacity(rate=250.0, saturated=True, warmup_rate=450, transactions=1800, seconds=8)
    assert slow.offered_rate(None) == int(RATE_SHARE * 250)
    assert Capacity(900.0, False, 450, 1800, 8).offered_rate(None) == DEFAULT_RATE
    assert Capacity(None, False, 450, 0, 8).offered_rate(None) == DEFAULT_RATE
    assert slow.offered_rate(5000) == 5000  # --rate pushes past capacity


def _verdict(report, strict):
    import io

    from rich.console import Console

    from securebank.demo.command import _verdict as verdict

    out = io.StringIO()
    code = verdict(report, strict, Console(file=out, width=200))
    return code, out.getvalue()


FELL_BEHIND = {"lost": 0, "double_counted": 0, "healthy": False, "health": judge(300, 212, 6100).message}


def test_under_strict_a_run_that_fell_behind_exits_non_zero_and_says_by_how_much():
    code, said = _verdict(FELL_BEHIND, strict=True)
    assert code == 1
    assert "processed 212/s of 300/s offered (71%), p99 6.10 s" in said


def test_without_strict_a_run_that_fell_behind_warns_but_exits_zero_when_nothing_was_lost():
    code, said = _verdict(FELL_BEHIND, strict=False)
    assert code == 0
    assert "WARNING" in said and "fell behind" in said
    assert _verdict(FELL_BEHIND | {"lost": 1}, strict=False)[0] == 1
    assert _verdict(FELL_BEHIND | {"healthy": True, "health": "kept up"}, strict=True)[0] == 0


KEPT_UP = {"lost": 0, "double_counted": 0, "healthy": True, "health": judge(300, 300, 700).message}


def _demo_args(*extra):
    import argparse

    from securebank.demo.command import configure

    parser = argparse.ArgumentParser()
    configure(parser)
    return parser.parse_args(["--seed-policy", "--no-loop", "--transactions", "100", *extra])


@pytest.mark.parametrize(
    ("extra", "report", "attempt", "again"),
    [
        (("--strict", "--attempts", "2"), FELL_BEHIND, 1, True),
        (("--strict", "--attempts", "2"), FELL_BEHIND, 2, False),  # no attempt left
        (("--strict", "--attempts", "2"), KEPT_UP, 1, False),
        (("--attempts", "2"), FELL_BEHIND, 1, False),  # without --strict falling behind fails nothing
        (("--strict", "--attempts", "2"), FELL_BEHIND | {"lost": 1}, 1, False),  # a loss fails at once
        (("--strict", "--attempts", "2"), FELL_BEHIND | {"double_counted": 2}, 1, False),
        (("--strict", "--attempts", "2"), FELL_BEHIND | {"loop_error": "boom"}, 1, False),
        (("--strict",), FELL_BEHIND, 1, False),  # one attempt by default
    ],
)
def test_a_strict_run_that_fell_behind_but_lost_nothing_runs_again_while_attempts_are_left(
    extra, report, attempt, again
):
    from securebank.demo.command import _again

    assert _again(report, _demo_args(*extra), attempt) is again


def test_attempts_below_one_are_refused():
    with pytest.raises(SystemExit):
        _demo_args("--attempts", "0")


def _run_demo(monkeypatch, tmp_path, reports, *extra):
    """The demo's run with each attempt replaced by the next of `reports`: (exit code, attempts made, JSON report)."""
    from securebank.demo import command

    made = []

    def attempt(args, workload, policy, console):
        made.append(workload)
        return dict(reports[len(made) - 1])

    monkeypatch.setattr(command, "_attempt", attempt)
    monkeypatch.setattr(command, "print_report", lambda report: None)
    out = tmp_path / "report.json"
    code = command.run(_demo_args("--report-json", str(out), *extra))
    import json

    return code, made, json.loads(out.read_text())


def test_a_second_attempt_that_keeps_up_passes_and_the_report_keeps_the_first_attempts_verdict(monkeypatch, tmp_path):
    code, made, report = _run_demo(monkeypatch, tmp_path, [FELL_BEHIND, KEPT_UP], "--strict", "--attempts", "2")
    assert code == 0
    assert len(made) == 2 and made[0] == made[1]  # the same workload both times
    assert report["attempt"] == 2
    assert report["earlier_attempts"] == [FELL_BEHIND["health"]]


def test_falling_behind_on_every_attempt_fails(monkeypatch, tmp_path):
    code, made, report = _run_demo(monkeypatch, tmp_path, [FELL_BEHIND, FELL_BEHIND], "--strict", "--attempts", "2")
    assert code == 1
    assert len(made) == 2
    assert report["earlier_attempts"] == [FELL_BEHIND["health"]] and report["attempt"] == 2


def test_a_loss_fails_the_first_attempt_without_another(monkeypatch, tmp_path):
    lost = FELL_BEHIND | {"lost": 3}
    code, made, report = _run_demo(monkeypatch, tmp_path, [lost, KEPT_UP], "--strict", "--attempts", "3")
    assert code == 1
    assert len(made) == 1 and report["attempt"] == 1 and report["earlier_attempts"] == []
