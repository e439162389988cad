"""TransactionRepository contract: in memory and on DynamoDB (moto), commits are per-customer atomic, exactly once
per identity (customer_id, transaction_id), guarded by the profile version, and both implementations give the same
answers."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import attrs
import pytest
from botocore.awsrequest import AWSResponse
from botocore.exceptions import ClientError
from hypothesis import given
from hypothesis import strategies as st

from adapters.dynamodb_profiles import DynamoDbProfileRepository
from adapters.dynamodb_transactions import DynamoDbTransactionRepository
from adapters.items import (
    from_attribute_values,
    profile_from_item,
    profile_to_item,
    scored_from_item,
    scored_to_item,
    to_attribute_values,
)
from adapters.serialization import converter as json_converter
from adapters.serialization import parse_transaction
from adapters.stored_decisions import as_stored
from contracts.aws import TRANSACT_WRITE_MAX_ACTIONS
from domain.currency import QUANTUM
from domain.model import MAX_AMOUNT, Location, Transaction
from domain.policy import (
    AmountRule,
    CategoryRule,
    FraudPolicy,
    LargeAmountRule,
    LocationRule,
    MerchantRiskRule,
    TimeRule,
    VelocityRule,
)
from domain.ports import CommitResult, CustomerUpdate, ScoredTransaction
from domain.rules import Scorer
from securebank.measure.aws_calls import attribute_size, item_size
from tests.conftest import Resources
from tests.contract.conftest import (
    CUSTOMERS,
    MOTO_EXAMPLES,
    Repositories,
    customer_updates,
    transaction,
    update,
    version_of,
)
from tests.strategies import policies, transactions


def get(repository: Any, transaction_id: str) -> ScoredTransaction | None:
    """The transaction of this id; in these tests an id starts with its customer's name (`ann-t0`)."""
    key = (transaction_id.split("-")[0], transaction_id)
    return repository.get_many([key]).get(key)


def test_commits_an_update_whole_and_reads_each_transaction_back(make_repositories: Callable[[], Repositories]):
    profiles, transactions = make_repositories()
    txns = [transaction("ann", 0), transaction("ann", 1)]
    change = update(txns, 0)

    assert transactions.commit([change]) == CommitResult()

    assert [get(transactions, t.transaction_id) for t in txns] == [as_stored(s) for s in change.transactions]
    assert profiles.get_many(["ann"]) == {"ann": change.profile}
    assert get(transactions, "ann-t9") is None


def test_a_redelivered_transaction_is_a_duplicate_and_nothing_of_its_update_is_written(
    make_repositories: Callable[[], Repositories],
):
    profiles, transactions = make_repositories()
    first = update([transaction("ann", 0)], 0)
    transactions.commit([first])

    again = update([transaction("ann", 0), transaction("ann", 1)], 1)
    result = transactions.commit([again])

    assert result == CommitResult(duplicates={"ann": frozenset({"ann-t0"})})
    assert get(transactions, "ann-t1") is None
    assert profiles.get_many(["ann"]) == {"ann": first.profile}


def test_the_same_id_under_two_customers_is_two_transactions(make_repositories: Callable[[], Repositories]):
    _, transactions = make_repositories()
    ann, ben = transaction("ann", 0), attrs.evolve(transaction("ben", 0), transaction_id="ann-t0")

    assert transactions.commit([update([ann], 0), update([ben], 0)]) == CommitResult()

    found = transactions.get_many([("ann", "ann-t0"), ("ben", "ann-t0"), ("cat", "ann-t0")])
    assert {k: v.transaction for k, v in found.items()} == {("ann", "ann-t0"): ann, ("ben", "ann-t0"): ben}
    assert sorted(s.transaction.customer_id for s in transactions.find("ann-t0")) == ["ann", "ben"]
    assert [s.transaction for s in transactions.find("ann-t0", limit=1)] in ([ann], [ben])
    assert transactions.find("nobody") == []


def test_a_stale_profile_version_fails_only_that_customer(make_repositories: Callable[[], Repositories]):
    profiles, transactions = make_repositories()
    transactions.commit([update([transaction("ann", 0)], 0)])

    result = transactions.commit([update([transaction("ann", 1)], 0), update([transaction("ben", 0)], 0)])

    assert result == CommitResult(failed={"ann": "profile version conflict"})
    assert get(transactions, "ann-t1") is None
    assert get(transactions, "ben-t0") is not None


