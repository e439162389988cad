"""DynamoDB items <-> domain values, through a copy of the one cattrs converter (adapters/serialization.py).

Differences from the JSON shape, all made by hooks on the copy rather than by hand-written field lists:
- Decimals stay Decimal (DynamoDB Number, never float); floats (coordinates, rule observations) are stored as the
  Number of their shortest repr, which reads back as the same float.
- Numbers come back from DynamoDB as Decimal; the int and float hooks accept integral / any Decimal.
- Floats DynamoDB cannot hold as a Number (infinite: an instantaneous jump in an observation; or smaller than
  1E-130, e.g. a latitude of 1e-300, which the API accepts) are stored as the string of their repr.

Transactions table item: the POST body fields (amount a Number, timestamp ISO UTC), the sort key
transaction_id, the decision as the API shows it (risk_score, is_fraud, triggered_rules, reasons,
policy_version), what it was made from (observation, and the policy as its changes from the default policy: so a
stored decision reads back equal to the one that was written, explanations included; a learned model is kept as
its digest and its contributions: adapters/recorded_decisions.py), processed_at (fixed-width
UTC, to the microsecond: the review index sorts by it as a string) and the TTL attribute (`expires_at`,
TRANSACTION_RETENTION_DAYS after processed_at). A flagged item carries `review_status` = open, which puts it in the
sparse review index (a non-flagged item never does); a shadow decision adds shadow_risk_score, shadow_is_fraud and
shadow_policy_version (59 bytes: the worst realistic flagged item then reaches 1,046 bytes, over 1 KB, while a
policy is in shadow; tests/unit/test_case_items.py). Reading an item back ignores review_status and the labels.
The observation keeps the specification's fields, and of the signals only those the decision's policy reads
(adapters/stored_decisions.py): the specification's policy's items are the size they were (970 bytes at worst,
tests/unit/test_item_sizes.py), and read back with the other signals at their defaults. A decision of a policy with
a learned model keeps every signal, as one string `signals` (138 bytes at worst, 51 typically; one map entry per
signal took 271 and 202: adapters/stored_decisions.py), and its model as one string `model`, a short digest and
the points (229 bytes at worst, 175 typically, against 558 and 490 as a hex digest and [source, points] pairs:
adapters/recorded_decisions.py). A typical one is 972 bytes, within 1 KB; the worst realistic 1,479, 2 KB
(tests/unit/test_item_sizes.py: `tune` writes a trees-only policy's rules at their defaults, and a decision names at
most five of the model's features as reasons).
Customers table item: the profile, with `version` a Number and `expires_at` PROFILE_RETENTION_DAYS after the last
transaction (or the account's creation), plus the derived `risk_profile` and `average_monthly_spend` (with
`spend_currency`) for readers without the domain. A profile written before amounts were kept per
currency reads back without amount statistics: its amount_total, amount_min and amount_max may add currencies and
cannot be split, so they are ignored (amount_anomaly then needs min_history new payments in a currency).
The signals' statistics (adapters/profile_codec.py: day totals and category statistics as text, the recent
currencies as runs) add about 420 bytes to a customer with a few payments a day (1,157 to 1,574: still 2 KB,
4 WRU) and about 1,100 to a busy one (4,781 to 5,881: 5 KB to 6 KB, 10 to 12 WRU; domain/profile.py). A profile
written before them reads back with them empty (profile_from_item).

The copy is made on first use (`item_converter()`, also reachable as `converter`), not at import, like the
converter it copies.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from types import MappingProxyType
from typing import Any

import attrs
from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

from adapters.policy_codec import register_policy_hooks
from adapters.profile_codec import register_spending_hooks, runs_of, runs_text
from adapters.recorded_decisions import decision_attributes, with_model
from adapters.serialization import format_timestamp, json_converter
from adapters.stored_decisions import SIGNALS, read_signals, signals_kept, store_signals
from contracts.aws import (
    PROFILE_RETENTION_DAYS,
    REVIEW_SORT_ATTRIBUTE,
    REVIEW_STATUS_ATTRIBUTE,
    REVIEW_STATUS_OPEN,
    TRANSACTION_RETENTION_DAYS,
    TTL_ATTRIBUTE,
)
from domain.model import Transaction
from domain.parameters import as_written
from domain.policy import FraudPolicy
from domain.ports import ScoredTransaction, ShadowDecision
from domain.profile import CustomerProfile
from domain.rules import Decision

AttributeValues = dict[str, dict[str, Any]]

NUMBER_MIN, NUMBER_MAX = 1e-130, 1e126
_TRANSACTION_FIELDS = tuple(a.name for a in attrs.fields(Transaction))
_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


def _float_to_number(value: float) -> Decimal | str:
    """A Number when DynamoDB can hold it (magnitude 1E-130 to 1E+126, or 0), else the float's repr as a string."""
    if value == 0 or (math.isfinite(value) and NUMBER_MIN <= abs(value) < NUMBER_MAX):
        return Decimal(repr(value))
    return repr(value)


