"""Working fakes of the review queue and the label lake (domain/cases.py), held to the same behaviour as
adapters/dynamodb_cases.py and adapters/s3_labels.py."""

from __future__ import annotations

import base64
import binascii
import json

from adapters.s3_labels import label_object
from adapters.serialization import format_timestamp
from domain.cases import CaseLabel, CasePage, InvalidCursor
from domain.labels import Label
from domain.model import TransactionKey
from domain.ports import ScoredTransaction

POSITION_PARTS = 3
"""A fake cursor is (processed_at, customer_id, transaction_id) of the last case of its page."""


class InMemoryReviewQueue:
    def __init__(self) -> None:
        self.transactions: dict[TransactionKey, ScoredTransaction] = {}
        self.open: set[TransactionKey] = set()
        self.labels: dict[TransactionKey, CaseLabel] = {}

    def add(self, scored: ScoredTransaction, *, open_case: bool = True) -> None:
        self.transactions[scored.transaction.key] = scored
        if open_case:
            self.open.add(scored.transaction.key)

    def open_cases(self, limit: int, cursor: str | None = None) -> CasePage:
        ordered = sorted(self.open, key=self._position, reverse=True)
        if cursor is not None:
            start = self._decode(cursor)
            ordered = [key for key in ordered if self._position(key) < start]
        page = ordered[:limit]
        more = len(ordered) > limit
        next_cursor = self._encode(self._position(page[-1])) if more else None
        return CasePage(tuple(self.transactions[key] for key in page), next_cursor)

    def exists(self, key: TransactionKey) -> bool:
        return key in self.transactions

    def close(self, label: CaseLabel) -> bool:
        if label.key not in self.transactions:
            return False
        self.open.discard(label.key)
        held = self.labels.get(label.key)
        if held is None or Label(label.is_fraud, label.labelled_at).rank >= Label(held.is_fraud, held.labelled_at).rank:
            self.labels[label.key] = label
        return True

    def _position(self, key: TransactionKey) -> tuple[str, str, str]:
        return format_timestamp(self.transactions[key].processed_at), key[0], key[1]

    @staticmethod
    def _encode(position: tuple[str, str, str]) -> str:
        return base64.urlsafe_b64encode(json.dumps(list(position)).encode()).decode()

    @staticmethod
    def _decode(cursor: str) -> tuple[str, str, str]:
        try:
            position = json.loads(base64.urlsafe_b64decode(cursor.encode("ascii")))
        except (ValueError, UnicodeError, binascii.Error):
            raise InvalidCursor("is not a cursor this API issued") from None
        well_formed = isinstance(position, list) and len(position) == POSITION_PARTS
        if not well_formed or not all(type(p) is str for p in position):
            raise InvalidCursor("is not a cursor this API issued")
        return position[0], position[1], position[2]


class RecordingLabelLake:
    def __init__(self) -> None:
        self.objects: dict[str, bytes] = {}
        self.writes = 0

    def append(self, label: CaseLabel) -> str:
        key, body = label_object(label)
        self.objects[key] = body
        self.writes += 1
        return key
