"""Flagged transactions out, as EventBridge events: PutEvents on the fraud bus, PUT_EVENTS_MAX_ENTRIES entries a call.

Each flag is one entry: Source FLAGGED_EVENT_SOURCE, DetailType FLAGGED_DETAIL_TYPE, and the Detail that
adapters/flag_detail.py builds (the one definition, shared with the stream's enrichment, handlers/flag_events.py).

Delivery is at least once, by the caller's contract (domain/process_batch.py): entries that PutEvents reports failed
(its FailedEntryCount, an ErrorCode per entry: throttling, an internal error) are sent again once in the same call;
if some still fail, or the call itself fails, this raises, the records fail, and their redelivery publishes them
again. A consumer of the cases queue deduplicates by (customer_id, transaction_id).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from adapters.flag_detail import detail
from contracts.aws import FLAGGED_DETAIL_TYPE, FLAGGED_EVENT_SOURCE, PUT_EVENTS_MAX_ENTRIES
from domain.ports import ScoredTransaction

__all__ = ["EventBridgeFlagEvents", "FlagEventsFailed", "detail"]


class FlagEventsFailed(RuntimeError):
    """Some flags could not be put on the bus after a retry: the batch's flagged records must be redelivered."""


class EventBridgeFlagEvents:
    def __init__(self, client: Any, bus_name: str) -> None:
        self._client = client
        self._bus_name = bus_name

    def publish(self, flags: Sequence[ScoredTransaction]) -> None:
        entries = [self.entry(flag) for flag in flags]
        for start in range(0, len(entries), PUT_EVENTS_MAX_ENTRIES):
            chunk = entries[start : start + PUT_EVENTS_MAX_ENTRIES]
            failed = self._put(chunk)
            if failed:
                failed = self._put([entry for entry, _ in failed])  # once more, in the same invocation
            if failed:
                codes = sorted({str(code) for _, code in failed})
                raise FlagEventsFailed(f"{len(failed)} TransactionFlagged events not accepted: {', '.join(codes)}")

    def _put(self, entries: Sequence[dict[str, Any]]) -> list[tuple[dict[str, Any], str]]:
        """The entries PutEvents did not accept (its results are in the order of the request), as (entry, code)."""
        response = self._client.put_events(Entries=list(entries))
        if not response.get("FailedEntryCount"):
            return []
        return [(entry, result.get("ErrorCode")) for entry, result in zip(entries, response["Entries"], strict=True)
                if result.get("ErrorCode")]  # fmt: skip

    def entry(self, flag: ScoredTransaction) -> dict[str, Any]:
        return {
            "EventBusName": self._bus_name,
            "Source": FLAGGED_EVENT_SOURCE,
            "DetailType": FLAGGED_DETAIL_TYPE,
            "Detail": detail(flag),
        }
