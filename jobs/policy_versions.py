"""The weekly job's view of the published fraud policies: which one it tunes from, which version number it publishes
as, and whether what it learned is already published. Plain Python over whole objects (`Files`: the job's
`jobs.lake.LakeFiles`, or any object with `keys(prefix)` and `read(key)`).

- The start is the ACTIVE policy, the one the processor scores with: the release record's `active` version
  (contracts/aws.py POLICY_RELEASE_KEY), or the seed (specification) policy when there is no record or it names none.
- A candidate is numbered after the greatest PUBLISHED version, active or not (versions are immutable: a number is
  never reused), found by parsed version, never by key order.
- A learned policy equal to a published version but for its number is not published again: a candidate nobody has
  promoted yet, or an earlier active, would otherwise come back as a new version every week.

The release record's codec is adapters/release_codec.py (imported on use: the Glue job ships adapters, not boto3).
"""

from __future__ import annotations

from typing import Protocol

from attrs import evolve, frozen

from contracts.aws import POLICY_PREFIX, POLICY_RELEASE_KEY, policy_key, policy_key_version
from domain.policy import FraudPolicy


class Files(Protocol):
    def keys(self, prefix: str) -> list[str]: ...
    def read(self, key: str) -> str: ...


@frozen
class Published:
    """The active policy (the start), and every published version's key by version."""

    active: FraudPolicy
    versions: dict[int, str]

    @property
    def newest(self) -> int:
        """The greatest published version (the seed's when none is published)."""
        return max([*self.versions, self.active.version, FraudPolicy.default().version])


def published(files: Files) -> Published:
    """What is published under config/fraud-policy/; keys `policy_key` would not write are ignored."""
    from adapters.release_codec import release_from_json
    from adapters.serialization import policy_from_json

    keys = files.keys(POLICY_PREFIX)
    versions = {v: key for key in keys if (v := policy_key_version(key)) is not None}
    active = release_from_json(files.read(POLICY_RELEASE_KEY)).active if POLICY_RELEASE_KEY in keys else None
    if active is None:
        return Published(FraudPolicy.default(), versions)
    if active not in versions:
        raise FileNotFoundError(f"the release record names version {active}, but {policy_key(active)} is missing")
    return Published(policy_from_json(files.read(versions[active])), versions)


def same_as_published(files: Files, found: Published, policy: FraudPolicy) -> int | None:
    """The published version whose policy equals `policy` but for its version number, if any."""
    from adapters.serialization import policy_from_json

    for version, key in sorted(found.versions.items()):
        if evolve(policy_from_json(files.read(key)), version=policy.version) == policy:
            return version
    return None