def _number_to_float(value: object, _: type) -> float:
    if isinstance(value, bool) or not isinstance(value, Decimal | int | float | str):
        raise TypeError("must be a number")
    return float(value)


def _number_to_int(value: object, _: type) -> int:
    if isinstance(value, bool) or not isinstance(value, Decimal | int) or value != int(value):
        raise TypeError("must be an integer")
    return int(value)


def _structure_bool(value: object, _: type) -> bool:
    if not isinstance(value, bool):
        raise TypeError("must be a boolean")
    return value


@functools.cache
def item_converter() -> Any:
    """The JSON converter's copy for DynamoDB items, made once, on first use."""
    from cattrs.cols import is_namedtuple, namedtuple_dict_structure_factory, namedtuple_dict_unstructure_factory

    converter = json_converter().copy(forbid_extra_keys=False)
    converter.register_unstructure_hook(Decimal, lambda d: d)
    converter.register_unstructure_hook(float, _float_to_number)
    converter.register_unstructure_hook(datetime, format_timestamp)
    converter.register_structure_hook(float, _number_to_float)
    converter.register_structure_hook(int, _number_to_int)
    converter.register_structure_hook(bool, _structure_bool)
    # NamedTuples (the rules' Observation) are stored as maps, so that each field goes through its type's hook.
    converter.register_unstructure_hook_factory(is_namedtuple, namedtuple_dict_unstructure_factory)
    converter.register_structure_hook_factory(is_namedtuple, namedtuple_dict_structure_factory)
    _store_policies_as_changes(converter)
    register_spending_hooks(converter)
    return converter


POLICY_BASELINE: Mapping[str, Any] = MappingProxyType({
    "version": 1,
    "threshold": Decimal("0.8"),
    "velocity_check": {"weight": Decimal("0.4"), "window_seconds": 3600, "max_count": 5},
    "amount_anomaly": {"weight": Decimal("0.3"), "min_history": 3, "multiplier": Decimal("3")},
    "location_anomaly": {"weight": Decimal("0.2"), "max_distance_miles": Decimal("500")},
    "time_anomaly": {"weight": Decimal("0.1"), "day_start": "06:00", "day_end": "22:00"},
    "impossible_travel": {"weight": Decimal("0"), "max_speed_mph": Decimal("600"),
                          "min_distance_miles": Decimal("100")},
    "category_deviation": {"weight": Decimal("0"), "min_history": 10},
    "large_amount": {"weight": Decimal("0"), "limit": Decimal("10000"), "currency": "USD"},
    "merchant_risk": {"weight": Decimal("0"), "window_days": 7, "lag_days": 7, "min_frauds": 2,
                      "min_share": Decimal("0.5")},
})  # fmt: skip
"""What stored policies are changes from, in the stored shape. Data, every value spelled out, and never derived
from the rule catalogue or FraudPolicy's defaults: items already written are read back against it, so it must
not move when those do. A rule added to the catalogue later needs no entry here: it is stored whole (and an item
written before it existed reads it at its defaults). A parameter added to a rule later is added here with the
value items written before it are read with (large_amount's `currency`: USD)."""


