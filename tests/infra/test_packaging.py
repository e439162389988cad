"""Lambda packaging: a deterministic code archive that imports in a clean interpreter, and the layer command."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from components.packaging import (
    BUNDLE_DIR,
    CODE_PACKAGES,
    bundle_files,
    bundle_is_current,
    code_archive,
    code_files,
    code_hash,
    lambda_code_archive,
    layer_archive,
)
from securebank.infra import layer
from tests.infra.graph import Graph

ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN_IN_BUNDLE = ("pulumi", "pulumi_aws", "moto", "pyspark", "components", "securebank")


def test_two_builds_of_an_unchanged_tree_hash_equal() -> None:
    first, second = code_archive(ROOT), code_archive(ROOT)
    assert list(first.assets) == list(second.assets) == sorted(first.assets)
    assert {k: v.path for k, v in first.assets.items()} == {k: v.path for k, v in second.assets.items()}
    assert code_hash(ROOT) == code_hash(ROOT)


def test_the_hash_ignores_mtimes_and_bytecode_but_sees_content(tmp_path: Path) -> None:
    for package in CODE_PACKAGES:
        (tmp_path / package).mkdir()
        (tmp_path / package / "__init__.py").write_text("")
    module = tmp_path / "domain" / "model.py"
    module.write_text("X = 1\n")
    before = code_hash(tmp_path)
    os.utime(module, (0, 0))
    (tmp_path / "domain" / "__pycache__").mkdir()
    (tmp_path / "domain" / "__pycache__" / "model.cpython-311.pyc").write_bytes(b"\0")
    (tmp_path / "handlers" / "stray.pyc").write_bytes(b"\0")
    assert code_hash(tmp_path) == before
    assert [name for name, _ in code_files(tmp_path)] == [
        "adapters/__init__.py",
        "contracts/__init__.py",
        "domain/__init__.py",
        "domain/model.py",
        "handlers/__init__.py",
    ]
    module.write_text("X = 2\n")
    assert code_hash(tmp_path) != before


def test_archive_holds_exactly_domain_adapters_handlers_and_contracts() -> None:
    names = list(code_archive(ROOT).assets)
    assert {name.split("/")[0] for name in names} == set(CODE_PACKAGES)
    assert not any("__pycache__" in name or name.endswith(".pyc") for name in names)


def test_every_function_in_both_stacks_ships_the_same_archive_with_file_hashes(graphs: dict[str, Graph]) -> None:
    codes = [f.inputs["code"] for g in graphs.values() for f in g.of_type("aws:lambda/function:Function")]
    assert len(codes) == 10 and all(code == codes[0] for code in codes)  # five functions in each of two stacks
    shipped = bundle_files(ROOT) if bundle_is_current(ROOT) else code_files(ROOT)
    expected = {name: hashlib.sha256(path.read_bytes()).hexdigest() for name, path in shipped}
    assert {name: asset["sha256"] for name, asset in codes[0]["assetArchive"].items()} == expected


def _tree_with_bundle(root: Path) -> Path:
    """A two-module tree and its bundle: the sources copied, each with a (fake) python3.12 .pyc."""
    for package in CODE_PACKAGES:
        (root / package).mkdir()
        (root / package / "__init__.py").write_text("")
    (root / "domain" / "model.py").write_text("X = 1\n")
    for name, path in code_files(root):
        copy = root / BUNDLE_DIR / name
        copy.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, copy)
        (copy.parent / "__pycache__").mkdir(exist_ok=True)
        (copy.parent / "__pycache__" / f"{copy.stem}.cpython-312.pyc").write_bytes(b"pyc of " + name.encode())
    return root


def test_the_lambdas_ship_the_bundle_with_bytecode_only_while_it_matches_the_sources(tmp_path: Path) -> None:
    root = _tree_with_bundle(tmp_path)
    archive, compiled = lambda_code_archive(root)
    assert compiled and list(archive.assets) == sorted(archive.assets)
    assert "domain/__pycache__/model.cpython-312.pyc" in archive.assets and "domain/model.py" in archive.assets
    assert {k: v.path for k, v in archive.assets.items()} == {k: str(p) for k, p in bundle_files(root)}

    (root / "domain" / "model.py").write_text("X = 2\n")  # a source changed since `make bundle`
    archive, compiled = lambda_code_archive(root)
    assert not compiled and not any(name.endswith(".pyc") for name in archive.assets)
    assert {k: v.path for k, v in archive.assets.items()} == {k: str(p) for k, p in code_files(root)}

    shutil.copyfile(root / "domain" / "model.py", root / BUNDLE_DIR / "domain" / "model.py")
    assert bundle_is_current(root)
    (root / BUNDLE_DIR / "domain" / "__pycache__" / "model.cpython-312.pyc").unlink()  # a module without bytecode
    assert not bundle_is_current(root)


def test_without_a_bundle_the_lambdas_ship_the_sources(tmp_path: Path) -> None:
    for package in CODE_PACKAGES:
        (tmp_path / package).mkdir()
        (tmp_path / package / "__init__.py").write_text("")
    archive, compiled = lambda_code_archive(tmp_path)
    assert not compiled and list(archive.assets) == [name for name, _ in code_files(tmp_path)]


def _extract(target: Path) -> None:
    for name, path in code_files(ROOT):
        destination = target / name
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, destination)


def test_handlers_import_from_the_built_archive_in_a_clean_interpreter(tmp_path: Path) -> None:
    handlers = sorted(p.stem for p in (ROOT / "handlers").glob("*.py") if p.stem not in ("__init__",))
    entry_points = [h for h in ("processor", "query", "cases", "cost_reporter") if h in handlers]
    if not entry_points:
        pytest.skip("no Lambda entry points (handlers/processor.py, query.py, cost_reporter.py) exist yet")
    bundle = tmp_path / "bundle"
    _extract(bundle)
    site_packages = sysconfig.get_paths()["purelib"]
    script = f"""
