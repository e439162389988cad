"""Resource options the plan JSON does not carry (`protect`, `retainOnDelete`, `aliases`), recorded from the same
mocked run.

`plan --json` records only inputs, and `set_mocks`' `new_resource` never sees options; the mock monitor's
RegisterResource request does. `python -m tests.infra.options --stack prod` runs the real program exactly as `plan`
does (`securebank.infra.mocks.run_program`) while recording, per `<type>::<name>`, the options each registration sent.
An alias is recorded as the URN it names, computed as the engine does: the resource's earlier URN, which `pulumi up`
then moves in the state instead of replacing the resource.
"""

from __future__ import annotations

import argparse
import json
from typing import Any


def alias_urn(alias: Any, request: Any, stack: str, project: str) -> str:
    """The URN an alias names (a full URN, or a spec: name, type and parent default to the resource's own)."""
    if alias.urn:
        return str(alias.urn)
    spec = alias.spec
    name = spec.name or request.name
    resource_type = spec.type or request.type
    parent = "" if spec.noParent else (spec.parentUrn or request.parent)
    parent_type = parent.split("::")[2] if parent else ""
    chain = "" if not parent_type or parent_type == "pulumi:pulumi:Stack" else f"{parent_type}$"
    return f"urn:pulumi:{spec.stack or stack}::{spec.project or project}::{chain}{resource_type}::{name}"


def record_options(stack: str) -> dict[str, dict[str, Any]]:
    from pulumi.runtime import mocks

    from securebank.infra.mocks import PROJECT, run_program

    options: dict[str, dict[str, Any]] = {}
    register = mocks.MockMonitor.RegisterResource

    def recording(self: mocks.MockMonitor, request: Any) -> Any:
        if request.type != "pulumi:pulumi:Stack":
            options[f"{request.type}::{request.name}"] = {
                "protect": bool(request.protect),
                "retainOnDelete": bool(request.retainOnDelete),
                "aliases": [alias_urn(alias, request, stack, PROJECT) for alias in request.aliases],
            }
        return register(self, request)  # type: ignore[no-untyped-call]  # pulumi's mock is unannotated

    mocks.MockMonitor.RegisterResource = recording  # type: ignore[method-assign]
    try:
        run_program(stack)
    finally:
        mocks.MockMonitor.RegisterResource = register  # type: ignore[method-assign]
    return options


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--stack", required=True)
    print(json.dumps(record_options(parser.parse_args().stack), sort_keys=True))


if __name__ == "__main__":
    main()
