"""The columnar replay decides exactly as the domain engine: decision by decision (its JSON: risk_score to the
exponent, is_fraud, triggered rules, reasons), the same rejections in the same order, the same duplicates and the
same confusion matrix, on generated histories: several customers, transaction ids shared across customers,
duplicates (some written in another offset or another JSON layout), conflicting resubmissions, invalid lines,
out-of-order timestamps, bursts, several currencies, categories and zones; under the specification's policy and
learned rules policies (with and without a merchant feed) and random tree-model policies."""

from __future__ import annotations

import json
from datetime import UTC, datetime, time, timedelta, timezone
from decimal import Decimal
from typing import Any

import attrs
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.serialization import decision_to_dict
from domain.currency import MINOR_UNITS
from domain.ensemble import TreeModel
from domain.labels import Label, Labels
from domain.merchant_risk import NO_MERCHANT_RISK, MerchantDay, MerchantRisk
from domain.model import CustomerId, TransactionId
from domain.policy import (
    AmountRule,
    CategoryRule,
    FraudPolicy,
    LargeAmountRule,
    LocationRule,
    MerchantRiskRule,
    TimeRule,
    TravelSpeedRule,
    VelocityRule,
)
from securebank.lab.backtest import Backtest
from securebank.lab.columnar import ColumnarBacktest
from securebank.lab.unlabelled import CHOICES, score
from tests.model_strategies import tree_models

START = datetime(2026, 3, 1, tzinfo=UTC)
CURRENCIES = ("USD", "JPY", "BHD", "EUR")
ZONES = tuple(timezone(timedelta(minutes=m)) for m in (0, 330, -480, 840, -720, 540, 345))
CATEGORIES = ("grocery", "travel", "fuel", "online_retail", "restaurant")
MERCHANTS = tuple(f"m_{i}" for i in range(6))
GAPS = tuple(timedelta(seconds=s) for s in (0, 1, 30, 300, 3000, 7200, 50_000, 260_000, 0.25) * 3 + (-7200,))
"""Gaps between payments: bursts, hours, days, and now and then a step back in time (out of order)."""
HOMES = ((40.7128, -74.006), (51.5072, -0.1276), (35.6762, 139.6503), (-33.8688, 151.2093))


@st.composite
def bodies(draw: st.DrawFn, customer: str, at: datetime, fresh: str) -> dict[str, Any]:
    currency = draw(st.sampled_from(CURRENCIES[:2]) if draw(st.booleans()) else st.sampled_from(CURRENCIES))
    minor = draw(st.one_of(st.integers(1, 5_000), st.integers(1, 10**9)))
    lat, lon = draw(st.sampled_from(HOMES))
    if draw(st.booleans()):
        lat, lon = round(lat + draw(st.floats(-0.5, 0.5)), 4), round(lon + draw(st.floats(-0.5, 0.5)), 4)
    return {
        "transaction_id": draw(st.sampled_from((fresh,) * 6 + ("t1", "t2"))),  # ids repeat across customers
        "customer_id": customer,
        "amount": minor,
        "currency": currency,
        "merchant_id": draw(st.sampled_from(MERCHANTS)),
        "merchant_category": draw(st.sampled_from(CATEGORIES)),
        "timestamp": at.astimezone(draw(st.sampled_from(ZONES))),
        "location": {"latitude": lat, "longitude": lon},
    }


def render(draw: st.DrawFn, body: dict[str, Any]) -> str:
    """The body as a producer may write it: compact or spaced, the amount as a string or a number (sometimes with
    a trailing zero), the timestamp with or without a fraction, sometimes in another offset (the same instant)."""
    units = MINOR_UNITS[body["currency"]]
    amount = str(Decimal(body["amount"]).scaleb(-units)) + (draw(st.sampled_from(("", "", "0"))) if units else "")
    at: datetime = body["timestamp"]
    if draw(st.integers(0, 5)) == 0:
        at = at.astimezone(draw(st.sampled_from(ZONES)))
    stamp = at.isoformat(timespec=draw(st.sampled_from(("seconds", "milliseconds", "microseconds", "auto"))))
    out = {**body, "amount": Decimal(amount) if draw(st.booleans()) else amount,
           "timestamp": stamp.replace("+00:00", "Z") if draw(st.booleans()) else stamp}  # fmt: skip
    spaced = draw(st.integers(0, 4)) == 0
    text = json.dumps(out, default=str, separators=(", ", ": ") if spaced else (",", ":"))
    if isinstance(out["amount"], Decimal):
        text = text.replace(f'"amount":"{amount}"', f'"amount":{amount}').replace(
            f'"amount": "{amount}"', f'"amount": {amount}'
        )
    return text


