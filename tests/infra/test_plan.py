"""`python -m securebank plan`: a tree for people, stable JSON for diffs, both from the stack's YAML under mocks."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from tests.infra.conftest import ROOT, plan_command
from tests.infra.graph import Graph


def test_json_is_a_sorted_list_of_type_name_parent_inputs(plans: dict[str, str]) -> None:
    for text in plans.values():
        resources = json.loads(text)
        assert all(set(r) == {"type", "name", "parent", "inputs"} for r in resources)
        assert resources == sorted(resources, key=lambda r: (r["type"], r["name"]))


def test_json_inputs_are_wire_names_fully_resolved(dev: Graph) -> None:
    table = dev.named("storage-transactions").inputs
    assert "pointInTimeRecovery" in table and "point_in_time_recovery" not in table
    from pulumi.runtime.rpc import UNKNOWN

    text = json.dumps([r.inputs for r in dev])
    assert "Output<" not in text and "<pulumi" not in text
    assert UNKNOWN not in text  # every input resolved, although the program runs as a preview


def test_two_plans_of_an_unchanged_tree_are_byte_identical(tmp_path) -> None:
    """On a snapshot of the tree: the shared working tree may change between two runs while colleagues work."""
    snapshot = _snapshot(tmp_path)
    runs = [
        subprocess.run(
            plan_command("dev"), cwd=snapshot, capture_output=True, text=True, timeout=300, check=True
        ).stdout
        for _ in range(2)
    ]
    assert runs[0] == runs[1]
    assert json.loads(runs[0])


def test_dev_and_prod_differ_where_their_config_differs(dev: Graph, prod: Graph) -> None:
    assert len(prod.resources) > len(dev.resources)
    assert prod.of_type("aws:s3/bucketReplicationConfig:BucketReplicationConfig")
    assert not dev.of_type("aws:ec2/natGateway:NatGateway")


def test_tree_output_shows_components_resources_and_key_settings() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "securebank", "plan", "--stack", "prod"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    out = result.stdout
    assert "securebank-prod" in out
    for component in (
        "securebank:pipeline:Ingestion",
        "securebank:pipeline:Storage",
        "securebank:pipeline:DisasterRecovery",
    ):
        assert component in out
    assert "aws:dynamodb/table:Table storage-transactions" in out
    assert "deletionProtectionEnabled=true" in out
    assert "[secret]" not in out.replace("endpoint=[secret]", "")  # secrets show only as the marker
    assert "secops@securebank.example" not in out


def _snapshot(tmp_path: Path) -> Path:
    snapshot = tmp_path / "tree"
    ignore = shutil.ignore_patterns("venv", ".git", "build", "__pycache__", "*.pyc", ".*_cache", ".hypothesis", "tests")
    shutil.copytree(ROOT, snapshot, ignore=ignore)
    return snapshot


def test_a_stack_file_with_an_unknown_key_fails_before_any_resource(tmp_path) -> None:
    snapshot = _snapshot(tmp_path)
    stack_file = snapshot / "Pulumi.dev.yaml"
    stack_file.write_text(stack_file.read_text() + "  securebank:natGatway: true\n")
    result = subprocess.run(plan_command("dev"), check=False, cwd=snapshot, capture_output=True, text=True, timeout=300)
    assert result.returncode != 0
    assert "unknown config keys for stack dev: natGatway" in result.stderr
    assert result.stdout == ""


def test_a_billing_stack_outside_the_region_of_billing_metrics_is_refused(tmp_path) -> None:
    """Only the stack that owns the account's billing alarms (prod: billingAlarms) is bound to us-east-1."""
    snapshot = _snapshot(tmp_path)
    stack_file = snapshot / "Pulumi.prod.yaml"
    stack_file.write_text(stack_file.read_text().replace("aws:region: us-east-1", "aws:region: eu-west-1"))
    result = subprocess.run(
        plan_command("prod"), check=False, cwd=snapshot, capture_output=True, text=True, timeout=300
    )
    assert (
        result.returncode != 0 and "billing alarms and their topic need the primary region us-east-1" in result.stderr
    )
