"""`make layer`: build the Lambda dependency layer into build/layer/python for arm64 Lambda (python3.12).

pip downloads manylinux2014_aarch64 wheels only (no sdists, so nothing compiles for the wrong machine) and writes no
.pyc files itself (--no-compile: its bytecode would carry this machine's interpreter and timestamps). The layer is
then compiled by a python3.12 with unchecked-hash `.pyc` recorded as /opt/python (securebank/infra/bytecode.py),
so that Lambda, which cannot write bytecode into /opt, compiles nothing at a cold start, and an unchanged
requirements file still gives byte-identical layer contents and no diff in `pulumi preview`. The Pulumi program uses
build/layer as a FileArchive when it exists.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from components.packaging import LAMBDA_PYTHON_VERSION
from securebank.infra.bytecode import compile_tree, find_python, remove_bytecode

ROOT = Path(__file__).resolve().parents[2]
LAYER_DIR = ROOT / "build" / "layer"
PLATFORM = "manylinux2014_aarch64"
PYTHON_VERSION = LAMBDA_PYTHON_VERSION
LAYER_DDIR = "/opt/python"
"""Where Lambda unpacks the layer's python/ directory."""


def pip_command(
    target: Path, root: Path = ROOT, platform: str | None = PLATFORM, requirements: tuple[str, ...] = ()
) -> list[str]:
    """pip installing requirements-lambda.txt (or `requirements`) under constraints.txt, wheels only, for
    python3.12 on `platform` (None: this machine's)."""
    platform_args = ["--platform", platform] if platform else []
    wanted = list(requirements) or ["-r", str(root / "requirements-lambda.txt")]
    return [
        sys.executable, "-m", "pip", "install", "--quiet", *platform_args,
        "--implementation", "cp", "--python-version", PYTHON_VERSION, "--only-binary=:all:", "--no-compile",
        "--target", str(target), *wanted, "-c", str(root / "constraints.txt"),
    ]  # fmt: skip


def install(target: Path, command: list[str], python: str, ddir: str = LAYER_DDIR) -> Path:
    """Install from scratch into `target` (a stale file from an older pin would otherwise survive) and compile."""
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    subprocess.run(command, check=True)
    remove_bytecode(target)
    compile_tree(python, target, ddir)
    return target


def build(target_root: Path = LAYER_DIR) -> Path:
    """Rebuild build/layer and return the layer root."""
    python = find_python()  # before pip: a missing interpreter should fail fast
    install(target_root / "python", pip_command(target_root / "python"), python)
    return target_root


if __name__ == "__main__":
    print(build())
