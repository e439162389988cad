"""Observing history once for a policy search: `Replay` -> `Example`s, summed into a `Tally`.

Profiles evolve the same way whatever the policy, so each transaction is observed once. A rule whose observed
fields depend on its own parameters (a window: `domain.rule_spec.Variants`) has them measured once per option the
search may pick, so that every candidate setting can be judged from the one example; only the values are kept
(an observation per option is built when a candidate needs it), and what the merchant feed says of a merchant on a
day is measured once for all its payments that day.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from attrs import field, frozen

from domain.catalogue import catalogue
from domain.merchant_risk import NO_MERCHANT_RISK, Day, MerchantRisk, utc_day
from domain.model import Transaction, TransactionKey
from domain.observation import MERCHANT_FIELDS, Moment, Observation, Value, observe
from domain.profile import CustomerProfile, apply_transaction
from domain.rule_spec import Variants

Tally = dict[tuple[bool, str, int], list[int]]
"""(in holdout, ISO week, signature) -> [frauds, legits]."""


Measured = tuple[tuple[int, ...], tuple[tuple[Value, ...], ...]]
"""A rule's variant fields: their positions in an Observation, and their values at each of its options."""


@frozen
class Example:
    """One transaction as the rules saw it: its observation, and for each rule with variants, the values of the
    variant fields at each of the rule's options (`view(rule, i)` is the observation at `variants.options[i]`)."""

    observation: Observation
    measured: Mapping[str, Measured] = field(factory=dict)
    _views: dict[tuple[str, int], Observation] = field(init=False, factory=dict, eq=False, repr=False)

    def view(self, rule: str, option: int) -> Observation:
        """The observation at the rule's option: this one with the option's variant fields (built once, on first
        use: a search that needs only the values never builds it)."""
        found = self._views.get((rule, option))
        if found is None:
            positions, options = self.measured[rule]
            values = options[option]
            if all(self.observation[p] == v for p, v in zip(positions, values, strict=True)):
                found = self.observation
            else:
                items: list[Any] = list(self.observation)
                for p, v in zip(positions, values, strict=True):
                    items[p] = v
                found = Observation(*items)
            self._views[(rule, option)] = found
        return found

    @property
    def views(self) -> dict[str, tuple[Observation, ...]]:
        """Every view: `views[rule][i]` is `view(rule, i)`."""
        return {rule: tuple(self.view(rule, i) for i in range(len(options)))
                for rule, (_, options) in self.measured.items()}  # fmt: skip


def _merchant_only(variants: Variants[Any]) -> bool:
    """Fields the merchant feed fills are what it knows of the payment's merchant on the payment's UTC day
    (`MerchantRisk.counts`): the same for every payment there that day."""
    return set(variants.fields) <= set(MERCHANT_FIELDS)


@frozen
class _DaySums(MerchantRisk):
    """`MerchantRisk.counts`, from running sums over the days before the day asked (`sums[merchant, day][k]`: the
    (frauds known on `day`, transactions) of days [day - k, day)): the replay asks for every window of one
    (merchant, day) in a row, and each window is then a difference of two sums."""

    sums: dict[tuple[str, Day], list[tuple[int, int]]] = field(factory=dict, eq=False, repr=False)

    def counts(self, merchant_id: str, day: Day, window_days: int, lag_days: int) -> tuple[int, int]:
        days = self.merchants.get(merchant_id)
        if days is None or window_days <= 0 or lag_days < 0:
            return super().counts(merchant_id, day, window_days, lag_days)
        sums = self.sums.setdefault((merchant_id, day), [(0, 0)])
        reach = lag_days + window_days
        while len(sums) <= reach:
            frauds, transactions = sums[-1]
            entry = days.get(day - len(sums))
            if entry is not None:
                transactions += entry.transactions
                frauds += sum(1 for known in entry.known_from if known <= day)
            sums.append((frauds, transactions))
        (near_frauds, near_transactions), (far_frauds, far_transactions) = sums[lag_days], sums[reach]
        return far_frauds - near_frauds, far_transactions - near_transactions


class Replay:
    """Replays transactions in order, one profile per customer, observing each against the profile before it and
    against what `merchants` knew of its merchant on its day."""

    def __init__(self, merchants: MerchantRisk = NO_MERCHANT_RISK) -> None:
        self._profiles: dict[str, CustomerProfile] = {}
        self._seen: set[TransactionKey] = set()
        self._merchants = merchants
        self._varied = tuple(
            (spec.name, spec.variants, tuple(Observation._fields.index(f) for f in spec.variants.fields),
             _merchant_only(spec.variants))
            for spec in catalogue()
            if spec.variants is not None
        )  # fmt: skip
        self._by_day: dict[tuple[str, str, int], tuple[tuple[Value, ...], ...]] = {}
        self._day_sums = _DaySums(merchants.merchants)

    def observe(self, txn: Transaction) -> Example | None:
        """The example of `txn`, or None for a repeated transaction_id (the lake is at-least-once)."""
        if txn.key in self._seen:
            return None
        self._seen.add(txn.key)
        profile = self._profiles.get(txn.customer_id)
        base = observe(profile, txn)
        moment = Moment(profile, txn, self._merchants)
        measured = {name: (positions, self._measure(name, variants, moment, by_day))
                    for name, variants, positions, by_day in self._varied}  # fmt: skip
        # The flag only feeds the profile's risk label, which no rule reads: observations do not depend on policy.
        self._profiles[txn.customer_id] = apply_transaction(profile or CustomerProfile.open(txn), txn, flagged=False)
        return Example(base, measured)

    def _measure(
        self, name: str, variants: Variants[Any], moment: Moment, by_day: bool
    ) -> tuple[tuple[Value, ...], ...]:
        if not by_day:
            return tuple(variants.measure(moment, option) for option in variants.options)
        key = (name, moment.txn.merchant_id, utc_day(moment.txn.timestamp))
        found = self._by_day.get(key)
        if found is None:
            summed = moment._replace(merchants=self._day_sums)
            found = self._by_day[key] = tuple(variants.measure(summed, option) for option in variants.options)
            self._day_sums.sums.clear()  # this (merchant, day) is measured for good
        return found


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
