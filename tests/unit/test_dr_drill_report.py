"""The drill's report classes each transaction the primary acknowledged by where it was when the region was lost."""

from __future__ import annotations

from securebank.demo.loadgen import LoadResult, SendResult
from securebank.dr.drill import DrillPlan, report
from securebank.dr.replicator import Replicator


def _load(*outcomes: tuple[str, int, float]) -> LoadResult:
    return LoadResult([SendResult(tid, status, sent_at, 1.0, 1) for tid, status, sent_at in outcomes], 0.0, 1.0)


def test_missing_transactions_are_those_not_replicated_or_not_processed_and_their_window_is_measured() -> None:
    before = _load(("a", 201, 100.0), ("b", 201, 101.0), ("c", 201, 102.5), ("d", 400, 103.0))
    after = _load(("e", 201, 110.0), ("f", 201, 111.0))
    replicator = Replicator((None, None), (None, None))  # type: ignore[arg-type]  # only its counters are read
    tables = ({"a", "b"}, {"a"}, {"a", "e"})  # primary at failure, second at failure, second at the end
    result = report(DrillPlan(), before, after, 104.0, tables, (5, 3), replicator)
    assert result["primary"] == {
        "acknowledged": 3,
        "replicated": 1,
        "processed_not_replicated": 1,
        "unprocessed_in_stream": 1,
        "missing_in_second_region": 2,
        "loss_window_seconds": 3.0,  # from b's acknowledgement (101.0) to the failure (104.0)
        "lake_objects": 5,
        "lake_objects_replicated": 3,
    }
    assert result["second_region"] == {"acknowledged": 2, "stored": 1, "missing": 1, "replicas_kept": True}
