"""The tuner's shortcuts give exactly what the plain definitions give: `Signer` is `signature`, the replay's one
measure per (merchant, day) is the variants' own measure at every option (its running day sums are the feed's
counts), and the search's merged rows give every candidate the patterns `Setting.pattern_of` sums."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from domain.catalogue import catalogue
from domain.merchant_risk import MerchantDay, MerchantRisk, utc_day
from domain.model import Transaction
from domain.observation import Moment
from domain.policy import FraudPolicy
from domain.profile import CustomerProfile, apply_transaction
from domain.tuning import Replay, Search, Setting, Signer, candidate_grid, offsets_of, signature
from domain.tuning_replay import _DaySums
from tests.strategies import START, histories

GRID = candidate_grid(FraudPolicy.default(), (Decimal(150), Decimal(700)))
WIDTH = sum(len(options) for options in GRID.values())
TODAY = utc_day(START)


@st.composite
def merchant_feeds(draw: st.DrawFn) -> MerchantRisk:
    """Some of the strategies' merchants, with transactions and frauds known from various days around the
    histories' days (some before, some after the day they would be used on)."""
    feed = {}
    for merchant in draw(st.sets(st.sampled_from(["m1", "m2", "m3", "m4"]))):
        days = draw(st.sets(st.integers(TODAY - 30, TODAY + 3), max_size=12))
        feed[merchant] = {
            day: MerchantDay(
                draw(st.integers(1, 9)), tuple(sorted(draw(st.lists(st.integers(day, TODAY + 6), max_size=3))))
            )
            for day in days
        }
    return MerchantRisk(feed)


def _in_order(history: list[Transaction]) -> list[Transaction]:
    return sorted(history, key=lambda t: t.timestamp)


@settings(max_examples=60, deadline=None)
@given(histories(), merchant_feeds(), st.sampled_from([1, 2, 5, 1 << 16]))
def test_the_signer_gives_every_example_the_plain_signature(history, merchants, limit):
    replay, signer = Replay(merchants), Signer(GRID, limit=limit)
    examples = [replay.observe(txn) for txn in _in_order(history)]
    # Twice: the second pass reads what the first remembered (unless the limit made it forget).
    for example in examples + examples:
        assert example is not None
        assert signer(example) == signature(GRID, example)


@settings(max_examples=60, deadline=None)
@given(histories(), merchant_feeds())
def test_the_replay_measures_every_option_as_the_variants_do(history, merchants):
    replay, profiles = Replay(merchants), {}
    varied = [spec for spec in catalogue() if spec.variants is not None]
    for txn in _in_order(history):
        example = replay.observe(txn)
        assert example is not None
        moment = Moment(profiles.get(txn.customer_id), txn, merchants)
        for spec in varied:
            fields = spec.variants.fields
            for i, option in enumerate(spec.variants.options):
                measured = dict(zip(fields, spec.variants.measure(moment, option), strict=True))
                assert example.view(spec.name, i) == example.observation._replace(**measured)
                assert example.views[spec.name][i] == example.view(spec.name, i)
        profile = profiles.get(txn.customer_id) or CustomerProfile.open(txn)
        profiles[txn.customer_id] = apply_transaction(profile, txn, flagged=False)


rows = st.lists(
    st.tuples(st.integers(0, (1 << WIDTH) - 1), st.integers(0, 5), st.integers(0, 50)), min_size=1, max_size=60
)
choices = st.tuples(*(st.integers(0, len(options) - 1) for options in GRID.values()))


def _plain_patterns(choice: tuple[int, ...], rows: list[tuple[int, int, int]]) -> dict[int, list[int]]:
    probe, offsets, patterns = Setting(choice, (), Decimal(0)), offsets_of(GRID), {}
    for bits, frauds, legits in rows:
        if frauds or legits:
            entry = patterns.setdefault(probe.pattern_of(offsets, bits), [0, 0])
            entry[0] += frauds
            entry[1] += legits
    return patterns


@settings(max_examples=40, deadline=None)
@given(rows, choices, st.integers(0, len(GRID) - 1))
def test_merged_rows_give_every_candidate_of_a_rule_the_plain_patterns(rows, choice, i):
    search = Search(GRID, rows)
    merged = search._around(choice, i)

    assert search._patterns(choice) == _plain_patterns(choice, rows)
    for index in range(len(list(GRID.values())[i])):
        trial = (*choice[:i], index, *choice[i + 1 :])
        assert search._patterns_at(merged, i, index) == _plain_patterns(trial, rows)


@settings(max_examples=60, deadline=None)
@given(
    merchant_feeds(),
    st.lists(
        st.tuples(
            st.sampled_from(["m1", "m2", "m3", "m4", "m5"]),
            st.integers(TODAY - 5, TODAY + 10),
            st.integers(-1, 20),
            st.integers(-1, 20),
        ),
        max_size=30,
    ),
)
def test_running_day_sums_count_every_window_as_the_feed_does(merchants, asked):
    summed = _DaySums(merchants.merchants)
    for merchant, day, window_days, lag_days in asked:
        assert summed.counts(merchant, day, window_days, lag_days) == merchants.counts(
            merchant, day, window_days, lag_days
        )
