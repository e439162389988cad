"""Which labelled transactions reach the weekly job's driver to fit the tree ensemble, and what each stands for.

Every fraud, and 1 in k of the legitimate ones, chosen by a stable hash of the transaction's identity (customer_id,
transaction_id): the same ones on every run, on every executor, whatever the partitioning (Python's own `hash` of
a string changes from one process to the next). k is the smallest step that brings the expected number of rows to
at most `at_most`; each sampled legitimate row is then fitted and counted with weight k (jobs/learn_select.py), so
the ensemble's base rate, its holdout counts and its threshold estimate those of the whole history.
"""

from __future__ import annotations

import zlib

MAX_ROWS = 500_000
"""Rows the driver collects at most (expected): 500k feature rows are about 0.5 GB of Python tuples on the driver
and a 90 MB float matrix for scikit-learn."""


def legit_step(frauds: int, legits: int, at_most: int = MAX_ROWS) -> int:
    """k: every fraud plus 1 in k legitimate rows is at most `at_most` rows expected (k = 1 when all fit). When
    the frauds alone exceed `at_most`, they are still all kept, with one legitimate row in `legits`."""
    room = at_most - frauds
    if room <= 0:
        return max(1, legits)
    return max(1, -(-legits // room))


def sampled(customer_id: str, transaction_id: str, step: int) -> bool:
    """Whether a legitimate transaction is among the 1 in `step` kept (deterministic)."""
    return step == 1 or zlib.crc32(f"{customer_id}\x00{transaction_id}".encode()) % step == 0
