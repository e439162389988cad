"""A policy with a learned model goes through the release store, `policy show` and `policy diff` as any policy."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import attrs
import pytest

from adapters.policy_store import PolicyStore
from domain.policy import FraudPolicy
from securebank.__main__ import main
from securebank.ops.policy_diff import diff
from tests.integration.test_policy_diff import _lake
from tests.unit.test_ensemble import MODEL

LEARNED = attrs.evolve(FraudPolicy.default(), version=3, threshold=Decimal("0.5"), model=MODEL)


def test_a_model_policy_is_published_shown_and_diffed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lake, last, total = _lake(tmp_path)
    PolicyStore(lake).publish(LEARNED)

    assert PolicyStore(lake).policy(3) == LEARNED
    capsys.readouterr()
    assert main(["policy", "show", "3", "--lake", str(tmp_path)]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["policy"]["model"]["base"] == str(MODEL.base)

    result = diff(lake, "2", "3", days=30, today=last)
    assert (result.version_a, result.version_b, result.transactions) == (2, 3, total)
    assert result.counts_b != result.counts_a  # the model adds at least 0.05 to every score
