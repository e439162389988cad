"""Each fraud rule's parameters: a frozen attrs class per rule, with its weight and the specification's values as
defaults. The rule catalogue (`domain.catalogue`) names the class of each rule; a FraudPolicy holds one instance
per rule."""

from __future__ import annotations

from datetime import time
from decimal import Decimal
from typing import Any, Protocol

from attrs import Attribute, AttrsInstance, field, frozen

from domain.currency import MINOR_UNITS


class InvalidPolicy(ValueError):
    """A policy whose parameters cannot be used."""


class Weighted(AttrsInstance, Protocol):
    """What every rule's parameters are: an attrs instance with the weight its verdict adds to the risk score (0
    switches it off)."""

    @property
    def weight(self) -> Decimal: ...


def as_written(value: object) -> object:
    """A Decimal as written, exponent included: a policy compares and hashes by it, so two policies whose values
    are equal but written differently ("0.4", "0.40") are different policies, as their files are. Their decisions'
    scores carry different exponents, and a cache keyed by a policy must not hand one the other's settings."""
    return value.as_tuple() if isinstance(value, Decimal) else value


def check_weight(_: object, attribute: Attribute[Any], value: object) -> None:
    if type(value) is not Decimal or not value.is_finite() or value < 0:
        raise InvalidPolicy(f"{attribute.name} must be a non-negative Decimal, got {value!r}")


def check_positive(_: object, attribute: Attribute[Any], value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int | Decimal) or value <= 0:
        raise InvalidPolicy(f"{attribute.name} must be positive, got {value!r}")


def check_non_negative(_: object, attribute: Attribute[Any], value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int | Decimal) or value < 0:
        raise InvalidPolicy(f"{attribute.name} must be zero or positive, got {value!r}")


def check_share(_: object, attribute: Attribute[Any], value: object) -> None:
    if type(value) is not Decimal or not value.is_finite() or not 0 <= value <= 1:
        raise InvalidPolicy(f"{attribute.name} must be a Decimal from 0 to 1, got {value!r}")


def check_currency(_: object, attribute: Attribute[Any], value: object) -> None:
    if type(value) is not str or value not in MINOR_UNITS:
        raise InvalidPolicy(f"{attribute.name} must be an ISO 4217 currency code in use, got {value!r}")


@frozen
class VelocityRule:
    """More than `max_count` transactions (this one included) in the `window_seconds` before it."""

    weight: Decimal = field(default=Decimal("0.4"), validator=check_weight, eq=as_written)
    window_seconds: int = field(default=3600, validator=check_positive)
    max_count: int = field(default=5, validator=check_positive)


@frozen
class AmountRule:
    """Amount above `multiplier` times the mean of the customer's prior amounts, given `min_history` of them."""

    weight: Decimal = field(default=Decimal("0.3"), validator=check_weight, eq=as_written)
    min_history: int = field(default=3, validator=check_positive)
    multiplier: Decimal = field(default=Decimal("3"), validator=check_positive, eq=as_written)


@frozen
class LocationRule:
    """At least `max_distance_miles` from the previous transaction's location."""

    weight: Decimal = field(default=Decimal("0.2"), validator=check_weight, eq=as_written)
    max_distance_miles: Decimal = field(default=Decimal("500"), validator=check_positive, eq=as_written)


@frozen
class TimeRule:
    """Local time (profile's time zone) outside [day_start, day_end)."""

    weight: Decimal = field(default=Decimal("0.1"), validator=check_weight, eq=as_written)
    day_start: time = time(6, 0)
    day_end: time = time(22, 0)


@frozen
class TravelSpeedRule:
    """Impossible travel: faster than `max_speed_mph` from the previous location, over `min_distance_miles`."""

    weight: Decimal = field(default=Decimal("0"), validator=check_weight, eq=as_written)
    max_speed_mph: Decimal = field(default=Decimal("600"), validator=check_positive, eq=as_written)
    min_distance_miles: Decimal = field(default=Decimal("100"), validator=check_non_negative, eq=as_written)


@frozen
class CategoryRule:
    """A merchant category the customer has not used before, once they have `min_history` transactions."""

    weight: Decimal = field(default=Decimal("0"), validator=check_weight, eq=as_written)
    min_history: int = field(default=10, validator=check_positive)


@frozen
class LargeAmountRule:
    """A single payment in `currency` above an absolute `limit` (payments in other currencies never trigger it)."""

    weight: Decimal = field(default=Decimal("0"), validator=check_weight, eq=as_written)
    limit: Decimal = field(default=Decimal("10000"), validator=check_positive, eq=as_written)
    currency: str = field(default="USD", validator=check_currency)


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

    weight: Decimal = field(default=Decimal("0"), validator=check_weight, eq=as_written)
    window_days: int = field(default=7, validator=check_positive)
    lag_days: int = field(default=7, validator=check_non_negative)
    min_frauds: int = field(default=2, validator=check_positive)
    min_share: Decimal = field(default=Decimal("0.5"), validator=check_share, eq=as_written)

    def __attrs_post_init__(self) -> None:
        if self.window_days + self.lag_days > MERCHANT_LOOKBACK_DAYS:
            raise InvalidPolicy(
                f"window_days + lag_days must be at most {MERCHANT_LOOKBACK_DAYS} (what a merchant-risk snapshot "
                f"covers), got {self.window_days} + {self.lag_days}"
            )
