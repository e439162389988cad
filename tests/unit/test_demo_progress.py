"""The live display: accepted from the load generator's results, processed from a cheap reading, backlog between."""

import io

from rich.console import Console

from securebank.demo import progress as progress_module
from securebank.demo.loadgen import SendResult
from securebank.demo.progress import LiveProgress


def _result(status):
    return SendResult("t", status, 0.0, 1.0, 1)


def test_the_backlog_is_what_was_accepted_and_not_yet_processed_and_grows_when_processing_lags(monkeypatch):
    monkeypatch.setattr(progress_module, "REFRESH_SECONDS", 0.0)
    processed = iter([0, 1, 1, 2, 2, 2])
    live = LiveProgress(6, lambda: next(processed), console=Console(file=io.StringIO()))
    backlog = []
    for status in (201, 201, 201, 400, 201, 201):
        live.on_result(_result(status))
        backlog.append(live.accepted - live.processed)
    assert (live.accepted, live.rejected) == (5, 1)
    assert backlog == [1, 1, 2, 1, 2, 3]
    live.on_processed(5)
    assert live._progress.tasks[0].fields["backlog"] == 0


def test_processed_is_read_at_most_every_refresh_interval(monkeypatch):
    reads = []
    live = LiveProgress(100, lambda: reads.append(1) or len(reads), console=Console(file=io.StringIO()))
    for _ in range(100):
        live.on_result(_result(201))
    assert len(reads) <= 2  # the first reading, and one more if the loop took a quarter of a second
