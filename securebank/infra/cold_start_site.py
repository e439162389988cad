"""What `bench cold-start` imports beside the code bundle: the dependency layer and boto3, compiled like the
archives (securebank/infra/bytecode.py), each rebuilt only when its inputs change.

- The layer: build/layer holds manylinux2014_aarch64 wheels, whose compiled extensions (rpds-py, under jsonschema)
  cannot load on another machine. On arm64 with build/layer built, it is used as it is; elsewhere a layer for this
  machine is built from the same requirements-lambda.txt and constraints.txt into build/cold-start/layer/python.
- boto3: in AWS it comes with the runtime, not the layer; here it is constraints.txt's pin, in
  build/cold-start/runtime.
"""

from __future__ import annotations

import hashlib
import platform
from pathlib import Path
from typing import Any

from components.packaging import BYTECODE_TAG, LAYER_DIR
from securebank.infra.layer import LAYER_DDIR, install, pip_command

SITE_DIR = Path("build") / "cold-start"
LAMBDA_MACHINES = ("aarch64", "arm64")
RUNTIME_DDIR = "/var/runtime"


def prepare(root: Path, python: str) -> dict[str, Any]:
    """{"layer", "runtime": directories to put on sys.path after the code, "notes": what differs from Lambda}."""
    notes: list[str] = []
    machine = platform.machine()
    shipped = root / LAYER_DIR / "python"
    if machine in LAMBDA_MACHINES and any(shipped.rglob(f"*.{BYTECODE_TAG}.pyc")):
        layer = shipped
    else:
        layer = root / SITE_DIR / "layer" / "python"
        _fresh(root, layer, python, pip_command(layer, root, platform=None), LAYER_DDIR)
        notes.append(
            f"this machine is {machine}; the layer (`make layer`) is built for manylinux2014_aarch64, so the "
            f"measurement imports a {machine} layer built from the same requirements-lambda.txt and constraints.txt "
            f"into {layer.relative_to(root)}"
        )
    runtime = root / SITE_DIR / "runtime"
    _fresh(root, runtime, python, pip_command(runtime, root, platform=None, requirements=("boto3",)), RUNTIME_DDIR)
    notes.append(f"boto3 (the Lambda runtime's in AWS) is constraints.txt's pin, in {runtime.relative_to(root)}")
    return {"layer": str(layer), "runtime": str(runtime), "notes": notes}


def _fresh(root: Path, target: Path, python: str, command: list[str], ddir: str) -> None:
    """Install `target` with `command` and compile it, unless its stamp says it already was, from these inputs."""
    inputs = [*command, python, platform.machine()]
    inputs += [(root / name).read_text() for name in ("requirements-lambda.txt", "constraints.txt")]
    stamp = target.parent / f".{target.name}.stamp"
    digest = hashlib.sha256("\0".join(inputs).encode()).hexdigest()
    if not (target.is_dir() and stamp.is_file() and stamp.read_text() == digest):
        install(target, command, python, ddir)
        stamp.write_text(digest)
