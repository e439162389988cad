"""Bytecode for the Lambda runtime's Python, compiled so that an unchanged tree gives byte-identical `.pyc` files.

Lambda cannot write `.pyc` into /var/task or /opt, so an archive without them compiles every module at every cold
start. Both archives (the code bundle and the layer) are compiled here, by an interpreter of the runtime's version
(components/processing.py RUNTIME):

- `--invalidation-mode unchecked-hash`: the `.pyc` holds a hash of its source instead of the source's mtime, and
  the loader uses it without looking at the source, so mtimes change nothing and no stat of the source is needed;
- `-d DDIR`: the path recorded in the code objects is where the archive is unpacked (/var/task, /opt/python), not
  where it was built, so two checkouts build the same bytes;
- PYTHONHASHSEED=0: frozenset constants (`x in {"a", "b"}`) are marshalled in iteration order, which string hash
  randomisation would otherwise change from build to build.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
from pathlib import Path

from components.packaging import LAMBDA_PYTHON_VERSION
from components.processing import RUNTIME

PYTHON_ENV_VAR = "SECUREBANK_LAMBDA_PYTHON"
"""Path of the interpreter to compile with, when it is neither `python3.12` on PATH nor one of pyenv's versions."""


class InterpreterNotFound(RuntimeError):
    """No python3.12 to compile the archives with."""


def find_python(version: str = LAMBDA_PYTHON_VERSION, environ: dict[str, str] | None = None) -> str:
    """The interpreter of `version`: $SECUREBANK_LAMBDA_PYTHON, else `python3.12` on PATH, else pyenv's versions
    directory ($PYENV_ROOT or ~/.pyenv). Each candidate is run, so a pyenv shim that is not installed is skipped."""
    environ = dict(os.environ) if environ is None else environ
    override = environ.get(PYTHON_ENV_VAR)
    if override:
        if _version_of(override) != version:
            raise InterpreterNotFound(f"{PYTHON_ENV_VAR}={override} is not a Python {version} interpreter")
        return override
    pyenv_root = Path(environ.get("PYENV_ROOT") or Path.home() / ".pyenv")
    on_path = shutil.which(f"python{version}", path=environ.get("PATH"))
    candidates = [on_path] if on_path else []
    candidates += sorted(glob.glob(str(pyenv_root / "versions" / f"{version}*" / "bin" / f"python{version}")))
    for candidate in candidates:
        if _version_of(candidate) == version:
            return candidate
    raise InterpreterNotFound(
        f"python{version} (the Lambda runtime {RUNTIME}) is needed to compile the archives' bytecode and was not "
        f"found: tried ${PYTHON_ENV_VAR}, python{version} on PATH and {pyenv_root}/versions/{version}*. Install it "
        f"(e.g. `pyenv install {version}`) or set {PYTHON_ENV_VAR} to its path."
    )


def _version_of(python: str) -> str | None:
    try:
        out = subprocess.run(
            [python, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
            capture_output=True, text=True, timeout=30, check=False,
        )  # fmt: skip
    except OSError:
        return None
    return out.stdout.strip() if out.returncode == 0 else None


def compile_command(python: str, directory: Path, ddir: str) -> list[str]:
    return [
        python, "-m", "compileall", "-q", "-f", "-j", "0",
        "--invalidation-mode", "unchecked-hash", "-d", ddir, str(directory),
    ]  # fmt: skip


def compile_tree(python: str, directory: Path, ddir: str) -> None:
    """Compile every module under `directory` in place (`__pycache__/<name>.<tag>.pyc`), as if it lay at `ddir`."""
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONHASHSEED": "0"}
    result = subprocess.run(compile_command(python, directory, ddir), env=env, capture_output=True, text=True,
                            check=False)  # fmt: skip
    if result.returncode != 0:
        raise RuntimeError(f"compileall failed in {directory}:\n{result.stdout}{result.stderr}")


def remove_bytecode(directory: Path) -> None:
    for cache in sorted(directory.rglob("__pycache__"), reverse=True):
        shutil.rmtree(cache)
