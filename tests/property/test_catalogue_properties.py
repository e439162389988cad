"""Each catalogue record tells the truth about itself: it reads only the observation fields it declares, and its
variants measure what the scorer observes at the same setting."""

from __future__ import annotations

from datetime import time
from decimal import Decimal
from typing import Any, NoReturn

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.catalogue import catalogue
from domain.merchant_risk import KNOWN, MerchantDay, MerchantRisk, utc_day
from domain.observation import Observation
from domain.policy import FraudPolicy
from domain.profile import CustomerProfile, apply_transaction
from domain.rule_spec import RuleSpec
from domain.rules import Scorer
from domain.tuning import Replay, candidate_grid
from tests.strategies import histories, observations, policies


class Unread:
    """Stands in for a field a rule says it does not read: any use of it fails the test."""

    def _used(self, *_: object) -> NoReturn:
        raise AssertionError("read a field its record does not declare")

    __bool__ = __eq__ = __ne__ = __lt__ = __le__ = __gt__ = __ge__ = __hash__ = _used  # type: ignore[assignment]
    __add__ = __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = __truediv__ = __rtruediv__ = _used
    __mod__ = __rmod__ = __round__ = __float__ = __int__ = __format__ = __str__ = _used


def _verdict(spec: RuleSpec[Any], settings: Any, obs: Observation) -> tuple[object, ...]:
    return (spec.predicate(settings, obs), spec.observed(settings, obs), spec.threshold(settings, obs),
            spec.context(settings, obs))  # fmt: skip


@pytest.mark.parametrize("name", catalogue().names)
@given(policy=policies(), obs=observations)
def test_a_rule_reads_only_the_fields_its_record_declares(name: str, policy, obs: Observation):
    spec, settings = catalogue()[name], policy.rules[name]
    unread: dict[str, Any] = {f: Unread() for f in Observation._fields if f not in spec.reads}

    assert _verdict(spec, settings, obs._replace(**unread)) == _verdict(spec, settings, obs)


@given(histories(), policies(), st.data())
def test_the_replay_sees_at_each_setting_what_the_scorer_sees(history, policy, data):
    """The tuner judges a candidate on the replay's view for its setting (`Example.views`); the scorer observes
    the policy's setting. They must agree, or the learned policy would score differently from how it was chosen."""
    varied = [spec for spec in catalogue() if spec.variants is not None]
    grid = candidate_grid(FraudPolicy.default())
    for spec in varied:  # a setting the tuner may pick, switched on (so that the scorer reads the merchant feed)
        chosen = data.draw(st.sampled_from(grid[spec.name]))
        policy = policy.with_rules(**{spec.name: chosen.at(Decimal("0.5"))})
    merchants = MerchantRisk({"m1": {utc_day(t.timestamp) - 3: MerchantDay(4, (KNOWN, KNOWN)) for t in history}})
    scorer, replay, profiles = Scorer(policy, merchants), Replay(merchants), {}
    for txn in sorted(history, key=lambda t: t.timestamp):
        example = replay.observe(txn)
        assert example is not None
        seen = scorer.score(profiles.get(txn.customer_id), txn).observation
        for spec in varied:
            option = spec.variants.options.index(spec.variants.key(policy.rules[spec.name]))
            view = example.views[spec.name][option]
            assert [getattr(view, f) for f in spec.variants.fields] == [getattr(seen, f) for f in spec.variants.fields]
        profile = profiles.get(txn.customer_id) or CustomerProfile.open(txn)
        profiles[txn.customer_id] = apply_transaction(profile, txn, flagged=False)


def test_the_unread_stand_in_fails_any_use():
    with pytest.raises(AssertionError):
        bool(Unread())
    with pytest.raises(AssertionError):
        time(6) <= Unread()  # noqa: B015
    spec = catalogue()["large_amount"]
    with pytest.raises(AssertionError):
        _verdict(spec, attrs.evolve(spec.parameters(), weight=Decimal(1)), next_observation()._replace(amount=Unread()))


def next_observation() -> Observation:
    return Observation(Decimal("10.00"), "USD", 1, 0, Decimal(0), 0, None, None, time(12), False)