def _as_in_baseline(value: object, baseline: object) -> bool:
    """Whether a stored policy's value reads back as written from the baseline's: "0.00" is not the baseline's
    "0" (a policy is as written: `domain.parameters.as_written`)."""
    return type(value) is type(baseline) and as_written(value) == as_written(baseline)


def _store_policies_as_changes(converter: Any) -> None:
    """A decision's policy is stored as what differs from POLICY_BASELINE, and read back whole (the baseline
    with those changes): the same value, in a fraction of the bytes. Items above 1 KB cost two write units each,
    on the table and on every index that projects them; a full policy is about 500 of a transaction's bytes."""
    register_policy_hooks(converter)  # bound to this converter: Decimals stay Decimal
    unstructure, structure = converter.get_unstructure_hook(FraudPolicy), converter.get_structure_hook(FraudPolicy)
    default = POLICY_BASELINE

    def changes(policy: FraudPolicy) -> dict[str, Any]:
        stored: dict[str, Any] = {}
        for name, value in unstructure(policy).items():
            if name not in default:
                stored[name] = value
            elif isinstance(value, dict):
                rule = {k: v for k, v in value.items() if not _as_in_baseline(v, default[name].get(k))}
                if rule:
                    stored[name] = rule
            elif not _as_in_baseline(value, default[name]):
                stored[name] = value
        return stored

    def whole(stored: object, _: type) -> FraudPolicy:
        if not isinstance(stored, dict):
            raise TypeError("must be a map")
        merged = stored | {name: {**value, **stored.get(name, {})} if isinstance(value, dict)
                           else stored.get(name, value) for name, value in default.items()}  # fmt: skip
        policy: FraudPolicy = structure(merged, FraudPolicy)
        return policy

    converter.register_unstructure_hook(FraudPolicy, changes)
    converter.register_structure_hook(FraudPolicy, whole)


def __getattr__(name: str) -> Any:
    """`converter`: the items' converter (`item_converter()`), made when first asked for."""
    if name == "converter":
        return item_converter()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def to_attribute_values(item: dict[str, Any]) -> AttributeValues:
    return {k: _serializer.serialize(v) for k, v in item.items()}


def from_attribute_values(values: AttributeValues) -> dict[str, Any]:
    return {k: _deserializer.deserialize(v) for k, v in values.items()}


def scored_to_item(scored: ScoredTransaction) -> dict[str, Any]:
    converter, txn, decision = item_converter(), scored.transaction, scored.decision
    item: dict[str, Any] = converter.unstructure(txn)
    item.update(decision_attributes(converter, decision))  # a model kept as its digest and points
    signals = store_signals(item["observation"], signals_kept(decision.policy), txn.merchant_category)
    if signals is not None:  # a model policy's: one string (adapters/stored_decisions.py)
        item[SIGNALS] = signals
    item["triggered_rules"] = list(decision.triggered_rules)
    item["reasons"] = list(decision.reasons)
    item["policy_version"] = decision.policy_version
    item[REVIEW_SORT_ATTRIBUTE] = sort_timestamp(scored.processed_at)
    item[TTL_ATTRIBUTE] = expiry(scored.processed_at, TRANSACTION_RETENTION_DAYS)
    if decision.is_fraud:  # a case: into the sparse review index until a label removes the attribute
        item[REVIEW_STATUS_ATTRIBUTE] = REVIEW_STATUS_OPEN
    if scored.shadow is not None:
        item.update({SHADOW_PREFIX + name: value for name, value in converter.unstructure(scored.shadow).items()})
    return item


