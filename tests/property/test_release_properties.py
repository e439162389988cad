"""The release record's transitions keep the lifecycle's invariants whatever the sequence, and its JSON round-trips
(domain/release.py, adapters/release_codec.py)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from adapters.release_codec import audit_from_json, audit_to_json, release_from_json, release_to_json
from domain.release import Action, AuditEntry, Release, ReleaseError, Status

AT = datetime(2026, 11, 30, 14, tzinfo=UTC)
versions = st.integers(0, 12)
steps = st.lists(
    st.one_of(
        st.tuples(st.just("shadow"), st.none() | versions),
        st.tuples(st.just("promote"), versions),
        st.tuples(st.just("rollback"), st.none()),
    ),
    max_size=25,
)


def apply(release: Release, step: tuple[str, int | None], n: int) -> Release:
    """The step's transition, or the same record when the lifecycle refuses it."""
    action, version = step
    with contextlib.suppress(ReleaseError):
        if action == "shadow":
            return release.with_shadow(version)
        if action == "promote":
            assert version is not None
            return release.promote(version, f"approver-{n}", AT + timedelta(minutes=n))
        return release.rollback(f"approver-{n}", AT + timedelta(minutes=n))
    return release


@st.composite
def releases(draw: st.DrawFn) -> Release:
    release = Release()
    for n, step in enumerate(draw(steps)):
        release = apply(release, step, n)
    return release


def _check_invariants(release: Release) -> None:
    assert release.shadow is None or release.shadow != release.active
    assert release.active is None or release.approved_by is not None
    assert release.active is not None or release.previous == ()  # the seed is in force only with no history
    assert release.active is None or release.active not in release.retired
    if release.active is not None:
        assert release.status_of(release.active) is Status.ACTIVE
    if release.shadow is not None:
        assert release.status_of(release.shadow) is Status.SHADOW


@given(steps)
def test_any_sequence_of_transitions_keeps_the_invariants(sequence: list[tuple[str, int | None]]) -> None:
    release = Release()
    for n, step in enumerate(sequence):
        after = apply(release, step, n)
        _check_invariants(after)
        if len(after.previous) > len(release.previous):
            assert step[0] == "promote" and len(after.previous) == len(release.previous) + 1
        if step[0] != "promote":
            assert len(after.previous) <= len(release.previous)  # history grows only by promotes
        release = after


@given(releases(), versions)
def test_rollback_after_promote_restores_the_earlier_active(release: Release, version: int) -> None:
    if version == release.active:
        return
    promoted = release.promote(version, "ann", AT)
    back = promoted.rollback("bob", AT + timedelta(hours=1))

    assert promoted.active == version and promoted.shadow != version
    assert back.active == release.active and back.previous == release.previous
    assert back.status_of(version) is Status.RETIRED
    assert back.shadow == (None if release.shadow == version else release.shadow)
    assert (back.approved_by, back.approved_at) == ("bob", AT + timedelta(hours=1))


@given(releases())
def test_the_record_round_trips_through_json(release: Release) -> None:
    assert release_from_json(release_to_json(release)) == release


def test_a_promoted_shadow_leaves_shadow_and_the_earlier_active_is_retired() -> None:
    release = Release().promote(2, "ann", AT).with_shadow(3).promote(3, "bob", AT)

    assert (release.active, release.shadow) == (3, None)
    assert [release.status_of(v) for v in (2, 3, 4)] == [Status.RETIRED, Status.ACTIVE, Status.CANDIDATE]


def test_rolling_back_the_first_promote_restores_the_seed_and_then_there_is_nothing_to_roll_back() -> None:
    release = Release().promote(2, "ann", AT).rollback("bob", AT)

    assert release.active is None and release.status_of(2) is Status.RETIRED
    with pytest.raises(ReleaseError, match="nothing to roll back to"):
        release.rollback("bob", AT)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: Release().promote(2, "ann", AT).with_shadow(2), "cannot be its own shadow"),
        (lambda: Release().promote(2, "ann", AT).promote(2, "ann", AT), "already active"),
        (lambda: Release().promote(2, " ", AT), "who approved"),
        (lambda: Release().promote(2, "ann", datetime(2026, 1, 1)), "time zone"),
    ],
)
def test_the_lifecycle_refuses(make: Callable[[], Release], message: str) -> None:
    with pytest.raises(ReleaseError, match=message):
        make()


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ('{"active": 2, "approved_by": "a", "approved_at": "2026-01-01T00:00:00+00:00", "extra": 1}', "extra"),
        ('{"active": 2.0}', "release record.active"),
        ('{"active": 2, "shadow": 2}', "both active and in shadow"),
        ('{"previous": [{"version": 2}]}', "seed policy"),
        ("[]", "JSON object"),
        ("{", "not a valid release record"),
    ],
)
def test_a_malformed_record_is_refused_naming_the_problem(text: str, names: str) -> None:
    with pytest.raises(ReleaseError, match=names):
        release_from_json(text)


def test_an_audit_entry_round_trips() -> None:
    entry = AuditEntry(Action.ROLLBACK, "ann", AT, 3, 2, "precision fell")

    assert audit_from_json(audit_to_json(entry)) == entry