BAD = (
    "not json", "{}", '{"transaction_id": "t1"}', "[1, 2]", "\udcff",
    '{"transaction_id":"t1","customer_id":"c1","amount":"1.234","currency":"USD","merchant_id":"m_0",'
    '"merchant_category":"fuel","timestamp":"2026-03-01T10:00:00Z","location":{"latitude":1.5,"longitude":2.5}}',
    '{"transaction_id":"t1","customer_id":"c1","amount":"-5","currency":"USD","merchant_id":"m_0",'
    '"merchant_category":"fuel","timestamp":"2026-03-01T10:00:00Z","location":{"latitude":1.5,"longitude":2.5}}',
    '{"transaction_id":"t1","transaction_id":"t2","customer_id":"c1","amount":"5","currency":"USD",'
    '"merchant_id":"m_0","merchant_category":"fuel","timestamp":"2026-03-01T10:00:00Z",'
    '"location":{"latitude":1.5,"longitude":2.5}}',
    '{"transaction_id":"t9","customer_id":"c1","amount":"5","currency":"USD","merchant_id":"m_0",'
    '"merchant_category":"fuel","timestamp":"2026-02-30T10:00:00Z","location":{"latitude":1.5,"longitude":2.5}}',
    '{"transaction_id":"t9","customer_id":"c1","amount":"5","currency":"USD","merchant_id":"m_0",'
    '"merchant_category":"fuel","timestamp":"2026-03-01T10:00:00","location":{"latitude":1.5,"longitude":2.5}}',
    '{"transaction_id":"t9","customer_id":"c1","amount":"5","currency":"USD","merchant_id":"m_0",'
    '"merchant_category":"fuel","timestamp":"2026-03-01T10:00:00Z","location":{"latitude":91.5,"longitude":2.5}}',
)  # fmt: skip


@st.composite
def histories(draw: st.DrawFn) -> list[tuple[int, str]]:
    customers = draw(st.lists(st.sampled_from(("c1", "c2", "c3", "c4")), min_size=1, max_size=4, unique=True))
    at = START + timedelta(seconds=draw(st.integers(0, 86_400)))
    gaps = GAPS if draw(st.integers(0, 3)) == 0 else tuple(g for g in GAPS if g >= timedelta(0))
    written: list[dict[str, Any]] = []
    lines: list[str] = []
    for _ in range(draw(st.integers(1, 80))):
        kind = draw(st.sampled_from(("new",) * 16 + ("repeat", "conflict", "bad")))
        if kind == "bad":
            lines.append(draw(st.sampled_from(BAD)))
            continue
        if kind != "new" and written:
            body = draw(st.sampled_from(written))
            if kind == "conflict":
                body = {**body, "amount": body["amount"] + 1}
        else:
            at += draw(st.sampled_from(gaps))
            body = draw(bodies(draw(st.sampled_from(customers)), at, f"t{len(lines)}"))
            written.append(body)
        lines.append(render(draw, body))
    return [(number, text + "\n") for number, text in enumerate(lines, start=1)]


def decimals(*values: str) -> st.SearchStrategy[Decimal]:
    return st.sampled_from([Decimal(v) for v in values])


@st.composite
def rules_policies(draw: st.DrawFn) -> FraudPolicy:
    """A learned rules policy: every rule family, any weights, parameters from the tuner's ranges and beyond."""
    weight = decimals("0", "0.1", "0.15", "0.25", "0.3", "0.35", "0.4", "0.45")
    start, end = draw(st.sampled_from(((6, 22), (7, 21), (9, 18), (5, 23))))
    window = draw(st.sampled_from((60, 3600, 21_600, 86_400, 90_000)))
    return FraudPolicy(
        version=draw(st.integers(1, 9)),
        threshold=draw(decimals("0.2", "0.3", "0.45", "0.5", "0.8")),
        velocity_check=VelocityRule(draw(weight), window, draw(st.integers(1, 6))),
        amount_anomaly=AmountRule(draw(weight), draw(st.integers(1, 4)), draw(decimals("1.5", "2", "0.75", "2.125"))),
        location_anomaly=LocationRule(draw(weight), draw(decimals("25", "100.5", "500"))),
        time_anomaly=TimeRule(draw(weight), time(start), time(end)),
        impossible_travel=TravelSpeedRule(draw(weight), draw(decimals("60", "600.5")),
                                          draw(decimals("0", "20", "100"))),
        category_deviation=CategoryRule(draw(weight), draw(st.integers(1, 5))),
        large_amount=LargeAmountRule(draw(weight), draw(decimals("100", "250.5", "1000")),
                                     draw(st.sampled_from(CURRENCIES))),
        merchant_risk=MerchantRiskRule(draw(weight), draw(st.integers(1, 7)), draw(st.integers(0, 7)),
                                       draw(st.integers(1, 3)), draw(decimals("0", "0.5", "0.25"))),
    )  # fmt: skip


