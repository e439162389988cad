"""Both stacks are built once per session, each in its own interpreter: Pulumi's mock runtime is process-global.

Each run is `python -m securebank plan --stack <stack> --json` (the reviewer's command), so the tests check exactly
what a reviewer sees. The two stacks build in parallel.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.infra.graph import Graph

ROOT = Path(__file__).resolve().parents[2]
STACKS = ("dev", "prod")


def plan_command(stack: str) -> list[str]:
    return [sys.executable, "-m", "securebank", "plan", "--stack", stack, "--json"]


@pytest.fixture(scope="session")
def plans() -> dict[str, str]:
    """Raw `plan --json` stdout per stack."""
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    running = {
        stack: subprocess.Popen(
            plan_command(stack), cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
        )
        for stack in STACKS
    }
    outputs = {}
    for stack, process in running.items():
        stdout, stderr = process.communicate(timeout=300)
        assert process.returncode == 0, f"plan --stack {stack} failed:\n{stderr}"
        outputs[stack] = stdout
    return outputs


@pytest.fixture(scope="session")
def resource_options() -> dict[str, dict[str, dict[str, Any]]]:
    """Per stack, `<type>::<name>` -> the `protect`, `retainOnDelete` and `aliases` it registered with
    (tests/infra/options.py)."""
    import json

    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    running = {
        stack: subprocess.Popen(
            [sys.executable, "-m", "tests.infra.options", "--stack", stack],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for stack in STACKS
    }
    options = {}
    for stack, process in running.items():
        stdout, stderr = process.communicate(timeout=300)
        assert process.returncode == 0, f"options --stack {stack} failed:\n{stderr}"
        options[stack] = json.loads(stdout)
    return options


@pytest.fixture(scope="session")
def graphs(plans: dict[str, str]) -> dict[str, Graph]:
    return {stack: Graph.from_json(stack, text) for stack, text in plans.items()}


@pytest.fixture(scope="session")
def dev(graphs: dict[str, Graph]) -> Graph:
    return graphs["dev"]


@pytest.fixture(scope="session")
def prod(graphs: dict[str, Graph]) -> Graph:
    return graphs["prod"]


@pytest.fixture(scope="session", params=STACKS)
def graph(request: pytest.FixtureRequest, graphs: dict[str, Graph]) -> Graph:
    """Parametrizes a test over both stacks."""
    return graphs[request.param]


def stack_config(stack: str) -> dict[str, object]:
    import yaml

    return {
        key.split(":", 1)[1]: value
        for key, value in yaml.safe_load((ROOT / f"Pulumi.{stack}.yaml").read_text())["config"].items()
        if key.startswith("securebank:")
    }