def test_more_updates_than_one_call_holds_are_all_written(make_repositories: Callable[[], Repositories]):
    profiles, transactions = make_repositories()
    changes = [update([transaction(f"c{i}", 0)], 0) for i in range(60)]  # 120 actions

    assert transactions.commit(changes) == CommitResult()

    assert len(profiles.get_many([f"c{i}" for i in range(60)])) == 60


@MOTO_EXAMPLES
@given(data=st.data())
def test_memory_and_dynamodb_agree_on_any_sequence_of_commits(make_repositories: Callable[[], Repositories], data):
    from adapters.memory import InMemoryProfileRepository, InMemoryTransactionRepository

    model_profiles = InMemoryProfileRepository()
    model = InMemoryTransactionRepository(model_profiles)
    profiles, transactions = make_repositories()

    for _ in range(data.draw(st.integers(1, 4), label="commits")):
        updates = data.draw(customer_updates(version_of(model_profiles)), label="updates")
        assert transactions.commit(updates) == model.commit(updates)

    ids = [f"{c}-t{n}" for c in CUSTOMERS for n in range(6)]
    assert [get(transactions, i) for i in ids] == [get(model, i) for i in ids]
    assert profiles.get_many(CUSTOMERS) == model_profiles.get_many(CUSTOMERS)


# --- DynamoDB only: what AWS can do that memory cannot (throttling, cancellation reasons, the 100-action limit) ---


def inject(session: Any, operation: str, *errors: dict[str, Any]) -> list[dict[str, Any]]:
    """Answer the next calls of `operation` with these error responses (botocore before-call hook); record params."""
    calls: list[dict[str, Any]] = []
    pending = list(errors)

    def record(params: dict[str, Any], **_: Any) -> None:
        calls.append(params)

    def hook(**_: Any) -> tuple[AWSResponse, dict[str, Any]] | None:
        if not pending:
            return None
        return AWSResponse("https://dynamodb", 400, {}, None), {**pending.pop(0), "ResponseMetadata": {}}

    session.events.register(f"before-parameter-build.dynamodb.{operation}", record)
    session.events.register(f"before-call.dynamodb.{operation}", hook)
    return calls


def dynamodb_repositories(resources: Resources) -> tuple[DynamoDbProfileRepository, DynamoDbTransactionRepository]:
    client = resources.client("dynamodb")
    return (
        DynamoDbProfileRepository(client, resources.customers_table),
        DynamoDbTransactionRepository(client, resources.transactions_table, resources.customers_table),
    )


