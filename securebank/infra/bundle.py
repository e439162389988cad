"""`make bundle`: the Lambda code (components/packaging.py CODE_PACKAGES) with its python3.12 bytecode, in
build/lambda-code, which the Pulumi program ships when it is current (components/packaging.py
`lambda_code_archive`).

The sources are copied as they are and compiled in place (securebank/infra/bytecode.py: unchecked-hash, recorded
as /var/task, PYTHONHASHSEED=0), so an unchanged tree gives byte-identical files and an unchanged archive hash.
The sources stay beside their bytecode for tracebacks; with unchecked-hash `.pyc` the loader never reads them.

`python -m securebank.infra.bundle --for-cold-start` also prepares what `bench cold-start` imports beside it
(securebank/infra/cold_start_site.py) and prints the paths as JSON.
"""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

from components.packaging import BUNDLE_DIR, bundle_is_current, code_files
from securebank.infra.bytecode import compile_tree, find_python

ROOT = Path(__file__).resolve().parents[2]
CODE_DDIR = "/var/task"
"""Where Lambda unpacks the code archive: the path the bytecode records for tracebacks."""


def build(root: Path = ROOT, target: Path | None = None, python: str | None = None) -> Path:
    """Rebuild from scratch (a deleted module must not survive in the bundle) and return the bundle's root."""
    target = target or root / BUNDLE_DIR
    python = python or find_python()
    if target.exists():
        shutil.rmtree(target)
    for name, path in code_files(root):
        destination = target / name
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, destination)
    compile_tree(python, target, CODE_DDIR)
    return target


def ensure(root: Path = ROOT, python: str | None = None) -> tuple[Path, bool]:
    """build/lambda-code, rebuilt only when a source changed; and whether it was rebuilt."""
    if bundle_is_current(root):
        return root / BUNDLE_DIR, False
    return build(root, python=python), True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m securebank.infra.bundle", description=__doc__)
    parser.add_argument("--for-cold-start", action="store_true", help="also prepare bench cold-start's site (JSON)")
    args = parser.parse_args(argv)
    python = find_python()
    if not args.for_cold_start:
        print(build(python=python))
        return 0
    from securebank.infra.cold_start_site import prepare

    code, rebuilt = ensure(python=python)
    site = prepare(ROOT, python)
    notes = [f"{code} was rebuilt from the current sources"] if rebuilt else []
    print(json.dumps({"python": python, "code": str(code), **site, "notes": [*notes, *site["notes"]]}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
