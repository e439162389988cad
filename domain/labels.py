"""The label rule: which fraud label a transaction has. The same rule as the Spark jobs' (jobs/labels.py).

A label row names a transaction_id and, optionally, the customer_id; a transaction is identified by both
(customer_id, transaction_id), and two customers may use the same transaction_id:
- a label with a customer_id applies to that customer's transaction only;
- a label without one applies to every customer's transaction with that transaction_id (the feed did not say
  which: a feed that can name the customer should);
- of the labels that apply to a transaction, the one with the newest `labelled_at` wins (a label without one counts
  as the oldest), fraud winning a tie. So a later analyst verdict overrides an earlier chargeback, and a fraud and
  a legitimate label of the same moment make a fraud.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import UTC, datetime

from attrs import frozen

from domain.model import CustomerId, TransactionId, TransactionKey

_OLDEST = datetime.min.replace(tzinfo=UTC)


@frozen
class Label:
    is_fraud: bool
    labelled_at: datetime | None = None
    """When the label arrived (aware); None when the feed did not say."""

    @property
    def rank(self) -> tuple[bool, datetime, bool]:
        """Labels compare by this: the greatest wins."""
        return self.labelled_at is not None, self.labelled_at or _OLDEST, self.is_fraud


def _winner(a: Label | None, b: Label | None) -> Label | None:
    if a is None or b is None:
        return a or b
    return b if b.rank >= a.rank else a


class Labels:
    """Labels by the transactions they apply to. Look one up by a transaction's key: `labels.get(txn.key)`."""

    def __init__(self) -> None:
        self._named: dict[TransactionKey, Label] = {}
        self._unnamed: dict[TransactionId, Label] = {}

    @classmethod
    def by_id(cls, verdicts: Mapping[str, bool]) -> Labels:
        """Labels that name no customer, without arrival times: {transaction_id: is_fraud}."""
        labels = cls()
        for transaction_id, is_fraud in verdicts.items():
            labels.add(TransactionId(transaction_id), None, Label(is_fraud))
        return labels

    @classmethod
    def frauds_by_id(cls, arrivals: Mapping[str, datetime | None]) -> Labels:
        """Confirmed frauds that name no customer: {transaction_id: labelled_at or None}."""
        labels = cls()
        for transaction_id, at in arrivals.items():
            labels.add(TransactionId(transaction_id), None, Label(True, at))
        return labels

    def add(self, transaction_id: TransactionId, customer_id: CustomerId | None, label: Label) -> None:
        if customer_id is None:
            self._unnamed[transaction_id] = _winner(self._unnamed.get(transaction_id), label) or label
        else:
            key = (customer_id, transaction_id)
            self._named[key] = _winner(self._named.get(key), label) or label

    def update(self, other: Labels) -> None:
        """Add every label of `other` (several feeds read as one)."""
        for key, label in other._named.items():
            self.add(key[1], key[0], label)
        for transaction_id, label in other._unnamed.items():
            self.add(transaction_id, None, label)

    def label(self, key: TransactionKey) -> Label | None:
        """The label that applies to the transaction with this identity, by the rule above."""
        return _winner(self._unnamed.get(key[1]), self._named.get(key))

    def get(self, key: TransactionKey, default: bool | None = None) -> bool | None:
        label = self.label(key)
        return default if label is None else label.is_fraud

    def __getitem__(self, key: TransactionKey) -> bool:
        label = self.label(key)
        if label is None:
            raise KeyError(key)
        return label.is_fraud

    def __contains__(self, key: object) -> bool:
        return isinstance(key, tuple) and self.label(key) is not None

    def __len__(self) -> int:
        """How many labels were kept (one per named identity, one per unnamed id)."""
        return len(self._named) + len(self._unnamed)

    def __iter__(self) -> Iterator[tuple[CustomerId | None, TransactionId]]:
        """What each kept label names: (customer_id, transaction_id), customer_id None when it names none."""
        yield from self._named
        yield from ((None, transaction_id) for transaction_id in self._unnamed)

    @property
    def frauds(self) -> int:
        return sum(1 for label in (*self._named.values(), *self._unnamed.values()) if label.is_fraud)
