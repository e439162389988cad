"""Imports point inward (STYLE section 2), checked with ast over every module of each package."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FIRST_PARTY = {"domain", "contracts", "adapters", "handlers", "jobs", "components", "securebank", "policy", "tests"}
ALLOWED: dict[str, set[str]] = {
    "domain": {"attrs", "domain"},
    "contracts": {"contracts"},
    "adapters": {"domain", "contracts", "adapters", "boto3", "botocore", "cattrs", "aws_lambda_powertools", "attrs"},
    "handlers": {"domain", "adapters", "contracts", "handlers", "aws_lambda_powertools", "attrs"},
    # the weekly job fits the tree ensemble as `tune` does (jobs/learn*.py, shared with it): scikit-learn, its numpy
    # and threadpoolctl, installed on Glue by --additional-python-modules (components/glue.py); never in the Lambdas
    "jobs": {"domain", "contracts", "jobs", "pyspark", "attrs", "sklearn", "numpy", "threadpoolctl"},
    "components": {"pulumi", "pulumi_aws", "attrs", "contracts", "components", "yaml"},
    "policy": {"pulumi_policy", "policy"},
}
# The tools around the product, one package per job (docs/architecture.md). Each may use the product's layers
# (domain, contracts, adapters, handlers, jobs, components); this table is which of the other tool packages it may
# import. Nothing outside securebank/ imports a tool package, and no tool package imports the CLI.
TOOLS: dict[str, set[str]] = {
    "cli": {"cli", "emulator", "demo", "lab", "measure", "verify", "infra", "jsonl", "ops", "dr"},
    # the emulator runs the product on moto; it never imports the demo (the demo plugs in through
    # emulator/instrumentation.py) nor any other tool
    "emulator": {"emulator"},
    # the demo's fraud operations loop imports a chargeback file and diffs policies as an operator would (ops)
    "demo": {"demo", "emulator", "lab", "measure", "ops"},
    # the lab works offline on files: no emulator, no demo, no measurement
    "lab": {"lab", "jsonl"},
    # measurement may run the lab's replay and the emulator's moto patches, never the demo
    "measure": {"measure", "emulator", "lab", "jsonl"},
    "verify": {"verify", "emulator", "lab"},
    "infra": {"infra"},
    # the operator tools act on a stack through boto3; the emulator's Lambda shapes build the processor's events;
    # `policy diff` replays the lake's history through the lab's Backtest (the same replay as `backtest`)
    "ops": {"ops", "emulator", "lab"},
    # the DR drill runs the local stack in two moto regions and loads it with the demo's paced load generator
    "dr": {"dr", "emulator", "demo", "lab"},
}
TOOL_MODULES = {"__main__", "jsonl"}  # securebank/*.py beside the packages: the entry point and one JSONL helper
STDLIB = set(sys.stdlib_module_names) | {"__future__"}
TYPE_STUBS = ("mypy_boto3_",)  # typing-only packages: allowed under `if TYPE_CHECKING:`, never in the bundle


# The edge modules a Spark job may share with the Lambdas: the converter that turns lake lines (POST bodies) into
# domain values and policies into JSON, the merchant-risk snapshot codec the daily job writes and the processor
# reads, and the policy release record's codec (the weekly job tunes from the active version it names). They import
# no boto3; writing them twice would let validation drift.
EXCEPTIONS: dict[str, set[str]] = {
    "jobs": {"adapters.serialization", "adapters.merchant_risk_codec", "adapters.release_codec"}
}


def imports(path: Path) -> list[tuple[int, str, bool, str]]:
    """(line, top-level module, at module level, full module) of every import in a file."""
    found = [(line, full.split(".")[0], module_level, full) for line, full, module_level, _ in _imports(path)]
    return found


def _imports(path: Path) -> list[tuple[int, str, bool, bool]]:
    """(line, full module, at module level, under `if TYPE_CHECKING:`) of every absolute import in a file."""
    tree = ast.parse(path.read_text(), str(path))
    top = {id(node) for node in tree.body}
    typing_only = {
        id(inner)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and ast.unparse(node.test) in {"TYPE_CHECKING", "typing.TYPE_CHECKING"}
        for statement in node.body
        for inner in ast.walk(statement)
    }
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        found += [(node.lineno, name, id(node) in top, id(node) in typing_only) for name in names]
    return found


def violations(package: str) -> list[str]:
    bad = []
    for path in sorted((ROOT / package).rglob("*.py")):
        for line, full, module_level, typing_only in _imports(path):
            module = full.split(".")[0]
            if module in STDLIB or module in ALLOWED[package] or full in EXCEPTIONS.get(package, set()):
                continue
            if typing_only and module.startswith(TYPE_STUBS):
                continue
            if package == "jobs" and module == "boto3" and not module_level:
                continue  # boto3 only inside functions (Glue has it; local runs need not)
            bad.append(f"{path.relative_to(ROOT)}:{line} imports {module}")
    return bad


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_package_imports_only_what_its_layer_may(package: str):
    assert violations(package) == []


def tool_violations(tool: str, root: Path | None = None) -> list[str]:
    """Imports of securebank.<other tool> that TOOLS does not give `tool`."""
    base = root or ROOT
    bad = []
    for path in sorted((base / "securebank" / tool).rglob("*.py")):
        for line, full, _, _ in _imports(path):
            parts = full.split(".")
            if parts[0] != "securebank":
                continue
            if len(parts) < 2 or parts[1] not in TOOLS[tool]:
                bad.append(f"{path.relative_to(base)}:{line} imports {full}")
    return bad


def test_every_package_is_under_a_layering_rule():
    """A new top-level package, or a new job under securebank/, must be given its rule here before it can land."""
    packages = {p.parent.name for p in ROOT.glob("*/__init__.py")}
    assert packages - {"securebank", "tests"} == set(ALLOWED)
    jobs = {p.parent.name for p in (ROOT / "securebank").glob("*/__init__.py")}
    assert jobs == set(TOOLS)
    loose = {p.stem for p in (ROOT / "securebank").glob("*.py")} - {"__init__"}
    assert loose == TOOL_MODULES


@pytest.mark.parametrize("tool", sorted(TOOLS))
def test_tool_package_imports_only_the_tools_its_job_may(tool: str):
    assert tool_violations(tool) == []


def test_the_emulator_never_imports_the_demo():
    assert "demo" not in TOOLS["emulator"]
    assert [v for v in tool_violations("emulator") if ".demo" in v] == []


def test_nothing_outside_securebank_imports_the_tools():
    bad = [
        f"{path.relative_to(ROOT)}:{line} imports {full}"
        for package in sorted(ALLOWED)
        for path in sorted((ROOT / package).rglob("*.py"))
        for line, full, _, _ in _imports(path)
        if full.split(".")[0] == "securebank"
    ]
    assert bad == []


def test_the_tool_check_catches_the_emulator_importing_the_demo(tmp_path: Path):
    emulator = tmp_path / "securebank" / "emulator"
    emulator.mkdir(parents=True)
    (emulator / "stack.py").write_text(
        "from securebank.emulator.resources import X\ndef f():\n    from securebank.demo.chaos import ChaosSettings\n"
    )
    assert tool_violations("emulator", tmp_path) == ["securebank/emulator/stack.py:3 imports securebank.demo.chaos"]


def test_a_stub_import_passes_only_under_type_checking(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    adapters = tmp_path / "adapters"
    adapters.mkdir()
    (adapters / "a.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from mypy_boto3_s3 import S3Client\n"
        "from mypy_boto3_sqs import SQSClient\n"
    )
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    assert violations("adapters") == ["adapters/a.py:4 imports mypy_boto3_sqs"]


def test_only_bootstrap_names_concrete_adapters_among_handlers():
    for path in sorted((ROOT / "handlers").glob("*.py")):
        if path.name in {"bootstrap.py", "__init__.py"}:
            continue
        named = [m for _, m, _, _ in imports(path) if m == "adapters"]
        tree = ast.parse(path.read_text())
        concrete = [
            alias.name
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("adapters.")
            for alias in node.names
            if alias.name[0].isupper() and not alias.name.endswith(("Error", "Exception"))
        ]
        assert concrete == [], f"{path.name} names adapters {concrete} (only bootstrap.py may); {named}"


def import_cycles(package: str, root: Path | None = None) -> list[list[str]]:
    """Cycles among a package's modules, counting every import (those under TYPE_CHECKING too)."""
    base = (root or ROOT) / package
    modules = {path.stem: path for path in base.glob("*.py") if path.name != "__init__.py"}
    edges: dict[str, set[str]] = {}
    for module, path in modules.items():
        targets = set()
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                parts = node.module.split(".")
                if parts[0] == package and len(parts) > 1:
                    targets.add(parts[1])
                elif node.module == package:  # from components import roles
                    targets |= {alias.name for alias in node.names}
            elif isinstance(node, ast.Import):
                targets |= {a.name.split(".")[1] for a in node.names if a.name.startswith(f"{package}.")}
        edges[module] = targets & modules.keys()
    cycles: list[list[str]] = []

    def visit(module: str, path: list[str]) -> None:
        for target in sorted(edges[module]):
            if target == path[0]:
                cycles.append([*path, target])
            elif target not in path and target > path[0]:  # each cycle once, from its smallest module
                visit(target, [*path, target])

    for module in sorted(edges):
        visit(module, [module])
    return cycles


def test_components_import_one_another_without_cycles():
    """Components form a DAG (Storage -> Processing -> Ingestion, ...): no module needs one that needs it back."""
    assert import_cycles("components") == []


def test_the_cycle_check_finds_a_cycle_under_type_checking(tmp_path: Path):
    package = tmp_path / "components"
    package.mkdir()
    (package / "roles.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from components.processing import Processing\n"
    )
    (package / "processing.py").write_text("from components import roles\n")
    (package / "storage.py").write_text("from components.roles import X\n")
    assert import_cycles("components", tmp_path) == [["processing", "roles", "processing"]]


def test_the_layering_check_catches_a_forbidden_import(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    bad = tmp_path / "domain"
    bad.mkdir()
    (bad / "leak.py").write_text("import boto3\nfrom attrs import frozen\n")
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    assert violations("domain") == ["domain/leak.py:1 imports boto3"]
