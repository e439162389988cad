"""Stack config: both YAML files load into a frozen StackConfig; unknown or invalid keys fail fast."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from components.config import KEYS, OPTIONAL_KEYS
from securebank.infra.mocks import stack_config as engine_config
from tests.infra.conftest import ROOT, stack_config

LOAD = """
import json, sys
import pulumi
from pulumi.runtime import config as runtime_config
config, secret_keys, stack = json.loads(sys.argv[1])
runtime_config.set_all_config(config, secret_keys)
from components.config import StackConfig
loaded = StackConfig.load(pulumi.Config("securebank"), stack)
print(json.dumps({"shard_count": loaded.shard_count, "nat": loaded.nat_gateway,
                  "budgets": list(loaded.budget_thresholds_usd),
                  "alarm_email_is_output": isinstance(loaded.alarm_email, pulumi.Output),
                  "region": loaded.region, "replication": loaded.replication}))
"""


def _load(
    config: dict[str, str], secret_keys: list[str] | None = None, stack: str = "test"
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", LOAD, json.dumps([config, secret_keys or [], stack])],
        check=False,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize("stack", ["dev", "prod", "dr-prod"])
def test_every_stack_sets_every_key_and_nothing_else(stack: str) -> None:
    assert set(KEYS) - OPTIONAL_KEYS <= set(stack_config(stack)) <= set(KEYS)


def test_prod_names_its_custom_domain_and_dev_may_not() -> None:
    assert {"domainName", "certificateArn"} <= set(stack_config("prod"))
    assert stack_config("prod")["billingAlarms"] is True and stack_config("dev")["billingAlarms"] is False


def test_dev_is_cheap_and_prod_follows_the_seed() -> None:
    dev, prod = stack_config("dev"), stack_config("prod")
    assert (dev["shardMode"], dev["shardCount"], dev["natGateway"], dev["replication"]) == (
        "PROVISIONED",
        2,
        False,
        False,
    )
    assert prod["shardMode"] == "ON_DEMAND" or prod["shardCount"] >= 4
    assert (prod["processorConcurrency"], prod["replication"], prod["deletionProtection"]) == (1000, True, True)
    assert dev["budgetThresholdsUsd"] == prod["budgetThresholdsUsd"] == [500, 1000, 2000]


def test_stack_yaml_loads_into_typed_values() -> None:
    config, secrets = engine_config("prod")
    result = _load(config, secrets)
    assert result.returncode == 0, result.stderr
    loaded = json.loads(result.stdout)
    assert loaded["shard_count"] == 4 and loaded["nat"] is False and loaded["replication"] is True
    assert loaded["budgets"] == [500, 1000, 2000] and loaded["region"] == "us-east-1"
    assert loaded["alarm_email_is_output"] is True  # require_secret: the plaintext never reaches a plain str


def test_an_unknown_key_fails_fast() -> None:
    config, _ = engine_config("dev")
    result = _load({**config, "securebank:shardCout": "3"})
    assert result.returncode != 0
    assert "unknown config keys for stack test: shardCout" in result.stderr


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("securebank:shardMode", "SOMETIMES", "shard_mode"),
        ("securebank:logRetentionDays", "13", "log_retention_days"),
        ("securebank:secondaryRegion", "us-east-1", "secondaryRegion must differ"),
        ("securebank:corsAllowedOrigin", "http://insecure.example", "cors_allowed_origin"),
    ],
)
def test_invalid_values_fail_fast(key: str, value: str, message: str) -> None:
    config, _ = engine_config("dev")
    result = _load({**config, key: value})
    assert result.returncode != 0
    assert message in result.stderr


def test_a_domain_needs_its_certificate_and_prod_needs_both() -> None:
    config, _ = engine_config("dev")
    alone = _load({**config, "securebank:domainName": "api.example.com"})
    assert alone.returncode != 0 and "domainName and certificateArn go together" in alone.stderr
    prod, secrets = engine_config("prod")
    without = {k: v for k, v in prod.items() if k not in ("securebank:domainName", "securebank:certificateArn")}
    result = _load(without, secrets, stack="prod")
    assert result.returncode != 0 and "required in prod" in result.stderr
    assert _load(prod, secrets, stack="prod").returncode == 0


def test_a_dr_stack_needs_a_hosted_zone_and_leaves_replication_to_its_primary() -> None:
    dr, secrets = engine_config("dr-prod")
    assert _load(dr, secrets, stack="dr-prod").returncode == 0
    without_zone = {k: v for k, v in dr.items() if k != "securebank:hostedZoneId"}
    result = _load(without_zone, secrets, stack="dr-prod")
    assert result.returncode != 0 and "needs hostedZoneId" in result.stderr
    result = _load({**dr, "securebank:replication": "true"}, secrets, stack="dr-prod")
    assert result.returncode != 0 and "set replication false" in result.stderr
    config, _ = engine_config("dev")
    result = _load({**config, "securebank:hostedZoneId": "Z123EXAMPLE"})
    assert result.returncode != 0 and "hostedZoneId needs domainName" in result.stderr


def test_a_missing_key_fails_fast() -> None:
    config, _ = engine_config("dev")
    del config["securebank:alarmEmail"]
    result = _load(config)
    assert result.returncode != 0 and "alarmEmail" in result.stderr


def test_secure_values_become_a_placeholder_and_a_secret_key(tmp_path) -> None:
    (tmp_path / "Pulumi.x.yaml").write_text(
        "config:\n  securebank:alarmEmail:\n    secure: v1:abc\n  aws:region: us-east-1\n"
    )
    config, secrets = engine_config("x", tmp_path)
    assert config["securebank:alarmEmail"] == "<secret>" and secrets == ["securebank:alarmEmail"]


def test_project_file_runs_python_with_pip_in_the_repo_venv() -> None:
    import yaml

    project = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())
    assert project["name"] == "securebank"
    assert project["runtime"] == {"name": "python", "options": {"toolchain": "pip", "virtualenv": "venv"}}
    policy = yaml.safe_load((ROOT / "policy" / "PulumiPolicy.yaml").read_text())
    assert policy["runtime"]["name"] == "python"


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_no_stack_pays_for_a_nat_gateway_nothing_uses(stack: str) -> None:
    """The Lambdas reach AWS through VPC endpoints only (components/network.py says what would need a NAT)."""
    assert stack_config(stack)["natGateway"] is False
