"""The fraud policy in force: the newest version under POLICY_PREFIX, cached for a TTL, the seed if there is none.

Only keys `policy_key(version)` count, the newest by parsed version (adapters/s3_newest.py). A policy object that
cannot be read or parsed, or that is refused, never stops the processor: the previous policy (or the seed) stays in
force. Refused: a file whose version is not its key's, a version older than the one in force (a rollback is a new,
higher version with the old content, never a deletion), and a threshold no score can exceed (`FraudPolicy.can_flag`).
"""

from __future__ import annotations

from adapters.s3_newest import NewestObject, Refused
from adapters.serialization import policy_from_json
from contracts.aws import CONFIG_POLICY, POLICY_PREFIX, policy_key_version
from domain.policy import FraudPolicy


class S3PolicySource(NewestObject[FraudPolicy, int]):
    prefix = POLICY_PREFIX
    what = "fraud policy"
    config = CONFIG_POLICY

    def initial(self) -> FraudPolicy:
        return FraudPolicy.default()

    def order_of(self, key: str) -> int | None:
        return policy_key_version(key)

    def parse(self, body: bytes, order: int) -> FraudPolicy:
        policy = policy_from_json(body)
        if policy.version != order:
            raise Refused(f"the file says version {policy.version}, its key version {order}")
        if policy.version < self.value.version:
            raise Refused(f"version {policy.version} is older than version {self.value.version} in force")
        if not policy.can_flag:
            raise Refused(
                f"threshold {policy.threshold} is not below the total weight {policy.total_weight} of the rules: "
                "it could never flag a transaction"
            )
        return policy

    def shadow(self) -> FraudPolicy | None:
        return None  # replaced by the release record's reader (config/fraud-policy/release.json)