@st.composite
def merchant_feeds(draw: st.DrawFn) -> MerchantRisk:
    if draw(st.booleans()):
        return NO_MERCHANT_RISK
    first = START.toordinal() - 20
    days = st.dictionaries(
        st.integers(first, first + 25),
        st.builds(MerchantDay, st.integers(1, 9), st.lists(st.integers(first, first + 30), max_size=3).map(tuple)),
        max_size=6,
    )
    return MerchantRisk(draw(st.dictionaries(st.sampled_from(MERCHANTS), days, max_size=4)))


def assert_same_replay(lines: list[tuple[int, str]], policy: FraudPolicy, merchants: MerchantRisk) -> None:
    domain = Backtest(policy, merchants).run(lines)
    columnar = ColumnarBacktest(policy, merchants).run(lines)
    expected = [(s.transaction.customer_id, s.transaction.transaction_id, decision_to_dict(s.decision),
                 s.decision.risk_score.as_tuple()) for s in domain.decisions]  # fmt: skip
    got = [(c, t, decision_to_dict(d), d.risk_score.as_tuple()) for c, t, d in columnar.decisions()]
    assert got == expected
    assert columnar.rejections == domain.rejections
    assert columnar.duplicates == domain.duplicates
    assert (columnar.transactions, columnar.flagged) == (len(domain.decisions), domain.flagged)
    labels = Labels()
    for number, scored in enumerate(domain.decisions):
        txn = scored.transaction
        labels.add(TransactionId(txn.transaction_id), CustomerId(txn.customer_id), Label(number % 3 == 0))
    assert columnar.confusion(labels) == domain.confusion(labels)
    assert_same_scoring(columnar, domain)


