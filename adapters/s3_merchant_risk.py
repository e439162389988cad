"""Confirmed fraud per merchant, as the daily job published it: the newest snapshot under MERCHANT_RISK_PREFIX.

Cached for the same TTL as the policy, so it costs one ListObjectsV2 per container and TTL (and one GetObject when
a new day is published), not a call per batch. Until a snapshot exists, or while none can be read, the merchant
rule sees no confirmed fraud (or the last snapshot read) and cannot trigger on its own. `published_on` is the
snapshot's `as_of`, so the processor can report how old the snapshot in force is.
"""

from __future__ import annotations

from datetime import date

from adapters.s3_newest import NewestObject
from adapters.serialization import InvalidMerchantRisk, merchant_risk_from_json
from contracts.aws import MERCHANT_RISK_PREFIX
from domain.merchant_risk import NO_MERCHANT_RISK, MerchantRisk


class S3MerchantRiskSource(NewestObject[MerchantRisk]):
    prefix = MERCHANT_RISK_PREFIX
    what = "merchant risk"
    invalid = InvalidMerchantRisk
    published_on: date | None = None
    """The `as_of` of the snapshot in force (None until one is loaded): how stale `current()` is."""

    def initial(self) -> MerchantRisk:
        return NO_MERCHANT_RISK

    def parse(self, body: bytes) -> MerchantRisk:
        risk, self.published_on = merchant_risk_from_json(body)
        return risk
