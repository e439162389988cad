"""Each process's CPU time, read from the kernel's account; the stats of one stretch of a run, by subtraction."""

import os
import sys
import time

import pytest

from securebank.emulator.cputime import cpu_by_component, own_cpu_seconds, per_thousand, process_cpu_seconds
from securebank.emulator.stack import subtract_stats

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")


def _spin(seconds):
    end = time.process_time() + seconds
    while time.process_time() < end:
        pass


@linux_only
def test_a_process_cpu_time_read_from_proc_follows_the_time_it_spends_computing():
    before = process_cpu_seconds(os.getpid())
    _spin(0.2)
    after = process_cpu_seconds(os.getpid())
    assert before is not None and after is not None
    assert 0.15 <= after - before <= 1.0
    assert abs(after - own_cpu_seconds()) < 0.1  # the same account as os.times, to the kernel's tick


@linux_only
def test_a_process_that_is_gone_reads_as_unavailable():
    assert process_cpu_seconds(2**22 + 12345) is None
    assert cpu_by_component({"api": [2**22 + 12345]}) is None
    assert set(cpu_by_component({"demo": [os.getpid()], "none": []})) == {"demo", "none"}


def test_cpu_per_thousand_transactions_is_milliseconds_per_thousand():
    before = {"moto": 10.0, "api": 2.0}
    after = {"moto": 13.0, "api": 2.5, "new": 1.0}
    assert per_thousand(before, after, 2000) == {"moto": 1500.0, "api": 250.0}
    assert per_thousand(before, after, 0) == {}


def test_the_stats_of_a_stretch_are_the_counters_after_less_those_before():
    before = {"calls": {"s3.PutObject": 2}, "mapping": {"invocations": 3}, "handler_seconds": 1.5, "idle": True}
    after = {
        "calls": {"s3.PutObject": 5, "dynamodb.BatchGetItem": 4},
        "mapping": {"invocations": 10},
        "handler_seconds": 2.0,
        "idle": False,
        "settings": {"batch_size": 100, "maximum_batching_window_seconds": 1},
    }
    stretch = subtract_stats(after, before)
    assert stretch["calls"] == {"s3.PutObject": 3, "dynamodb.BatchGetItem": 4}
    assert stretch["mapping"] == {"invocations": 7}
    assert stretch["handler_seconds"] == pytest.approx(0.5)
    assert stretch["idle"] is False
    assert stretch["settings"] == after["settings"]  # configuration, not a counter
