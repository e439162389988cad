"""The reference path: the backtest's replay, the same use case on in-memory adapters in one pass, with each line
received when Kinesis received it and its raw archive kept in memory."""

from __future__ import annotations

import gc

from adapters.memory import InMemoryRawArchive
from adapters.stored_decisions import as_stored
from domain.policy import FraudPolicy
from domain.receipt import Received
from securebank.lab.backtest import Backtest, parse_numbered
from securebank.verify.observed import Observed, without_version
from securebank.verify.workload import Workload


def run_reference(workload: Workload, policy: FraudPolicy) -> Observed:
    received = {number: line.received_at for number, line in workload.numbered()}
    backtest = Backtest(policy)
    archive = InMemoryRawArchive()
    lines = ((number, line.data) for number, line in workload.numbered())
    parsed = parse_numbered(lines, backtest.rejections)
    try:
        backtest.run_received(((n, Received(txn, received[n])) for n, txn in parsed), archive)
    finally:
        gc.unfreeze()  # the replay freezes what is alive (for a one-shot command): a soak's replays must not pile up
    quarantined: dict[int, tuple[str, ...]] = {}
    for rejection in backtest.rejections:
        quarantined[rejection.line] = (*quarantined.get(rejection.line, ()), f"{rejection.field}: {rejection.reason}")
    keys = list(backtest.repository.items)
    return Observed(
        stored={key: (s.transaction, s.decision) for key, s in backtest.repository.get_many(keys).items()},
        profiles={c: without_version(p) for c, p in backtest.profiles.items.items()},
        quarantined=quarantined,
        lake=tuple(txn for batch in archive.batches.values() for txn in batch),
        # As a repository gives them back (adapters/stored_decisions.py): the signals the policy does not read dropped.
        decisions=tuple((s.transaction.key, as_stored(s).decision) for s in backtest.decisions),
    )
