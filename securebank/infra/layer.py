"""`make layer`: build the Lambda dependency layer into build/layer/python for arm64 Lambda (python3.12).

pip downloads manylinux2014_aarch64 wheels only (no sdists, so nothing compiles for the wrong machine) and writes no
.pyc files (--no-compile), so that an unchanged requirements file gives byte-identical layer contents and
`pulumi preview` shows no diff. The Pulumi program uses build/layer as a FileArchive when it exists.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LAYER_DIR = ROOT / "build" / "layer"
PLATFORM = "manylinux2014_aarch64"
PYTHON_VERSION = "3.12"


def pip_command(target: Path, root: Path = ROOT) -> list[str]:
    return [
        sys.executable,
        "-m",
        "pip",
        "install",
        "--quiet",
        "--platform",
        PLATFORM,
        "--implementation",
        "cp",
        "--python-version",
        PYTHON_VERSION,
        "--only-binary=:all:",
        "--no-compile",
        "--target",
        str(target),
        "-r",
        str(root / "requirements-lambda.txt"),
        "-c",
        str(root / "constraints.txt"),
    ]


def build(target_root: Path = LAYER_DIR) -> Path:
    """Rebuild from scratch (a stale file from an older pin would otherwise survive) and return the layer root."""
    if target_root.exists():
        shutil.rmtree(target_root)
    target = target_root / "python"
    target.mkdir(parents=True)
    subprocess.run(pip_command(target), check=True)
    for cache in target.rglob("__pycache__"):
        shutil.rmtree(cache)
    return target_root


if __name__ == "__main__":
    print(build())
