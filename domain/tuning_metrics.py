"""How well a policy separates labelled fraud: a confusion matrix and its rates, exact to four places."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from attrs import frozen


@frozen
class Counts:
    """A confusion matrix, with the rates the report gives."""

    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0

    @property
    def f1(self) -> Decimal:
        return ratio(2 * self.tp, 2 * self.tp + self.fp + self.fn)

    @property
    def precision(self) -> Decimal:
        return ratio(self.tp, self.tp + self.fp)

    @property
    def recall(self) -> Decimal:
        return ratio(self.tp, self.tp + self.fn)

    @property
    def fp_rate(self) -> Decimal:
        """Share of the labelled-legitimate transactions that were flagged."""
        return ratio(self.fp, self.fp + self.tn)

    @property
    def fn_rate(self) -> Decimal:
        """Share of the labelled-fraudulent transactions that were not flagged."""
        return ratio(self.fn, self.fn + self.tp)

    def __add__(self, other: Counts) -> Counts:
        return Counts(self.tp + other.tp, self.fp + other.fp, self.fn + other.fn, self.tn + other.tn)

    @classmethod
    def of(cls, pairs: Iterable[tuple[bool, bool]]) -> Counts:
        """From (flagged, labelled fraud) pairs."""
        counts = {(True, True): 0, (True, False): 0, (False, True): 0, (False, False): 0}
        for pair in pairs:
            counts[pair] += 1
        return cls(counts[True, True], counts[True, False], counts[False, True], counts[False, False])


def ratio(num: int, den: int) -> Decimal:
    """num / den to four places; 0 when there is nothing to divide by."""
    return (Decimal(num) / Decimal(den)).quantize(Decimal("0.0001")) if den else Decimal(0)
