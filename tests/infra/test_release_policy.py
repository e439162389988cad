"""The policy-pack rule `release-record-writers`: only the release role may write the fraud policy's release record
and audit (the tuner writes candidates only), and `config-feed-writes` under the split of config/fraud-policy/."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from policy.iam import config_feed_writes, release_record_writers
from tests.infra.crossguard import run_pack
from tests.infra.graph import Graph

LAKE = "arn:aws:s3:::lake"
POLICY = "aws:iam/policy:Policy"
ROLE_ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"


def _policy(name: str, *resources: str, actions: Any = "s3:PutObject") -> dict[str, Any]:
    statement = {"Effect": "Allow", "Action": actions, "Resource": list(resources)}
    return {"type": POLICY, "name": name, "inputs": {"policy": json.dumps({"Statement": [statement]})}}


def _attached(name: str, role: str, *resources: str, **kwargs: Any) -> list[dict[str, Any]]:
    attachment = {"policyArn": f"arn:aws:iam::123456789012:policy/{name}", "role": role}
    return [_policy(name, *resources, **kwargs), {"type": ROLE_ATTACHMENT, "name": f"{name}-a", "inputs": attachment}]


def test_the_rules_keys_and_role_name_are_the_contracts_and_the_components() -> None:
    from components.access import RELEASE_ROLE_SUFFIX
    from contracts.aws import POLICY_AUDIT_PREFIX, POLICY_RELEASE_KEY
    from policy import iam

    assert (iam.RELEASE_RECORD_KEY, iam.RELEASE_AUDIT_PREFIX) == (POLICY_RELEASE_KEY, POLICY_AUDIT_PREFIX)
    assert iam.RELEASE_ROLE_SUFFIX.removeprefix("-") == RELEASE_ROLE_SUFFIX


@pytest.mark.parametrize(
    ("resources", "why"),
    [
        (
            _attached("tuner", "analytics-fraud-patterns-glue-role", f"{LAKE}/config/fraud-policy/*"),
            "the feed's prefix",
        ),
        (_attached("tuner", "analytics-fraud-patterns-glue-role", f"{LAKE}/*"), "the whole bucket"),
        (_attached("ops", "securebank-dev-analyst", f"{LAKE}/config/fraud-policy/release.json"), "another role"),
        (_attached("ops", "ops", f"{LAKE}/config/fraud-policy/audit/*", actions="s3:Delete*"), "deleting audit"),
        (_attached("ops", "ops", "*", actions="s3:*"), "everything"),
        ([_policy("loose", f"{LAKE}/config/fraud-policy/release.json")], "an unattached policy"),
        (
            [
                *_attached("rel", "securebank-dev-release", f"{LAKE}/config/fraud-policy/release.json"),
                {
                    "type": "aws:iam/userPolicyAttachment:UserPolicyAttachment",
                    "name": "u",
                    "inputs": {"user": "bob", "policyArn": "arn:aws:iam::123456789012:policy/rel"},
                },
            ],
            "the release role's policy also attached to a user",
        ),
        (
            [
                {
                    "type": "aws:iam/rolePolicy:RolePolicy",
                    "name": "inline",
                    "inputs": {"role": "tuner", "policy": _policy("x", f"{LAKE}/config/*")["inputs"]["policy"]},
                }
            ],
            "an inline policy of another role",
        ),
    ],
)
def test_the_rule_refuses_a_writer_of_the_release_record_but_the_release_role(resources: list, why: str) -> None:
    found = release_record_writers(resources)
    assert found, why
    assert all(name in {r["name"] for r in resources} for name, _ in found)


@pytest.mark.parametrize(
    "resources",
    [
        _attached("rel", "securebank-dev-release", f"{LAKE}/config/fraud-policy/release.json",
                  f"{LAKE}/config/fraud-policy/audit/*"),
        _attached("tuner", "tuner", f"{LAKE}/config/fraud-policy/v*", f"{LAKE}/processed/fraud-patterns/*"),
        _attached("reader", "tuner", f"{LAKE}/*", actions="s3:GetObject"),  # reading is not writing
        _attached("merchants", "merchant-risk", f"{LAKE}/config/merchant-risk/*"),
        # a preview: the policy's ARN is unknown, the attachment is `<policy>-attachment` (role_policy's naming)
        [_policy("rel", f"{LAKE}/config/fraud-policy/*"),
         {"type": ROLE_ATTACHMENT, "name": "rel-attachment", "inputs": {"role": "securebank-prod-release"}}],
    ],
)  # fmt: skip
def test_the_rule_accepts_the_release_role_and_writers_of_other_keys(resources: list) -> None:
    assert release_record_writers(resources) == []


def test_both_stacks_pass_and_the_tuner_granted_the_whole_feed_is_reported(graph: Graph) -> None:
    resources = [{"type": r.type, "name": r.name, "inputs": r.inputs} for r in graph]
    assert release_record_writers(resources) == []
    assert any(r["name"] == "access-release-policy" for r in resources)  # the rule saw the release role's grant

    tuner = next(r for r in resources if r["name"] == "analytics-fraud-patterns-glue-policy")
    widened = copy.deepcopy(tuner)
    widened["inputs"]["policy"] = tuner["inputs"]["policy"].replace("config/fraud-policy/v*", "config/fraud-policy/*")
    assert widened["inputs"]["policy"] != tuner["inputs"]["policy"]
    found = release_record_writers([widened if r is tuner else r for r in resources])
    assert [name for name, _ in found] == ["analytics-fraud-patterns-glue-policy"]
    assert "analytics-fraud-patterns-glue-role" in found[0][1]


def test_crossguard_reports_the_rule_through_pulumi_policy_proxies() -> None:
    resources = _attached("tuner", "analytics-fraud-patterns-glue-role", f"{LAKE}/config/fraud-policy/*")
    stack = run_pack(resources)["stack"]
    assert [policy for policy, _ in stack] == ["release-record-writers"]
    ok = _attached("rel", "securebank-dev-release", f"{LAKE}/config/fraud-policy/release.json")
    assert run_pack(ok)["stack"] == []


def test_the_release_roles_and_the_tuners_grants_each_write_one_config_feed() -> None:
    """config-feed-writes counts a grant of a key under a feed's prefix as writing that feed, not only one covering
    a version: the release role's grant writes config/fraud-policy/, so it may not also write another feed."""
    release = _policy("rel", f"{LAKE}/config/fraud-policy/release.json", f"{LAKE}/config/fraud-policy/audit/*")
    assert config_feed_writes(POLICY, release["inputs"]) == []
    tuner = _policy("tuner", f"{LAKE}/config/fraud-policy/v*")
    assert config_feed_writes(POLICY, tuner["inputs"]) == []
    both = _policy("both", f"{LAKE}/config/fraud-policy/release.json", f"{LAKE}/config/merchant-risk/*")
    assert config_feed_writes(POLICY, both["inputs"]) == [
        "one policy may write objects of at most one config feed, not ['config/fraud-policy/', 'config/merchant-risk/']"
    ]
