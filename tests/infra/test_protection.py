"""Stateful resources (KMS keys, the tables, the lake bucket) are Pulumi-`protect`ed in prod and not in dev.

`protect` is a resource option, not an input, so `plan --json` cannot show it: these tests read the options each
registration sent to the mock monitor (tests/infra/options.py), from the same program run as `plan`.
"""

from __future__ import annotations

from components.security import DOMAINS, MULTI_REGION_DOMAINS
from tests.infra.conftest import stack_config

Options = dict[str, dict[str, bool]]
STORAGE = {"aws:dynamodb/table:Table::storage-transactions", "aws:dynamodb/table:Table::storage-customers"} | {
    "aws:s3/bucket:Bucket::storage-lake"
}
KEYS = {f"aws:kms/key:Key::security-{domain}" for domain in DOMAINS}
PROD_REPLICA_KEYS = {f"aws:kms/replicaKey:ReplicaKey::security-{domain}-replica" for domain in MULTI_REGION_DOMAINS}


def _protected(options: Options) -> set[str]:
    return {urn for urn, option in options.items() if option["protect"]}


def test_config_protects_prod_and_not_dev() -> None:
    assert stack_config("prod")["deletionProtection"] is True
    assert stack_config("dev")["deletionProtection"] is False


def test_prod_protects_exactly_the_keys_tables_and_lake_bucket(resource_options: dict[str, Options]) -> None:
    prod = resource_options["prod"]
    assert set(prod) >= STORAGE | KEYS | PROD_REPLICA_KEYS  # every name above is a registered resource
    assert _protected(prod) == STORAGE | KEYS | PROD_REPLICA_KEYS
    # Deliberately not retained on delete: a deliberate unprotect-and-delete deletes (see components.common).
    assert not any(option["retainOnDelete"] for option in prod.values())


def test_dev_tables_and_lake_bucket_are_not_protected(resource_options: dict[str, Options]) -> None:
    dev = resource_options["dev"]
    assert set(dev) >= STORAGE
    assert not _protected(dev) & STORAGE
    assert not any(option["retainOnDelete"] for option in dev.values())


def test_dev_protects_nothing(resource_options: dict[str, Options]) -> None:
    dev = resource_options["dev"]
    assert set(dev) >= KEYS
    assert _protected(dev) == set()
