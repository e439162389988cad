"""Lambda packaging: the code archive (deterministic AssetArchive) and the dependency layer (`make layer` output).

The Lambda code ships from build/lambda-code when `make bundle` built it from the current sources: the same files
with their python3.12 bytecode (`__pycache__/*.cpython-312.pyc`, compiled deterministically by
securebank/infra/bundle.py), so that a cold start compiles nothing. Without it, or when a source changed since,
the program still plans, from the sources alone, and `pulumi up` refuses (see __main__.py).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pulumi

from components.processing import RUNTIME

CODE_PACKAGES = ("domain", "adapters", "handlers", "contracts")
EXCLUDED_DIRS = frozenset({"__pycache__", ".mypy_cache", ".pytest_cache", ".ruff_cache"})
EXCLUDED_SUFFIXES = (".pyc", ".pyo")
BUNDLE_DIR = Path("build") / "lambda-code"
LAMBDA_PYTHON_VERSION = RUNTIME.removeprefix("python")
BYTECODE_TAG = "cpython-" + LAMBDA_PYTHON_VERSION.replace(".", "")
"""cpython-312: the cache tag of the runtime's bytecode files."""
LAYER_DIR = Path("build") / "layer"
LAYER_PLACEHOLDER = "python/LAYER_NOT_BUILT.txt"


def code_files(root: Path, packages: tuple[str, ...] = CODE_PACKAGES) -> list[tuple[str, Path]]:
    """(archive name, file) for every file of the packages, sorted, without caches or bytecode."""
    files: list[tuple[str, Path]] = []
    for package in packages:
        for path in (root / package).rglob("*"):
            relative = path.relative_to(root)
            if path.is_dir() or EXCLUDED_DIRS.intersection(relative.parts) or path.suffix in EXCLUDED_SUFFIXES:
                continue
            files.append((relative.as_posix(), path))
    return sorted(files)


def code_hash(root: Path, packages: tuple[str, ...] = CODE_PACKAGES) -> str:
    """sha256 over names and contents: equal for two builds of an unchanged tree, whatever the mtimes."""
    return _hash(code_files(root, packages))


def code_archive(root: Path, packages: tuple[str, ...] = CODE_PACKAGES) -> pulumi.AssetArchive:
    """The packages' sources: an AssetArchive of FileAssets in sorted order (never a zip we built: mtimes change
    its hash). The Glue jobs ship this way; the Lambdas use `lambda_code_archive`."""
    return _archive(code_files(root, packages))


def bundle_files(root: Path) -> list[tuple[str, Path]]:
    """(archive name, file) for every file of build/lambda-code: the sources and their python3.12 bytecode."""
    directory = root / BUNDLE_DIR
    files = [(p.relative_to(directory).as_posix(), p) for p in directory.rglob("*") if p.is_file()]
    return sorted(files)


def bundle_is_current(root: Path) -> bool:
    """build/lambda-code holds exactly today's sources, each with its bytecode."""
    if not (root / BUNDLE_DIR).is_dir():
        return False
    bundled = bundle_files(root)
    sources = [(name, path) for name, path in bundled if "__pycache__" not in name.split("/")]
    if [name for name, _ in sources] != [name for name, _ in code_files(root)] or _hash(sources) != code_hash(root):
        return False
    names = {name for name, _ in bundled}
    modules = [name for name, _ in sources if name.endswith(".py")]
    return all(_bytecode_name(name) in names for name in modules)


def lambda_code_archive(root: Path) -> tuple[pulumi.AssetArchive, bool]:
    """The Lambda code, and whether it carries bytecode: build/lambda-code when it is current, else the sources."""
    if bundle_is_current(root):
        return _archive(bundle_files(root)), True
    return code_archive(root), False


def layer_archive(root: Path) -> tuple[pulumi.Archive, bool]:
    """The dependency layer from `make layer`, and whether it was built.

    Without build/layer the program still plans (previews, `plan`, tests), with a one-file placeholder layer and a
    warning; `pulumi up` refuses (__main__.py), because functions deployed with it could not import attrs.
    """
    directory = root / LAYER_DIR
    if (directory / "python").is_dir():
        return pulumi.FileArchive(str(directory)), True
    placeholder = "Placeholder: run `make layer` before `pulumi up`; this layer has no dependencies.\n"
    return pulumi.AssetArchive({LAYER_PLACEHOLDER: pulumi.StringAsset(placeholder)}), False


def _bytecode_name(source: str) -> str:
    folder, _, module = source.rpartition("/")
    return f"{folder}/__pycache__/{module.removesuffix('.py')}.{BYTECODE_TAG}.pyc"


def _hash(files: list[tuple[str, Path]]) -> str:
    digest = hashlib.sha256()
    for name, path in files:
        digest.update(name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def _archive(files: list[tuple[str, Path]]) -> pulumi.AssetArchive:
    return pulumi.AssetArchive({name: pulumi.FileAsset(str(path)) for name, path in files})
