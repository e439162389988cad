"""STYLE 2 and 8, checked with ast: allowed imports, `(name, args: XArgs, opts)` signatures, register_outputs last."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SOURCES = [*sorted((ROOT / "components").glob("*.py")), ROOT / "__main__.py"]
ALLOWED = {"pulumi", "pulumi_aws", "attrs", "contracts", "components", "yaml", "__future__"}


def _imports(tree: ast.AST) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.name)
def test_infra_code_imports_only_pulumi_attrs_contracts_and_the_stdlib(path: Path) -> None:
    foreign = _imports(ast.parse(path.read_text())) - ALLOWED - set(sys.stdlib_module_names)
    assert not foreign, f"{path.name} imports {foreign}"


def _components() -> list[tuple[str, ast.ClassDef]]:
    found = []
    for path in SOURCES:
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.ClassDef) and any(ast.unparse(b) == "pulumi.ComponentResource" for b in node.bases):
                found.append((path.name, node))
    return found


def test_there_is_one_component_per_layer() -> None:
    assert sorted(cls.name for _, cls in _components()) == sorted(
        [
            "Security",
            "Network",
            "Storage",
            "Processing",
            "Ingestion",
            "Access",
            "Analytics",
            "Monitoring",
            "Cases",  # flagged transactions out: the fraud bus, its rules, the cases queue
            "DisasterRecovery",
            "ReplicaStorage",  # a DR stack's Storage: the primary's replicas adopted, a stream of its own
            "Failover",  # a DR stack's DNS failover pair
        ]
    )


@pytest.mark.parametrize(("module", "cls"), _components(), ids=lambda v: getattr(v, "name", v))
def test_component_signature_token_and_register_outputs_last(module: str, cls: ast.ClassDef) -> None:
    [init] = [n for n in cls.body if isinstance(n, ast.FunctionDef) and n.name == "__init__"]
    params = [a.arg for a in init.args.args]
    assert params == ["self", "name", "args", "opts"]
    assert ast.unparse(init.args.args[2].annotation) == f"{cls.name}Args"
    super_call = ast.unparse(init.body[0])
    assert f"'securebank:pipeline:{cls.name}'" in super_call
    last = init.body[-1]
    assert isinstance(last, ast.Expr) and ast.unparse(last.value.func) == "self.register_outputs"
    assert sum("register_outputs" in ast.unparse(n) for n in ast.walk(cls) if isinstance(n, ast.Call)) == 1
