"""Observing history once for a policy search: `Replay` -> `Example`s, summed into a `Tally`.

Profiles evolve the same way whatever the policy, so each transaction is observed once. A rule whose observed
fields depend on its own parameters (a window: `domain.rule_spec.Variants`) has them measured once per option the
search may pick, so that every candidate setting can be judged from the one example.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from attrs import field, frozen

from domain.catalogue import catalogue
from domain.merchant_risk import NO_MERCHANT_RISK, MerchantRisk
from domain.model import Transaction, TransactionKey
from domain.observation import Moment, Observation, observe
from domain.profile import CustomerProfile, apply_transaction
from domain.rule_spec import Variants

Tally = dict[tuple[bool, str, int], list[int]]
"""(in holdout, ISO week, signature) -> [frauds, legits]."""


@frozen
class Example:
    """One transaction as the rules saw it: its observation, and for each rule with variants, the observation at
    each of the rule's options (`views[rule][i]` for `variants.options[i]`)."""

    observation: Observation
    views: Mapping[str, tuple[Observation, ...]] = field(factory=dict)


class Replay:
    """Replays transactions in order, one profile per customer, observing each against the profile before it and
    against what `merchants` knew of its merchant on its day."""

    def __init__(self, merchants: MerchantRisk = NO_MERCHANT_RISK) -> None:
        self._profiles: dict[str, CustomerProfile] = {}
        self._seen: set[TransactionKey] = set()
        self._merchants = merchants
        self._varied = tuple((spec.name, spec.variants) for spec in catalogue() if spec.variants is not None)

    def observe(self, txn: Transaction) -> Example | None:
        """The example of `txn`, or None for a repeated transaction_id (the lake is at-least-once)."""
        if txn.key in self._seen:
            return None
        self._seen.add(txn.key)
        profile = self._profiles.get(txn.customer_id)
        base = observe(profile, txn)
        moment = Moment(profile, txn, self._merchants)
        views = {name: tuple(_view(base, variants, moment, option) for option in variants.options)
                 for name, variants in self._varied}  # fmt: skip
        # The flag only feeds the profile's risk label, which no rule reads: observations do not depend on policy.
        self._profiles[txn.customer_id] = apply_transaction(profile or CustomerProfile.open(txn), txn, flagged=False)
        return Example(base, views)


def _view(base: Observation, variants: Variants[Any], moment: Moment, option: Any) -> Observation:
    values = variants.measure(moment, option)
    if values == tuple(getattr(base, name) for name in variants.fields):
        return base
    changes: dict[str, Any] = dict(zip(variants.fields, values, strict=True))
    return base._replace(**changes)


def iso_week(moment: datetime) -> str:
    """The ISO week of an instant, in UTC."""
    year, week, _ = moment.astimezone(UTC).isocalendar()
    return f"{year}-W{week:02d}"


def holdout_start(first: datetime, last: datetime, fraction: float) -> datetime:
    """Transactions at or after this instant form the holdout: the last `fraction` of the labelled time span."""
    return last - timedelta(seconds=(last - first).total_seconds() * fraction)


def add_to_tally(tally: Tally, holdout: bool, week: str, bits: int, is_fraud: bool, count: int = 1) -> None:
    entry = tally.setdefault((holdout, week, bits), [0, 0])
    entry[0 if is_fraud else 1] += count


def rows_of(
    tally: Mapping[tuple[bool, str, int], Sequence[int]], holdout: bool | None = None
) -> list[tuple[int, int, int]]:
    """(signature, frauds, legits) over the weeks of one split (both when `holdout` is None)."""
    merged: dict[int, list[int]] = {}
    for (in_holdout, _, bits), (frauds, legits) in tally.items():
        if holdout is None or in_holdout == holdout:
            entry = merged.setdefault(bits, [0, 0])
            entry[0] += frauds
            entry[1] += legits
    return [(bits, frauds, legits) for bits, (frauds, legits) in sorted(merged.items())]
