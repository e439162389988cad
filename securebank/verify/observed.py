"""What one path left behind after a workload, in the same shape for both paths, so that they can be compared."""

from __future__ import annotations

from collections.abc import Mapping

import attrs
from attrs import frozen

from domain.model import CustomerId, Transaction, TransactionKey
from domain.profile import CustomerProfile
from domain.rules import Decision


@frozen
class Observed:
    stored: Mapping[TransactionKey, tuple[Transaction, Decision]]
    """The system of record: each identity's transaction and decision (not when it was processed)."""
    profiles: Mapping[CustomerId, CustomerProfile]
    """Customer profiles, with `version` zeroed: it counts commits, which depend on how records were batched."""
    quarantined: Mapping[int, tuple[str, ...]]
    """Line number -> the reason of every quarantine message of that line (at least once: possibly repeated)."""
    lake: tuple[Transaction, ...]
    """Every line of the raw lake (at least once per stored transaction: possibly repeated)."""
    decisions: tuple[tuple[TransactionKey, Decision], ...] = ()
    """The decisions the path reported, in order (the reference's `decisions`; empty for the real path)."""
    discarded: int = 0
    """Records the event source mapping gave up on (sent to the on-failure destination)."""
    unreadable_lake_lines: tuple[str, ...] = ()
    quarantined_payloads: Mapping[int, tuple[tuple[str, int | None], ...]] = {}
    """Line number -> (payload, the length it was cut from or None) of each of its quarantine messages (the real
    path's; the replay keeps none)."""


def without_version(profile: CustomerProfile) -> CustomerProfile:
    return attrs.evolve(profile, version=0)
