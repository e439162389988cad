"""ProfileRepository contract: get_many returns exactly the stored profiles of the ids asked for, in memory and on
DynamoDB (one BatchGetItem per 100 keys, UnprocessedKeys retried)."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import attrs
import pytest
from botocore.awsrequest import AWSResponse
from hypothesis import given
from hypothesis import strategies as st

from adapters.dynamodb_profiles import DynamoDbProfileRepository, UnprocessedKeysError
from adapters.dynamodb_transactions import DynamoDbTransactionRepository
from adapters.items import to_attribute_values
from tests.conftest import Resources
from tests.contract.conftest import CUSTOMERS, MOTO_EXAMPLES, Repositories, transaction, update


@MOTO_EXAMPLES
@given(stored=st.sets(st.sampled_from(CUSTOMERS)), asked=st.lists(st.sampled_from([*CUSTOMERS, "nobody"])))
def test_returns_the_stored_profiles_of_the_ids_asked_for(
    make_repositories: Callable[[], Repositories], stored: set[str], asked: list[str]
):
    profiles, transactions = make_repositories()
    changes = {c: update([transaction(c, 0), transaction(c, 1)], 0) for c in sorted(stored)}
    transactions.commit(list(changes.values()))

    assert profiles.get_many(asked) == {c: changes[c].profile for c in asked if c in stored}


def test_reads_more_than_one_call_of_keys(make_repositories: Callable[[], Repositories]):
    profiles, transactions = make_repositories()
    changes = [update([transaction(f"c{i}", 0)], 0) for i in range(120)]
    transactions.commit(changes)

    found = profiles.get_many([f"c{i}" for i in range(130)])

    assert found == {u.profile.customer_id: u.profile for u in changes}


def unprocessed_then_real(session: Any, times: int) -> list[int]:
    """The first `times` BatchGetItem calls return every key unprocessed, as DynamoDB does when throttled."""
    calls: list[int] = []
    keys: list[Any] = []

    def record(params: dict[str, Any], **_: Any) -> None:
        keys.append(params["RequestItems"])

    def hook(**_: Any) -> tuple[AWSResponse, dict[str, Any]] | None:
        calls.append(1)
        if len(calls) > times:
            return None
        return AWSResponse("https://dynamodb", 200, {}, None), {"Responses": {}, "UnprocessedKeys": keys[-1]}

    session.events.register("before-parameter-build.dynamodb.BatchGetItem", record)
    session.events.register("before-call.dynamodb.BatchGetItem", hook)
    return calls


def test_unprocessed_keys_are_retried_with_backoff(make_resources: Callable[[], Resources]):
    resources = make_resources()
    client = resources.client("dynamodb")
    change = update([transaction("ann", 0)], 0)
    DynamoDbTransactionRepository(client, resources.transactions_table, resources.customers_table).commit([change])
    calls = unprocessed_then_real(resources.session, times=2)  # clients made from now on have the hooks
    delays: list[float] = []
    repository = DynamoDbProfileRepository(resources.client("dynamodb"), resources.customers_table, sleep=delays.append)

    found = repository.get_many(["ann"])

    assert found == {"ann": change.profile}
    assert len(calls) == 3
    assert delays == sorted(delays) and len(delays) == 2


def test_keys_never_processed_fail_the_read(make_resources: Callable[[], Resources]):
    resources = make_resources()
    unprocessed_then_real(resources.session, times=99)
    repository = DynamoDbProfileRepository(resources.client("dynamodb"), resources.customers_table,
                                           max_attempts=3, sleep=lambda _: None)  # fmt: skip

    with pytest.raises(UnprocessedKeysError):
        repository.get_many(["ann"])


def test_profile_items_keep_money_as_numbers():
    change = update([transaction("ann", 0, amount="10.10"), transaction("ann", 1, amount="0.20")], 0)
    from adapters.items import profile_to_item

    values = to_attribute_values(profile_to_item(change.profile))

    euros = {"currency": {"S": "EUR"}, "count": {"N": "2"}, "total": {"N": "10.30"}, "minimum": {"N": "0.20"},
             "maximum": {"N": "10.10"}}  # fmt: skip
    assert values["amounts"] == {"L": [{"M": euros}]}
    assert values["version"] == {"N": "2"}


def test_a_profile_written_before_amounts_were_kept_per_currency_reads_back_without_amount_statistics():
    """Its totals may add currencies: they cannot be split, so they are not used."""
    from adapters.items import from_attribute_values, profile_from_item, profile_to_item

    profile = update([transaction("ann", 0, amount="10.10"), transaction("ann", 1, amount="0.20")], 0).profile
    item = profile_to_item(profile)
    del item["amounts"]
    item |= {"amount_total": Decimal("10.30"), "amount_min": Decimal("0.20"), "amount_max": Decimal("10.10")}

    read = profile_from_item(from_attribute_values(to_attribute_values(item)))

    assert read == attrs.evolve(profile, amounts=())
    assert read.total_transactions == 2
