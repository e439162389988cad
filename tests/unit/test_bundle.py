"""The Lambda code bundle (securebank/infra/bundle.py): bytecode compiled deterministically, and used at import.

The mechanism is the same for every interpreter, so these tests build with the running one; the last test checks
the shipped version (python3.12) when that interpreter is installed.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from components.packaging import CODE_PACKAGES, code_files
from securebank.infra import bundle
from securebank.infra.bytecode import PYTHON_ENV_VAR, InterpreterNotFound, find_python

ROOT = Path(__file__).resolve().parents[2]
UNCHECKED_HASH = 1
"""PEP 552 flags: bit 0 hash-based, bit 1 check_source: 1 is a hash-based .pyc the loader uses without the source."""
PYTHON312_MAGIC = (3531).to_bytes(2, "little") + b"\r\n"


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A snapshot of the code packages: colleagues edit the shared tree while the tests run."""
    snapshot = tmp_path_factory.mktemp("tree")
    for name, path in code_files(ROOT):
        (snapshot / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, snapshot / name)
    return snapshot


def _digest(directory: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(p for p in directory.rglob("*") if p.is_file()):
        digest.update(path.relative_to(directory).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def test_two_builds_of_an_unchanged_tree_are_byte_identical_whatever_the_mtimes(tree: Path, tmp_path: Path) -> None:
    first = _digest(bundle.build(tree, tmp_path / "first", python=sys.executable))
    for path in tree.rglob("*.py"):
        os.utime(path, (1_000_000_000, 1_000_000_000))
    second = bundle.build(tree, tmp_path / "second", python=sys.executable)
    assert _digest(second) == first
    (tree / "domain" / "__init__.py").write_text("# changed\n")
    try:
        assert _digest(bundle.build(tree, tmp_path / "third", python=sys.executable)) != first
    finally:
        (tree / "domain" / "__init__.py").write_text("")


def test_every_module_ships_with_unchecked_hash_bytecode(tree: Path, tmp_path: Path) -> None:
    built = bundle.build(tree, tmp_path / "bundle", python=sys.executable)
    sources = sorted(built.rglob("*.py"))
    assert {p.relative_to(built).parts[0] for p in sources} == set(CODE_PACKAGES)
    for source in sources:
        cached = Path(importlib.util.cache_from_source(str(source)))
        header = cached.read_bytes()[:8]
        assert header[:4] == importlib.util.MAGIC_NUMBER, cached
        assert int.from_bytes(header[4:8], "little") == UNCHECKED_HASH, cached


PROBE = """
import os, sys
bundle, site_packages = sys.argv[1:3]
sys.path[:] = [bundle, *[p for p in sys.path[1:] if "site-packages" not in p], site_packages]
import handlers.processor as processor
assert callable(processor.lambda_handler)
ours = [m for m in sys.modules.values() if str(getattr(m, "__file__", "")).startswith(bundle)]
assert ours and all(os.path.exists(m.__spec__.cached) for m in ours), ours
print(len(ours))
"""


def _import_processor(built: Path) -> subprocess.CompletedProcess[str]:
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONDONTWRITEBYTECODE": "1", "AWS_DEFAULT_REGION": "us-east-1"}
    site_packages = sysconfig.get_paths()["purelib"]
    return subprocess.run([sys.executable, "-s", "-c", PROBE, str(built), site_packages], env=env, cwd=built.parent,
                          capture_output=True, text=True, timeout=120, check=False)  # fmt: skip


def test_the_processor_imports_from_its_bytecode_without_compiling_a_source(tree: Path, tmp_path: Path) -> None:
    """Every source is replaced after compiling by one that raises: only the .pyc can give a working import."""
    built = bundle.build(tree, tmp_path / "bundle", python=sys.executable)
    for source in built.rglob("*.py"):
        source.write_text("raise ImportError('compiled from source: ' + __name__)\n")
    result = _import_processor(built)
    assert result.returncode == 0, result.stderr
    assert int(result.stdout) >= len(["handlers.processor", "handlers.bootstrap", "domain.model"])
    assert not list(built.rglob("*.pyc.*")), "nothing written beside the bytecode"

    shutil.rmtree(built / "handlers" / "__pycache__")  # the control: without its .pyc the source is compiled
    result = _import_processor(built)
    assert result.returncode != 0 and "compiled from source: handlers" in result.stderr


def test_the_shipped_bundle_carries_python312_bytecode(tree: Path, tmp_path: Path) -> None:
    try:
        python = find_python()
    except InterpreterNotFound as missing:
        pytest.skip(f"no python3.12 on this machine to build the shipped bundle with ({missing})")
    built = bundle.build(tree, tmp_path / "bundle", python=python)
    compiled = sorted(built.rglob("*.pyc"))
    assert compiled and all(p.name.endswith(".cpython-312.pyc") for p in compiled)
    assert {p.read_bytes()[:4] for p in compiled} == {PYTHON312_MAGIC}
    assert len(compiled) == len(list(built.rglob("*.py")))


def _fake_python(directory: Path, version: str) -> Path:
    directory.mkdir(parents=True)
    python = directory / "python3.12"
    python.write_text(f"#!/bin/sh\necho {version}\n")
    python.chmod(0o755)
    return python


def test_the_interpreter_is_found_by_override_path_or_pyenv_and_named_when_missing(tmp_path: Path) -> None:
    pyenv = tmp_path / "pyenv"
    found = _fake_python(pyenv / "versions" / "3.12.9" / "bin", "3.12")
    assert find_python(environ={"PATH": "", "PYENV_ROOT": str(pyenv)}) == str(found)
    on_path = _fake_python(tmp_path / "bin", "3.12")
    assert find_python(environ={"PATH": str(on_path.parent), "PYENV_ROOT": str(pyenv)}) == str(on_path)
    wrong = _fake_python(tmp_path / "wrong", "3.11")
    with pytest.raises(InterpreterNotFound, match=PYTHON_ENV_VAR):
        find_python(environ={PYTHON_ENV_VAR: str(wrong), "PATH": str(on_path.parent)})
    with pytest.raises(InterpreterNotFound, match=r"python3\.12 \(the Lambda runtime python3\.12\)"):
        find_python(environ={"PATH": str(wrong.parent), "PYENV_ROOT": str(tmp_path / "none")})
