"""Resource options the plan JSON does not carry (`protect`, `retainOnDelete`), recorded from the same mocked run.

`plan --json` records only inputs, and `set_mocks`' `new_resource` never sees options; the mock monitor's
RegisterResource request does. `python -m tests.infra.options --stack prod` runs the real program exactly as `plan`
does (`securebank.infra_mocks.run_program`) while recording, per `<type>::<name>`, the options each registration sent.
"""

from __future__ import annotations

import argparse
import json
from typing import Any


def record_options(stack: str) -> dict[str, dict[str, bool]]:
    from pulumi.runtime import mocks

    from securebank.infra_mocks import run_program

    options: dict[str, dict[str, bool]] = {}
    register = mocks.MockMonitor.RegisterResource

    def recording(self: mocks.MockMonitor, request: Any) -> Any:
        if request.type != "pulumi:pulumi:Stack":
            options[f"{request.type}::{request.name}"] = {
                "protect": bool(request.protect),
                "retainOnDelete": bool(request.retainOnDelete),
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
