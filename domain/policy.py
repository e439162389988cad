"""FraudPolicy: every rule's parameters and weight, and the decision threshold, as one versioned value.

The default is exactly the seed's policy. Rule families beyond the seed's four ship at weight 0 (disabled) so that
a learned policy (see `domain.tuning`) can switch them on without a code change.
"""

from __future__ import annotations

from datetime import time
from decimal import Decimal
from typing import Any

from attrs import Attribute, field, fields, frozen

from domain.currency import MINOR_UNITS


class InvalidPolicy(ValueError):
    """A policy whose parameters cannot be used."""


def _weight(_: object, attribute: Attribute[Any], value: object) -> None:
    if type(value) is not Decimal or not value.is_finite() or value < 0:
        raise InvalidPolicy(f"{attribute.name} must be a non-negative Decimal, got {value!r}")


def _positive(_: object, attribute: Attribute[Any], value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int | Decimal) or value <= 0:
        raise InvalidPolicy(f"{attribute.name} must be positive, got {value!r}")


def _non_negative(_: object, attribute: Attribute[Any], value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int | Decimal) or value < 0:
        raise InvalidPolicy(f"{attribute.name} must be zero or positive, got {value!r}")


@frozen
class VelocityRule:
    """More than `max_count` transactions (this one included) in the `window_seconds` before it."""

    weight: Decimal = field(default=Decimal("0.4"), validator=_weight)
    window_seconds: int = field(default=3600, validator=_positive)
    max_count: int = field(default=5, validator=_positive)


@frozen
class AmountRule:
    """Amount above `multiplier` times the mean of the customer's prior amounts, given `min_history` of them."""

    weight: Decimal = field(default=Decimal("0.3"), validator=_weight)
    min_history: int = field(default=3, validator=_positive)
    multiplier: Decimal = field(default=Decimal("3"), validator=_positive)


@frozen
class LocationRule:
    """At least `max_distance_miles` from the previous transaction's location."""

    weight: Decimal = field(default=Decimal("0.2"), validator=_weight)
    max_distance_miles: Decimal = field(default=Decimal("500"), validator=_positive)


@frozen
class TimeRule:
    """Local time (profile's time zone) outside [day_start, day_end)."""

    weight: Decimal = field(default=Decimal("0.1"), validator=_weight)
    day_start: time = time(6, 0)
    day_end: time = time(22, 0)


@frozen
class TravelSpeedRule:
    """Impossible travel: faster than `max_speed_mph` from the previous location, over `min_distance_miles`."""

    weight: Decimal = field(default=Decimal("0"), validator=_weight)
    max_speed_mph: Decimal = field(default=Decimal("600"), validator=_positive)
    min_distance_miles: Decimal = field(default=Decimal("100"), validator=_non_negative)


@frozen
class CategoryRule:
    """A merchant category the customer has not used before, once they have `min_history` transactions."""

    weight: Decimal = field(default=Decimal("0"), validator=_weight)
    min_history: int = field(default=10, validator=_positive)


def _currency(_: object, attribute: Attribute[Any], value: object) -> None:
    if type(value) is not str or value not in MINOR_UNITS:
        raise InvalidPolicy(f"{attribute.name} must be an ISO 4217 currency code in use, got {value!r}")


@frozen
class LargeAmountRule:
    """A single payment in `currency` above an absolute `limit` (payments in other currencies never trigger it)."""

    weight: Decimal = field(default=Decimal("0"), validator=_weight)
    limit: Decimal = field(default=Decimal("10000"), validator=_positive)
    currency: str = field(default="USD", validator=_currency)


def _share(_: object, attribute: Attribute[Any], value: object) -> None:
    if type(value) is not Decimal or not value.is_finite() or not 0 <= value <= 1:
        raise InvalidPolicy(f"{attribute.name} must be a Decimal from 0 to 1, got {value!r}")


MERCHANT_LOOKBACK_DAYS = 35
"""The most days before a payment the merchant rule may look at (window + lag): what a published merchant-risk
snapshot covers (`contracts.aws.MERCHANT_RISK_DAYS`)."""


@frozen
class MerchantRiskRule:
    """At least `min_frauds` confirmed frauds, making at least `min_share` of the merchant's transactions, over the
    `window_days` UTC days that end `lag_days` before the transaction's day.

    Fed by fraud labels, which arrive late (`domain.merchant_risk`): the lag skips the days whose labels are not in
    yet, so that their transactions do not dilute the share.
    """

    weight: Decimal = field(default=Decimal("0"), validator=_weight)
    window_days: int = field(default=7, validator=_positive)
    lag_days: int = field(default=7, validator=_non_negative)
    min_frauds: int = field(default=2, validator=_positive)
    min_share: Decimal = field(default=Decimal("0.5"), validator=_share)

    def __attrs_post_init__(self) -> None:
        if self.window_days + self.lag_days > MERCHANT_LOOKBACK_DAYS:
            raise InvalidPolicy(
                f"window_days + lag_days must be at most {MERCHANT_LOOKBACK_DAYS} (what a merchant-risk snapshot "
                f"covers), got {self.window_days} + {self.lag_days}"
            )


@frozen(cache_hash=True)
class FraudPolicy:
    """The rules in evaluation order, and `is_fraud = risk_score > threshold`."""

    version: int = field(default=1, validator=_non_negative)
    threshold: Decimal = field(default=Decimal("0.8"), validator=_weight)
    velocity_check: VelocityRule = VelocityRule()
    amount_anomaly: AmountRule = AmountRule()
    location_anomaly: LocationRule = LocationRule()
    time_anomaly: TimeRule = TimeRule()
    impossible_travel: TravelSpeedRule = TravelSpeedRule()
    category_deviation: CategoryRule = CategoryRule()
    large_amount: LargeAmountRule = LargeAmountRule()
    merchant_risk: MerchantRiskRule = MerchantRiskRule()

    @classmethod
    def default(cls) -> FraudPolicy:
        """The seed's policy: velocity 0.4, amount 0.3, location 0.2, time 0.1, fraud above 0.8."""
        return cls()

    @property
    def total_weight(self) -> Decimal:
        return sum((getattr(self, name).weight for name in RULE_NAMES), Decimal(0))

    @property
    def can_flag(self) -> bool:
        """Whether any transaction can be fraud: a risk score is at most the total weight of the rules, and fraud
        needs `risk_score > threshold`, so a threshold at or above the total weight flags nothing."""
        return self.threshold < self.total_weight


RULE_NAMES: tuple[str, ...] = tuple(a.name for a in fields(FraudPolicy) if a.name not in {"version", "threshold"})
