"""The fraud policy in force: the newest version under POLICY_PREFIX, cached for a TTL, the seed if there is none.

Keys are `policy_key(version)`, zero-padded, so the lexicographically last key is the newest. A policy object that
cannot be read or parsed never stops the processor: the previous policy (or the seed) stays in force.
"""

from __future__ import annotations

from adapters.s3_newest import NewestObject
from adapters.serialization import policy_from_json
from contracts.aws import POLICY_PREFIX
from domain.policy import FraudPolicy, InvalidPolicy


class S3PolicySource(NewestObject[FraudPolicy]):
    prefix = POLICY_PREFIX
    what = "fraud policy"
    invalid = InvalidPolicy

    def initial(self) -> FraudPolicy:
        return FraudPolicy.default()

    def parse(self, body: bytes) -> FraudPolicy:
        return policy_from_json(body)
