"""Lambda packaging: the code archive (deterministic AssetArchive) and the dependency layer (`make layer` output)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pulumi

CODE_PACKAGES = ("domain", "adapters", "handlers", "contracts")
EXCLUDED_DIRS = frozenset({"__pycache__", ".mypy_cache", ".pytest_cache", ".ruff_cache"})
EXCLUDED_SUFFIXES = (".pyc", ".pyo")
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
    digest = hashlib.sha256()
    for name, path in code_files(root, packages):
        digest.update(name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def code_archive(root: Path, packages: tuple[str, ...] = CODE_PACKAGES) -> pulumi.AssetArchive:
    """The Lambda code: an AssetArchive of FileAssets in sorted order (never a zip we built: mtimes change its hash)."""
    return pulumi.AssetArchive({name: pulumi.FileAsset(str(path)) for name, path in code_files(root, packages)})


def layer_archive(root: Path) -> tuple[pulumi.Archive, bool]:
    """The dependency layer from `make layer`, and whether it was built.

    Without build/layer the program still plans (previews, `plan`, tests), with a one-file placeholder layer and a
    warning; `pulumi up` refuses (see `require_layer`), because functions deployed with it could not import attrs.
    """
    directory = root / LAYER_DIR
    if (directory / "python").is_dir():
        return pulumi.FileArchive(str(directory)), True
    placeholder = "Placeholder: run `make layer` before `pulumi up`; this layer has no dependencies.\n"
    return pulumi.AssetArchive({LAYER_PLACEHOLDER: pulumi.StringAsset(placeholder)}), False