import importlib, sys
sys.path[:] = [{str(bundle)!r}, *[p for p in sys.path if p.startswith(sys.base_prefix)], {site_packages!r}]
assert not any(p.startswith({str(ROOT)!r}) and p != {site_packages!r} for p in sys.path), sys.path
for name in {entry_points!r}:
    module = importlib.import_module("handlers." + name)
    assert callable(module.lambda_handler), name
    assert module.__file__.startswith({str(bundle)!r}), module.__file__
loaded = sorted(m for m in sys.modules if m.split(".")[0] in {FORBIDDEN_IN_BUNDLE!r})
assert not loaded, loaded
print("ok", {entry_points!r})
"""
    env = {"PATH": os.environ.get("PATH", ""), "AWS_DEFAULT_REGION": "us-east-1"}
    result = subprocess.run(
        [sys.executable, "-I", "-c", script],
        check=False,
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("ok")


def test_layer_command_builds_arm64_wheels_only_and_leaves_the_bytecode_to_python312(tmp_path: Path) -> None:
    argv = layer.pip_command(tmp_path / "python")
    assert argv[argv.index("--platform") + 1] == "manylinux2014_aarch64"
    assert "--only-binary=:all:" in argv and "--no-compile" in argv
    assert argv[argv.index("--python-version") + 1] == "3.12"
    assert argv[argv.index("-r") + 1].endswith("requirements-lambda.txt")
    assert argv[argv.index("-c") + 1].endswith("constraints.txt")
    lines = (ROOT / "requirements-lambda.txt").read_text().splitlines()
    pinned = [line.split("==")[0].lower() for line in lines if line.strip() and not line.startswith("#")]
    assert pinned and all("==" in line for line in lines if line.strip() and not line.startswith("#"))
    assert not {"pulumi", "pulumi-aws", "moto", "pyspark"} & set(pinned)


def test_layer_archive_uses_build_layer_when_present_and_a_placeholder_otherwise(tmp_path: Path) -> None:
    archive, built = layer_archive(tmp_path)
    assert built is False and list(archive.assets) == ["python/LAYER_NOT_BUILT.txt"]
    (tmp_path / "build" / "layer" / "python").mkdir(parents=True)
    archive, built = layer_archive(tmp_path)
    assert built is True and Path(archive.path) == tmp_path / "build" / "layer"


def test_the_layer_is_compiled_in_place_with_unchecked_hash_bytecode(tmp_path: Path) -> None:
    """`install` compiles what pip wrote (here a one-module stand-in for pip), recorded as /opt/python."""
    target = tmp_path / "python"
    write = f"import pathlib; pathlib.Path({str(target)!r}, 'dep.py').write_text('def f(): raise ValueError')"
    layer.install(target, [sys.executable, "-c", write], sys.executable)
    compiled = target / "__pycache__" / f"dep.{sys.implementation.cache_tag}.pyc"
    assert compiled.read_bytes()[4:8] == (1).to_bytes(4, "little")  # PEP 552: hash-based, source not checked
    assert b"/opt/python/dep.py" in compiled.read_bytes()


def test_pulumi_up_refuses_to_deploy_without_the_layer_or_a_current_bundle() -> None:
    source = (ROOT / "__main__.py").read_text()
    assert "if not pulumi.runtime.is_dry_run():" in source and "make layer" in source and "make bundle" in source
