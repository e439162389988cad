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
    "jobs": {"domain", "contracts", "jobs", "pyspark", "attrs"},
    "components": {"pulumi", "pulumi_aws", "attrs", "contracts", "components", "yaml"},
}
STDLIB = set(sys.stdlib_module_names) | {"__future__"}


# The one edge module a Spark job may share with the Lambdas: the converter that turns lake lines (POST bodies)
# into domain values and policies into JSON. It imports no boto3; writing it twice would let validation drift.
EXCEPTIONS: dict[str, set[str]] = {"jobs": {"adapters.serialization"}}


def imports(path: Path) -> list[tuple[int, str, bool, str]]:
    """(line, top-level module, at module level, full module) of every import in a file."""
    tree = ast.parse(path.read_text(), str(path))
    top = {id(node) for node in tree.body}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name.split(".")[0], id(node) in top, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module.split(".")[0], id(node) in top, node.module))
    return found


def violations(package: str) -> list[str]:
    bad = []
    for path in sorted((ROOT / package).rglob("*.py")):
        for line, module, module_level, full in imports(path):
            if module in STDLIB or module in ALLOWED[package] or full in EXCEPTIONS.get(package, set()):
                continue
            if package == "jobs" and module == "boto3" and not module_level:
                continue  # boto3 only inside functions (Glue has it; local runs need not)
            bad.append(f"{path.relative_to(ROOT)}:{line} imports {module}")
    return bad


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_package_imports_only_what_its_layer_may(package: str):
    assert violations(package) == []


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
