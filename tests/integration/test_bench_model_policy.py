"""`bench processor --policy FILE` with a learned policy that carries a tree model: the processor scores with it
(a model that raises every payment after a customer's third flags some) and its calls per 100 transactions are the
specification's policy's, the reads of the release and the policy file aside (no speed is asserted)."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from adapters.serialization import policy_to_json
from domain.ensemble import LEAF, Tree, TreeModel
from domain.policy import FraudPolicy
from securebank.__main__ import main

TRANSACTIONS = 400
KNOWN_AFTER = 3.0
"""history_count above this goes right, to the high leaf (the bench's payments are all at midday: no night)."""


def _history_model() -> TreeModel:
    known = Tree(
        feature=(0, LEAF, LEAF),
        threshold=(KNOWN_AFTER, -2.0, -2.0),
        missing_left=(False, False, False),
        left=(1, LEAF, LEAF),
        right=(2, LEAF, LEAF),
        value=(Decimal("0.5"), Decimal("0.05"), Decimal("0.9")),
    )
    return TreeModel(("history_count",), Decimal("0.05"), (known,))


def _run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *extra: str) -> dict:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "bench")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "bench")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    out = tmp_path / f"processor{len(extra)}.json"
    args = ["--transactions", str(TRANSACTIONS), "--customers", "40", "--report-json", str(out), *extra]
    assert main(["bench", "processor", *args]) == 0
    return dict(json.loads(out.read_text()))


def test_a_model_policy_is_published_scored_with_and_costs_no_other_call(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    policy = FraudPolicy(version=7, threshold=Decimal("0.5"), model=_history_model()).with_rules(
        **{name: FraudPolicy().rules[name].__class__(weight=Decimal(0)) for name in FraudPolicy().rules}
    )
    path = tmp_path / "policy.json"
    path.write_text(policy_to_json(policy))
    learned = _run(tmp_path, monkeypatch, "--policy", str(path))
    seed = _run(tmp_path, monkeypatch)
    size = len(path.read_bytes())
    assert learned["policy"] == {"file": str(path), "version": 7, "file_bytes": size, "model_trees": 1}
    assert learned["flagged"] > 0  # only the model can flag: every rule is at weight 0
    calls, seed_calls = learned["calls_per_100_transactions"], seed["calls_per_100_transactions"]
    assert set(calls) == set(seed_calls)
    for operation, rate in calls.items():
        if operation != "s3.GetObject":  # the release record and the policy file, read once per cache period
            assert rate == seed_calls[operation], operation
