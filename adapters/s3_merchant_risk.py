"""Confirmed fraud per merchant, as the daily job published it: the newest snapshot under MERCHANT_RISK_PREFIX.

Cached for the same TTL as the policy, so it costs one ListObjectsV2 per container and TTL (and one GetObject when
a new day is published), not a call per batch. Only keys `merchant_risk_key(day)` count, the newest by parsed date
(adapters/s3_newest.py). Until a snapshot exists, or while none can be read, the merchant rule sees no confirmed
fraud (or the last snapshot accepted) and cannot trigger on its own. Refused (the last good one stays): a snapshot
`merchant_risk_from_json` rejects (any exception, counts out of bounds included), one whose `as_of` is not its key's
date, and one older than the snapshot in force. `published_on` is the `as_of` of the snapshot in force, so the
processor can report how old it is.
"""

from __future__ import annotations

from datetime import date

from adapters.merchant_risk_codec import merchant_risk_from_json
from adapters.s3_newest import NewestObject, Refused
from contracts.aws import CONFIG_MERCHANT_RISK, MERCHANT_RISK_PREFIX, merchant_risk_key_day
from domain.merchant_risk import NO_MERCHANT_RISK, MerchantRisk


class S3MerchantRiskSource(NewestObject[MerchantRisk, date]):
    prefix = MERCHANT_RISK_PREFIX
    what = "merchant risk"
    config = CONFIG_MERCHANT_RISK

    @property
    def published_on(self) -> date | None:
        """The `as_of` of the snapshot in force (None until one is accepted): how stale `current()` is."""
        return self.order

    def initial(self) -> MerchantRisk:
        return NO_MERCHANT_RISK

    def order_of(self, key: str) -> date | None:
        return merchant_risk_key_day(key)

    def parse(self, body: bytes, order: date) -> MerchantRisk:
        risk, as_of = merchant_risk_from_json(body)
        if as_of != order:
            raise Refused(f"the snapshot says as_of {as_of}, its key {order}")
        if self.order is not None and as_of < self.order:
            raise Refused(f"as_of {as_of} is older than the snapshot of {self.order} in force")
        return risk
