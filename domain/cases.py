"""The review queue and its verdicts: open cases are listed newest first, and a label closes a case.

A label (an analyst's verdict, a chargeback, a customer's report) is kept twice, in this order:
1. appended to the lake's `labels/`, where the weekly fraud-patterns and daily merchant-risk jobs read it;
2. recorded on the transaction's item, which leaves the review queue.
Both steps are idempotent (the same label writes the same lake object and the same item values), so a client that
retries after a failure between them completes the label without counting it twice. Readers of the lake keep one
label per transaction by the label rule (domain/labels.py).

The ports are here, beside the one use case that needs them, rather than in domain/ports.py: nothing else uses them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from attrs import frozen

from domain.model import CustomerId, TransactionId, TransactionKey
from domain.ports import ScoredTransaction

MAX_PAGE = 100
DEFAULT_PAGE = 20


@frozen
class CaseLabel:
    transaction_id: TransactionId
    customer_id: CustomerId
    is_fraud: bool
    source: str
    """analyst, chargeback or customer."""
    labelled_at: datetime
    """When the verdict was reached (aware); the API's receipt time when the caller did not say."""
    note: str | None = None

    @property
    def key(self) -> TransactionKey:
        return self.customer_id, self.transaction_id


@frozen
class CasePage:
    cases: tuple[ScoredTransaction, ...]
    next_cursor: str | None
    """Where the next page starts (opaque); None on the last page."""


class InvalidCursor(ValueError):
    """A page cursor the queue did not issue: malformed or altered."""


class ReviewQueue(Protocol):
    def open_cases(self, limit: int, cursor: str | None = None) -> CasePage:
        """Up to `limit` open cases, newest processed first, from `cursor` (a page's `next_cursor`) or the newest.
        Raises InvalidCursor for a cursor it did not issue."""
        ...

    def exists(self, key: TransactionKey) -> bool:
        """Whether a transaction with this identity is stored."""
        ...

    def close(self, label: CaseLabel) -> bool:
        """Record the label on the transaction and take its case off the queue (a label older than the one it
        already has, by the label rule, only closes the case). False when no such transaction is stored."""
        ...


class LabelLake(Protocol):
    def append(self, label: CaseLabel) -> str:
        """Write the label to the lake's labels/ (the same label, the same object); the object's key."""
        ...


def label_transaction(label: CaseLabel, queue: ReviewQueue, lake: LabelLake) -> bool:
    """Lake first, then the item (module docstring). False, with nothing written, for an unknown transaction."""
    if not queue.exists(label.key):
        return False
    lake.append(label)
    return queue.close(label)
