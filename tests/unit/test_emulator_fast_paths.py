"""The emulator's cheap cuts answer exactly as before: moto's backend lookup, the API's enum check."""

import pytest
from jsonschema import Draft4Validator
from moto import backends

from securebank.emulator import moto_patches
from securebank.emulator.schema import _transaction_validator, component_schema


@pytest.fixture(autouse=True)
def _patched_only_here():
    yield
    moto_patches.revert()


def test_moto_lists_its_modules_once_and_the_list_is_the_same():
    listed = list(backends.list_of_moto_modules())
    moto_patches.apply()
    assert list(backends.list_of_moto_modules()) == listed
    assert "dynamodb" in backends.list_of_moto_modules()
    moto_patches.revert()
    assert backends.list_of_moto_modules is moto_patches.originals["list_of_moto_modules"]


BODY = {
    "transaction_id": "t1",
    "customer_id": "c1",
    "amount": "12.34",
    "currency": "USD",
    "merchant_id": "m1",
    "merchant_category": "grocery",
    "timestamp": "2026-01-01T10:00:00Z",
    "location": {"latitude": 1.0, "longitude": 2.0},
}


@pytest.mark.parametrize(
    "change",
    [
        {},
        {"currency": "usd"},
        {"currency": "JPY"},
        {"currency": 840},
        {"currency": ["USD"]},
        {"merchant_category": "Not A Category"},
        {"merchant_category": "GROCERY"},
        {"amount": "12.345", "currency": "BHD"},
        {"amount": "12.345", "currency": "USD"},
    ],
)
def test_the_api_validator_with_set_lookup_for_enums_finds_what_jsonschema_finds(change):
    body = BODY | change
    plain = Draft4Validator(component_schema("Transaction"))
    fast = _transaction_validator()
    assert [(e.message, list(e.absolute_path)) for e in fast.iter_errors(body)] == [
        (e.message, list(e.absolute_path)) for e in plain.iter_errors(body)
    ]