def assert_same_scoring(columnar: ColumnarBacktest, domain: Backtest) -> None:
    """`backtest --labels F [--unlabelled legitimate] [--score-from T]` scores the same on both engines: a labels
    file of frauds only (every third decision), the others skipped or counted legitimate, scored from the middle
    decision's instant (in another offset; that decision included) or from the start."""
    frauds = Labels()
    for scored in domain.decisions[::3]:
        frauds.add(TransactionId(scored.transaction.transaction_id), CustomerId(scored.transaction.customer_id),
                   Label(True))  # fmt: skip
    middle = domain.decisions[len(domain.decisions) // 2].transaction.timestamp if domain.decisions else START
    for since in (None, middle.astimezone(ZONES[3])):
        for unlabelled in CHOICES:
            expected = score(domain.verdicts(since), frauds, unlabelled)
            assert score(columnar.verdicts(since), frauds, unlabelled) == expected
            assert expected.labelled + expected.unlabelled + expected.before_score_from == len(domain.decisions)


NO_RULES = {name: attrs.evolve(FraudPolicy.default().rules[name], weight=Decimal(0))
            for name in ("velocity_check", "amount_anomaly", "location_anomaly", "time_anomaly")}  # fmt: skip
FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(histories())
def test_columnar_replay_equals_the_domain_under_the_specifications_policy(lines: list[tuple[int, str]]) -> None:
    assert_same_replay(lines, FraudPolicy.default(), NO_MERCHANT_RISK)


@FAST
@given(histories(), rules_policies(), merchant_feeds())
def test_columnar_replay_equals_the_domain_under_learned_rules(
    lines: list[tuple[int, str]], policy: FraudPolicy, merchants: MerchantRisk
) -> None:
    assert_same_replay(lines, policy, merchants)


@FAST
@given(histories(), tree_models(max_trees=4), st.booleans())
def test_columnar_replay_equals_the_domain_under_a_model_policy(
    lines: list[tuple[int, str]], model: TreeModel, with_rules: bool
) -> None:
    """A policy with a tree model reads every signal: the columns compute them, and the customers whose profile
    forgets what they read (out of order, more currencies than the day totals keep...) go to the domain engine."""
    rules = FraudPolicy.default() if with_rules else FraudPolicy.default().with_rules(**NO_RULES)
    assert_same_replay(lines, attrs.evolve(rules, threshold=Decimal("0.3"), model=model), NO_MERCHANT_RISK)


SIGNAL_GAPS = tuple(timedelta(seconds=s) for s in (0, 1, 40, 700, 2400, 3600, 3601, 20_000, 86_400, 90_000, 300_000))
"""Bursts (more than RECENT_LIMIT payments in 24 h when the short gaps repeat), hours, and days apart."""


@st.composite
def signal_histories(draw: st.DrawFn) -> list[tuple[int, str]]:
    """Histories in time order (the columns follow them): night runs, category histories, high amounts, more
    merchants, (category, currency) pairs and (day, currency) totals than the profile keeps now and then, and a
    burst that overflows its recent window."""
    mode = draw(st.sampled_from(("mixed", "mixed", "burst", "daily")))
    few = mode != "mixed"  # a burst or three currencies a day: one customer, enough payments to pass a bound
    customers = ["c1"] if few else draw(st.lists(st.sampled_from(("c1", "c2", "c3")), min_size=1, max_size=3,
                                                 unique=True))  # fmt: skip
    categories = [f"k{i}" for i in range(draw(st.sampled_from((2, 5, 12, 20))))]
    merchants = [f"m_{i}" for i in range(draw(st.sampled_from((3, 9, 14))))]
    currencies = CURRENCIES[: 3 if mode == "daily" else draw(st.sampled_from((1, 1, 2, 3)))]
    gaps = st.sampled_from({"burst": SIGNAL_GAPS[:3], "daily": (timedelta(hours=7),) * 3 + SIGNAL_GAPS[:3],
                            "mixed": SIGNAL_GAPS}[mode])  # fmt: skip
    at = START + timedelta(seconds=draw(st.integers(0, 86_400)))
    zone = draw(st.sampled_from(ZONES))
    lines: list[str] = []
    for n in range(draw(st.integers(60 if few else 1, 120))):
        at += draw(gaps)
        if draw(st.integers(0, 30)) == 0:
            lines.append(draw(st.sampled_from(BAD)))
            continue
        currency = draw(st.sampled_from(currencies))
        body = {"transaction_id": f"t{n}", "customer_id": draw(st.sampled_from(customers)),
                "amount": draw(st.sampled_from((100, 120, 150, 900, 5_000, 40_000))) * 10 ** MINOR_UNITS[currency],
                "currency": currency, "merchant_id": draw(st.sampled_from(merchants)),
                "merchant_category": draw(st.sampled_from(categories)), "timestamp": at.astimezone(zone),
                "location": {"latitude": 40.7128, "longitude": -74.006}}  # fmt: skip
        lines.append(render(draw, body))
    return [(number, text + "\n") for number, text in enumerate(lines, start=1)]


@FAST
@given(signal_histories(), tree_models(max_trees=4), st.booleans(), merchant_feeds())
def test_columnar_signals_and_model_scores_equal_the_domains(
    lines: list[tuple[int, str]], model: TreeModel, with_rules: bool, merchants: MerchantRisk
) -> None:
    rules = FraudPolicy.default() if with_rules else FraudPolicy.default().with_rules(**NO_RULES)
    assert_same_replay(lines, attrs.evolve(rules, threshold=Decimal("0.3"), model=model), merchants)


def _with_mixed_exponents(model: TreeModel) -> TreeModel:
    """The model with its node values rounded to 0 to 3 places by node (0.123456 -> 0.1, 0.12, 0.123): the leaves of
    a tree then differ in exponent, and so does the exponent of each row's risk score."""
    trees = tuple(
        attrs.evolve(tree, value=tuple(v.quantize(Decimal(1).scaleb(-(n % 4))) for n, v in enumerate(tree.value)))
        for tree in model.trees
    )
    return attrs.evolve(model, base=model.base.quantize(Decimal("0.1")), trees=trees)


@FAST
@given(signal_histories(), tree_models(max_trees=4), st.booleans())
def test_columnar_scores_keep_the_domains_exponent_when_leaves_differ_in_exponent(
    lines: list[tuple[int, str]], model: TreeModel, with_rules: bool
) -> None:
    rules = FraudPolicy.default() if with_rules else FraudPolicy.default().with_rules(**NO_RULES)
    policy = attrs.evolve(rules, threshold=Decimal("0.3"), model=_with_mixed_exponents(model))
    assert_same_replay(lines, policy, NO_MERCHANT_RISK)
