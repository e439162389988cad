"""`policy list|show|shadow|promote|rollback` on a directory lake: the lifecycle's refusals, the release record and
the audit record each action writes, audit first."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import attrs
import pytest

from adapters.policy_store import PolicyStore, PolicyStoreError
from contracts.aws import POLICY_AUDIT_PREFIX, POLICY_RELEASE_KEY
from domain.policy import FraudPolicy
from domain.release import Action
from securebank.__main__ import main
from securebank.ops.lake_objects import DirectoryObjects
from securebank.ops.policy_versions import headline

REPORT = {"holdout": {"after": {"precision": "0.9", "recall": "0.5", "f1": "0.6429", "tp": 9}}}


def version(n: int, threshold: str = "0.8") -> FraudPolicy:
    return attrs.evolve(FraudPolicy.default(), version=n, threshold=Decimal(threshold))


@pytest.fixture
def lake(tmp_path: Path) -> Path:
    store = PolicyStore(DirectoryObjects(tmp_path))
    store.publish(version(2), REPORT)
    store.publish(version(3, "0.7"))
    store.publish(version(4, "5"))  # no risk score can exceed it
    return tmp_path


def policy(lake: Path, *args: str) -> int:
    return main(["policy", *args, "--lake", str(lake)])


def listing(lake: Path, capsys: pytest.CaptureFixture[str]) -> dict:
    capsys.readouterr()
    assert policy(lake, "list", "--json") == 0
    return dict(json.loads(capsys.readouterr().out))


def statuses(lake: Path, capsys: pytest.CaptureFixture[str]) -> dict[int, str]:
    return {row["version"]: row["status"] for row in listing(lake, capsys)["versions"]}


def test_published_versions_are_candidates_and_the_seed_is_active_until_a_promote(
    lake: Path, capsys: pytest.CaptureFixture[str]
):
    listed = listing(lake, capsys)

    assert (listed["active"], listed["shadow"]) == ("seed", None)
    assert [(r["version"], r["status"], r["threshold"]) for r in listed["versions"]] == [
        (2, "candidate", "0.8"),
        (3, "candidate", "0.7"),
        (4, "candidate", "5"),
    ]
    headline_of_2 = {k: listed["versions"][0][k] for k in ("precision", "recall", "f1")}
    assert headline_of_2 == {"precision": "0.9", "recall": "0.5", "f1": "0.6429"}
    assert listed["versions"][0]["published_at"] is not None and "precision" not in listed["versions"][1]


def test_shadow_promote_rollback_each_write_the_record_and_one_audit_record(
    lake: Path, capsys: pytest.CaptureFixture[str]
):
    assert policy(lake, "shadow", "3", "--by", "ann") == 0
    assert statuses(lake, capsys) == {2: "candidate", 3: "shadow", 4: "candidate"}
    assert policy(lake, "promote", "2", "--approved-by", "bob", "--reason", "backtest") == 0
    assert policy(lake, "promote", "3", "--approved-by", "carol") == 0
    assert statuses(lake, capsys) == {2: "retired", 3: "active", 4: "candidate"}
    assert policy(lake, "rollback", "--approved-by", "dave", "--reason", "precision fell") == 0
    assert statuses(lake, capsys) == {2: "active", 3: "retired", 4: "candidate"}

    audit = PolicyStore(DirectoryObjects(lake)).audit()
    assert [(a.action, a.approved_by, a.from_version, a.to_version) for a in audit] == [
        (Action.SHADOW, "ann", None, 3),
        (Action.PROMOTE, "bob", None, 2),
        (Action.PROMOTE, "carol", 2, 3),
        (Action.ROLLBACK, "dave", 3, 2),
    ]
    assert audit[-1].reason == "precision fell"
    assert json.loads((lake / POLICY_RELEASE_KEY).read_text())["approved_by"] == "dave"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["promote", "9", "--approved-by", "bob"], "version 9 is not published"),
        (["promote", "4", "--approved-by", "bob"], "could never flag"),
        (["promote", "2", "--approved-by", " "], "who approved"),
        (["rollback", "--approved-by", "bob"], "nothing to roll back to"),
        (["shadow", "9"], "version 9 is not published"),
    ],
)
def test_a_refused_action_says_why_and_writes_nothing(
    lake: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
):
    assert policy(lake, *args) == 1

    assert message in capsys.readouterr().err
    assert not (lake / POLICY_RELEASE_KEY).exists() and not (lake / POLICY_AUDIT_PREFIX).exists()


def test_promote_without_an_approver_is_a_usage_error(lake: Path, capsys: pytest.CaptureFixture[str]):
    with pytest.raises(SystemExit) as exit_:
        policy(lake, "promote", "2")

    assert exit_.value.code == 2 and "--approved-by" in capsys.readouterr().err
    assert not (lake / POLICY_RELEASE_KEY).exists()


def test_shadow_clear_and_a_version_shadowed_then_promoted_leaves_shadow(
    lake: Path, capsys: pytest.CaptureFixture[str]
):
    assert policy(lake, "shadow", "3") == 0
    assert policy(lake, "shadow", "--clear") == 0
    assert listing(lake, capsys)["shadow"] is None
    assert policy(lake, "shadow", "3") == 0
    assert policy(lake, "promote", "3", "--approved-by", "bob") == 0
    assert (listing(lake, capsys)["active"], listing(lake, capsys)["shadow"]) == (3, None)


def test_show_prints_the_policy_its_status_and_report(lake: Path, capsys: pytest.CaptureFixture[str]):
    assert policy(lake, "show", "2") == 0

    shown = json.loads(capsys.readouterr().out)
    assert (shown["version"], shown["status"], shown["policy"]["threshold"]) == (2, "candidate", "0.8")
    assert shown["backtest_report"] == REPORT


def test_a_published_version_is_immutable(lake: Path):
    store = PolicyStore(DirectoryObjects(lake))
    store.publish(version(2))  # the same content again: nothing to do

    with pytest.raises(PolicyStoreError, match="already published with other content"):
        store.publish(version(2, "0.5"))


class FailingRecord(DirectoryObjects):
    """A lake where writing the release record fails (after the audit record was written)."""

    def put(self, key: str, body: bytes) -> None:
        if key == POLICY_RELEASE_KEY:
            raise OSError("disk full")
        super().put(key, body)


def test_the_audit_record_is_written_before_the_release_record(lake: Path):
    store = PolicyStore(FailingRecord(lake), clock=lambda: datetime(2026, 11, 30, tzinfo=UTC))

    with pytest.raises(OSError, match="disk full"):
        store.promote(2, "bob")

    assert not (lake / POLICY_RELEASE_KEY).exists()  # nothing changed in force ...
    assert [(a.action, a.to_version) for a in store.audit()] == [(Action.PROMOTE, 2)]  # ... and it was audited


@pytest.mark.parametrize(
    ("report", "expected"),
    [
        (None, {}),
        ({"holdout": {"after": {"precision": "1", "recall": "0.5", "f1": "0.6667"}}}, {"precision": "1"}),
        ({"overall": {"after": {"precision": "0.3", "recall": "0.2", "f1": "0.24"}}}, {"precision": "0.3"}),
        ({"something": "else"}, {}),
    ],
)
def test_the_headline_is_the_holdouts_after_tuning(report: dict | None, expected: dict):
    found = headline(report)

    assert {k: found[k] for k in expected} == expected and (found == {}) == (expected == {})
