"""The learner's feature rows of `tune`'s columnar history (`History.rows_at`): `domain.features.vector` of each
example's observation at a merchant rule window, computed from the columns by `columnar_model.features` (the same
float operations as the domain's features) for the customers the columns follow, and by the domain's `vector` for
the others, in file order. A missing value is NaN here where the domain's is None: the learner's matrix reads both
as NaN (tests/property/test_columnar_tally.py holds the rows NaN-equal to the domain's)."""

from __future__ import annotations

import gc
from collections.abc import Sequence

import numpy as np
import polars as pl

from domain.catalogue import MERCHANT_RISK
from domain.features import FEATURES, vector
from securebank.lab import columnar_tally_columns as columns
from securebank.lab.columnar_model import features
from securebank.lab.tuning import Labelled, Row

_FIELDS = ("merchant_frauds", "merchant_transactions")


class FeatureRows:
    """`rows_at(window)` of a history whose examples are, in file order, the rows of `frame` (the observation
    columns of `columnar_tally`, with the merchant feed's windows) where `fast` is True and `slow` (examples the
    domain engine observed) where it is False. `told[i]`: whether the feed counted a transaction of row i's merchant
    over any window (`Labelled.merchant` not empty; else the observation's merchant fields stay 0)."""

    def __init__(self, frame: pl.DataFrame, told: Sequence[bool], fast: Sequence[bool], slow: Sequence[Labelled]):
        self._frame = frame
        self._told = np.array(told, dtype=np.bool_)
        self._fast = fast
        self._slow = slow

    def __call__(self, window: tuple[int, int]) -> list[Row]:
        enabled = gc.isenabled()
        gc.disable()  # 2 million floats and no reference cycle: the collector's passes would only cost time
        try:
            fast = iter(map(tuple, self._matrix(window).tolist()) if self._frame.height else ())
            slow = (vector(example.at_merchant_window(window)) for example in self._slow)
            return [next(fast) if from_columns else next(slow) for from_columns in self._fast]
        finally:
            gc.freeze()  # the rows live as long as the learner: later collections need not traverse them again
            if enabled:
                gc.enable()

    def _matrix(self, window: tuple[int, int]) -> np.ndarray:
        """The rows of `frame` at `window`: one float column per feature, in `FEATURES` order."""
        at = columns.options(MERCHANT_RISK.name).index(window)
        merchant = {
            field: pl.Series(np.where(self._told, self._frame[columns.name(MERCHANT_RISK.name, at, field)], 0))
            for field in _FIELDS
        }
        values = features(self._frame.with_columns(**merchant))
        return np.column_stack([values[feature.name] for feature in FEATURES])