def test_a_throttled_call_fails_its_customers_and_writes_none_of_them(make_resources: Callable[[], Resources]):
    resources = make_resources()
    calls = inject(resources.session, "TransactWriteItems",
                   {"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "slow down"}})  # fmt: skip
    profiles, transactions = dynamodb_repositories(resources)
    changes = [update([transaction(f"c{i}", 0)], 0) for i in range(60)]  # two calls: c0..c49, then c50..c59

    result = transactions.commit(changes)

    assert len(calls) == 2
    assert result == CommitResult(failed=dict.fromkeys((f"c{i}" for i in range(50)),
                                                       "ProvisionedThroughputExceededException"))  # fmt: skip
    assert sorted(profiles.get_many([f"c{i}" for i in range(60)])) == sorted(f"c{i}" for i in range(50, 60))


def test_a_cancellation_fails_the_customer_it_names_and_retries_the_others(make_resources: Callable[[], Resources]):
    resources = make_resources()
    reasons = [{"Code": "None"}, {"Code": "None"}, {"Code": "None"}, {"Code": "TransactionConflict"}]
    calls = inject(resources.session, "TransactWriteItems",
                   {"Error": {"Code": "TransactionCanceledException", "Message": "cancelled"},
                    "CancellationReasons": reasons})  # fmt: skip
    profiles, transactions = dynamodb_repositories(resources)

    result = transactions.commit([update([transaction("ann", 0)], 0), update([transaction("ben", 0)], 0)])

    assert result == CommitResult(failed={"ben": "transaction cancelled: TransactionConflict"})
    assert len(calls) == 2
    assert len(calls[1]["TransactItems"]) == 2  # only ann's two actions were sent again
    assert list(profiles.get_many(["ann", "ben"])) == ["ann"]


def test_an_unexpected_error_is_raised_not_reported(make_resources: Callable[[], Resources]):
    resources = make_resources()
    inject(resources.session, "TransactWriteItems", {"Error": {"Code": "ValidationException", "Message": "bad"}})
    _, transactions = dynamodb_repositories(resources)

    with pytest.raises(ClientError, match="ValidationException"):
        transactions.commit([update([transaction("ann", 0)], 0)])


def test_an_update_too_large_for_one_atomic_call_is_refused_whole(make_resources: Callable[[], Resources]):
    resources = make_resources()
    profiles, transactions = dynamodb_repositories(resources)
    txns = [transaction("ann", n % 6, minute=n // 6) for n in range(TRANSACT_WRITE_MAX_ACTIONS)]
    txns = [attrs.evolve(t, transaction_id=f"ann-{i}") for i, t in enumerate(txns)]

    result = transactions.commit([update(txns, 0), update([transaction("ben", 0)], 0)])

    assert list(result.failed) == ["ann"] and not result.duplicates
    assert list(profiles.get_many(["ann", "ben"])) == ["ben"]


def test_money_and_scores_are_stored_as_dynamodb_numbers(make_resources: Callable[[], Resources]):
    resources = make_resources()
    _, transactions = dynamodb_repositories(resources)
    transactions.commit([update([transaction("ann", 0, amount="1234.50")], 0)])

    (item,) = resources.client("dynamodb").scan(TableName=resources.transactions_table)["Items"]

    assert "N" in item["amount"] and item["amount"]["N"] in ("1234.50", "1234.5")
    assert "N" in item["risk_score"]
    assert (item["customer_id"], item["transaction_id"]) == ({"S": "ann"}, {"S": "ann-t0"})  # the table key


def test_a_batch_of_at_most_100_transactions_takes_at_most_two_calls(make_resources: Callable[[], Resources]):
    resources = make_resources()
    calls = inject(resources.session, "TransactWriteItems")
    profiles, transactions = dynamodb_repositories(resources)
    # 199 actions; packed in input order, the two-transaction customer at position 49 would need a third call
    changes = [update([transaction(f"c{i}", 0)], 0) for i in range(49)]
    changes += [update([transaction("pair", 0), transaction("pair", 1)], 0)]
    changes += [update([transaction(f"d{i}", 0)], 0) for i in range(49)]

    assert transactions.commit(changes) == CommitResult()

    assert len(calls) == 2
    assert len(profiles.get_many([u.profile.customer_id for u in changes])) == 99


@st.composite
def scored_histories(draw: st.DrawFn) -> CustomerUpdate:
    """One customer's transactions with any amount, place and instant (microseconds, offsets), scored in order."""
    count = draw(st.integers(1, 4))
    txns = []
    for n in range(count):
        currency = draw(st.sampled_from(["JPY", "USD", "BHD"]))
        units = draw(st.integers(1, int(MAX_AMOUNT / QUANTUM[currency])))  # any amount in the currency's minor units
        zones = st.sampled_from([UTC, timezone(timedelta(hours=-5, minutes=-30))])
        when = draw(st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2030, 1, 1), timezones=zones))
        txns.append(parse_transaction({
            "transaction_id": f"p-{n}", "customer_id": "prop", "amount": str(units * QUANTUM[currency]),
            "currency": currency, "merchant_id": f"m{n}", "merchant_category": draw(st.sampled_from(["a", "b_c"])),
            "timestamp": when.isoformat(),
            "location": {"latitude": draw(st.floats(-90, 90)), "longitude": draw(st.floats(-180, 180))},
        }))  # fmt: skip
    return update(txns, 0)


@given(change=scored_histories())
def test_the_item_mapping_round_trips_any_scored_transaction_and_profile(change: CustomerUpdate):
    for scored in change.transactions:
        values = to_attribute_values(scored_to_item(scored))
        assert scored_from_item(from_attribute_values(values)) == as_stored(scored)
    values = to_attribute_values(profile_to_item(change.profile))
    assert profile_from_item(from_attribute_values(values)) == change.profile


def test_coordinates_dynamodb_numbers_cannot_hold_are_stored_exactly(make_repositories: Callable[[], Repositories]):
    _, transactions = make_repositories()
    tiny = attrs.evolve(transaction("ann", 0), location=Location(1e-300, -5e-324))
    change = update([tiny], 0)

    assert transactions.commit([change]) == CommitResult()

    assert get(transactions, tiny.transaction_id) == as_stored(change.transactions[0])


def _dynamodb_size(value: Any) -> int:
    """Bytes DynamoDB counts for a value, by the one size model (securebank/measure/aws_calls.py)."""
    return attribute_size(to_attribute_values({"value": value})["value"])


@given(policy=policies(), txn=transactions())
def test_a_decision_stores_its_policy_as_changes_from_the_default_and_reads_back_whole(
    policy: FraudPolicy, txn: Transaction
):
    scored = ScoredTransaction(txn, Scorer(policy).score(None, txn), datetime(2025, 1, 1, tzinfo=UTC))

    item = scored_to_item(scored)

    assert scored_from_item(from_attribute_values(to_attribute_values(item))) == as_stored(scored)
    assert _dynamodb_size(item["policy"]) <= _dynamodb_size(json_converter.unstructure(policy))
    assert scored_to_item(attrs.evolve(scored, decision=Scorer(FraudPolicy.default()).score(None, txn)))["policy"] == {}


def test_a_transaction_under_a_learned_policy_fits_one_write_unit():
    """Items above 1 KB cost two write units on the table and on each index that projects them. Every rule of this
    learned policy differs from the default (the worst case for the stored changes); the transaction triggers none,
    as almost all do. (A flagged one also stores its reasons, and with three long ones may take two.)"""
    rules = {
        "velocity_check": VelocityRule(Decimal("0.2"), 21600, 6),
        "amount_anomaly": AmountRule(Decimal("0.2"), 10, Decimal("2.5")),
        "location_anomaly": LocationRule(Decimal("0.1"), Decimal("300")),
        "time_anomaly": TimeRule(Decimal("0.1")),
        "category_deviation": CategoryRule(Decimal("0.1"), 3),
        "large_amount": LargeAmountRule(Decimal("0.2"), Decimal("2000")),
        "merchant_risk": MerchantRiskRule(Decimal("0.2"), 5, 7, 2, Decimal("0.7")),
    }
    learned = FraudPolicy(version=12, threshold=Decimal("0.15"), **rules)  # type: ignore[arg-type]
    txn = parse_transaction({
        "transaction_id": "tx_1234567890", "customer_id": "customer_12345", "amount": "1234.56", "currency": "BRL",
        "merchant_id": "terminal_12345", "merchant_category": "card_not_present", "timestamp": "2025-04-01T13:59:05Z",
        "location": {"latitude": -22.906847, "longitude": -43.172897},
    })  # fmt: skip
    decision = Scorer(learned).score(None, txn)
    assert decision.triggered_rules == ()

    item = scored_to_item(ScoredTransaction(txn, decision, datetime(2025, 4, 2, tzinfo=UTC)))

    assert item_size(to_attribute_values(item)) <= 1024


def test_an_item_written_before_policies_were_stored_as_changes_reads_back():
    """Items of session 1 hold the whole policy map, without large_amount's currency, and no merchant fields,
    currency or history_count in the observation."""
    txn = parse_transaction({
        "transaction_id": "old-1", "customer_id": "c1", "amount": "25.00", "currency": "USD", "merchant_id": "m1",
        "merchant_category": "grocery", "timestamp": "2024-03-01T12:00:00Z",
        "location": {"latitude": 40.7, "longitude": -74.0},
    })  # fmt: skip
    policy = attrs.evolve(FraudPolicy.default(), version=3, threshold=Decimal("0.5"))
    scored = ScoredTransaction(txn, Scorer(policy).score(None, txn), datetime(2024, 3, 2, tzinfo=UTC))
    item = scored_to_item(scored)
    whole = json_converter.unstructure(policy)
    del whole["merchant_risk"]  # the rule did not exist yet
    del whole["large_amount"]["currency"]
    item["policy"] = {k: {n: Decimal(v) if n == "weight" else v for n, v in r.items()} if isinstance(r, dict) else r
                      for k, r in whole.items()} | {"threshold": Decimal("0.5"), "version": 3}  # fmt: skip
    for field in ("merchant_frauds", "merchant_transactions", "currency", "history_count"):
        del item["observation"][field]

    assert scored_from_item(from_attribute_values(to_attribute_values(item))) == as_stored(scored)


def test_an_observation_stored_before_amounts_were_per_currency_reads_its_counts_as_they_were_meant():
    """Before currencies, an observation's prior_count counted every earlier transaction (what history_count is)
    and its prior_total added them whatever their currency."""
    change = update([transaction("ann", n) for n in range(4)], 0)
    scored = change.transactions[-1]
    item = scored_to_item(scored)
    del item["observation"]["currency"], item["observation"]["history_count"]

    read = scored_from_item(from_attribute_values(to_attribute_values(item))).decision.observation

    assert (read.currency, read.history_count, read.prior_count) == ("EUR", 3, 3)
    assert read == as_stored(scored).decision.observation