SHADOW_PREFIX = "shadow_"
"""The shadow decision's attributes: shadow_risk_score, shadow_is_fraud, shadow_policy_version."""
_SHADOW_FIELDS = tuple(a.name for a in attrs.fields(ShadowDecision))


def sort_timestamp(value: datetime) -> str:
    """The instant in UTC, always to the microsecond (`2024-03-01T12:00:00.000000Z`): every value has the same
    width, so strings sort as instants (format_timestamp drops a zero fraction, and `...00Z` sorts after
    `...00.5Z`)."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def expiry(start: datetime, days: int) -> int:
    """The TTL attribute's value: epoch seconds `days` after `start`."""
    return int((start + timedelta(days=days)).timestamp())


def scored_from_item(item: dict[str, Any]) -> ScoredTransaction:
    converter = item_converter()
    txn = converter.structure({k: item[k] for k in _TRANSACTION_FIELDS}, Transaction)
    stored = _with_currency_observation(read_signals(item))
    decision = with_model(converter.structure(stored, Decision), item)
    shadow = None
    if SHADOW_PREFIX + "policy_version" in item:
        shadow = converter.structure({name: item[SHADOW_PREFIX + name] for name in _SHADOW_FIELDS}, ShadowDecision)
    return ScoredTransaction(txn, decision, converter.structure(item[REVIEW_SORT_ATTRIBUTE], datetime), shadow)


def _with_currency_observation(item: dict[str, Any]) -> dict[str, Any]:
    """An item written before amounts were compared per currency has an observation without `currency` and
    `history_count`; its `prior_count` then counted every earlier transaction, which is what `history_count` is."""
    observation = item.get("observation")
    if not isinstance(observation, dict) or "currency" in observation:
        return item
    legacy = {"currency": item.get("currency"), "history_count": observation.get("prior_count")}
    return {**item, "observation": {**observation, **legacy}}


PROFILE_DERIVED = ("risk_profile", "average_monthly_spend", "spend_currency")
"""Written on every profile write for readers of the table (and its Parquet snapshot) that do not run the domain;
never read back (the profile recomputes them)."""


def profile_to_item(profile: CustomerProfile, written_at: datetime | None = None) -> dict[str, Any]:
    """The profile, `assigned_risk` only when set, plus PROFILE_DERIVED: `risk_profile` (the effective one) and,
    once the customer has paid, `average_monthly_spend` in `spend_currency` (CustomerProfile.monthly_spend). The
    TTL runs from the last transaction, else from `written_at` (an import before any transaction), else from the
    account's creation."""
    item: dict[str, Any] = item_converter().unstructure(profile)
    item["recent_currencies"] = runs_text(profile.recent_currencies)
    if profile.assigned_risk is None:
        del item["assigned_risk"]
    item["risk_profile"] = profile.risk_profile
    spend = profile.monthly_spend()
    if spend is not None:
        item["average_monthly_spend"], item["spend_currency"] = spend.amount, spend.currency
    last_seen = profile.last_transaction_timestamp or written_at or profile.account_created
    item[TTL_ATTRIBUTE] = expiry(last_seen, PROFILE_RETENTION_DAYS)
    return item


def profile_from_item(item: dict[str, Any]) -> CustomerProfile:
    """The profile an item holds. An item written before the profile kept the signals' statistics reads back with
    them empty, and its recent payments with unknown amounts (currency "", amount 0: no 1 h or 24 h sum adds them)."""
    stored = {k: v for k, v in item.items() if k not in PROFILE_DERIVED}
    if "recent_currencies" in stored:
        stored["recent_currencies"] = runs_of(stored["recent_currencies"])
    else:
        unknown = len(stored.get("recent_times", ()))
        stored["recent_amounts"], stored["recent_currencies"] = [Decimal(0)] * unknown, [""] * unknown
    profile: CustomerProfile = item_converter().structure(stored, CustomerProfile)
    return profile
