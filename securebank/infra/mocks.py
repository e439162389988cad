"""Run the Pulumi program offline under `pulumi.runtime.set_mocks` and return the registered resource graph.

Used by `python -m securebank plan` and by tests/infra (through `plan --json` in a subprocess, because Pulumi's
mock runtime is process-global and dev and prod must each run in a fresh interpreter).

The mocks return plausible ids and ARNs derived from each resource's name and region (STYLE 11), so references
between resources resolve to checkable strings. Every registration is recorded with its parent; the graph is read
only after the program has drained, never inside `apply`.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import runpy
import sys
from pathlib import Path
from typing import Any

import yaml

from securebank.infra.mock_outputs import ACCOUNT_ID, mock_outputs

__all__ = ["ACCOUNT_ID", "PROJECT", "mock_outputs", "run_program", "stack_config"]

PROJECT = "securebank"
SECRET_PLACEHOLDER = "<secret>"
SECRET_MARKER = "[secret]"
REPO_ROOT = Path(__file__).resolve().parents[2]


def stack_config(stack: str, root: Path = REPO_ROOT) -> tuple[dict[str, str], list[str]]:
    """The stack's YAML config as the engine would pass it: values as strings, objects as JSON, and the secret keys.

    `secure:` values cannot be decrypted offline; they become a placeholder and are reported as secret keys.
    """
    path = root / f"Pulumi.{stack}.yaml"
    if not path.exists():
        raise FileNotFoundError(
            f"no stack file {path.name}; stacks: {sorted(p.name for p in root.glob('Pulumi.*.yaml'))}"
        )
    document = yaml.safe_load(path.read_text()) or {}
    config: dict[str, str] = {}
    secret_keys: list[str] = []
    for key, value in (document.get("config") or {}).items():
        full_key = key if ":" in key else f"{PROJECT}:{key}"
        if isinstance(value, dict) and set(value) == {"secure"}:
            config[full_key] = SECRET_PLACEHOLDER
            secret_keys.append(full_key)
        elif isinstance(value, str):
            config[full_key] = value
        else:
            config[full_key] = json.dumps(value)
    return config, secret_keys


def _call_result(token: str, args: dict[str, Any], region: str) -> dict[str, Any]:
    if token == "aws:index/getCallerIdentity:getCallerIdentity":
        return {
            "accountId": ACCOUNT_ID,
            "arn": f"arn:aws:iam::{ACCOUNT_ID}:user/plan",
            "userId": "plan",
            "id": ACCOUNT_ID,
        }
    if token == "aws:index/getRegion:getRegion":
        return {"name": region, "region": region, "id": region}
    if token == "aws:index/getPartition:getPartition":
        return {"partition": "aws", "dnsSuffix": "amazonaws.com", "id": "aws"}
    if token == "aws:index/getAvailabilityZones:getAvailabilityZones":
        return {"names": [f"{region}a", f"{region}b", f"{region}c"], "zoneIds": ["z1", "z2", "z3"], "id": region}
    return {}


def _plain(value: Any) -> Any:
    """Inputs as JSON: assets and archives become a content hash, so two plans of one tree compare equal."""
    import pulumi
    from pulumi.runtime import rpc

    if isinstance(value, dict):
        if value.get(rpc._special_sig_key) == rpc._special_secret_sig:
            return SECRET_MARKER  # a secret input (e.g. require_secret config): never printed
        return {key: _plain(value[key]) for key in sorted(value)}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, pulumi.AssetArchive):
        return {"assetArchive": {key: _plain(value.assets[key]) for key in sorted(value.assets)}}
    if isinstance(value, pulumi.FileAsset):
        path = Path(value.path)
        digest = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else None
        return {"path": _relative(path), "sha256": digest}
    if isinstance(value, pulumi.FileArchive):
        return {"path": _relative(Path(value.path))}
    if isinstance(value, pulumi.StringAsset):
        return {"sha256": hashlib.sha256(value.text.encode()).hexdigest()}
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    if isinstance(value, float) and value.is_integer():
        return int(value)  # the wire has only doubles; 100 reads better than 100.0 in a plan
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return repr(value)


def _relative(path: Path) -> str:
    path = path.resolve()
    return path.relative_to(REPO_ROOT).as_posix() if path.is_relative_to(REPO_ROOT) else path.as_posix()


def run_program(stack: str, root: Path = REPO_ROOT) -> list[dict[str, Any]]:
    """Run `__main__.py` for a stack under mocks; return `[{"type", "name", "parent", "inputs"}]` in stable order."""
    import pulumi
    from pulumi.runtime import mocks
    from pulumi.runtime.stack import run_pulumi_func
    from pulumi.runtime.sync_await import _sync_await

    config, secret_keys = stack_config(stack, root)
    region = config.get("aws:region", "eu-west-1")
    os.environ["PULUMI_CONFIG"] = json.dumps(config)
    os.environ["PULUMI_CONFIG_SECRET_KEYS"] = json.dumps(secret_keys)
    pulumi.runtime.set_all_config(config, secret_keys)

    class Recorder(pulumi.runtime.Mocks):
        def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
            return mock_outputs(args.typ, args.name, args.inputs, region)

        # pulumi's MockMonitor.Invoke accepts a bare dict too (it checks isinstance(..., dict)); its stub says tuple
        def call(self, args: pulumi.runtime.MockCallArgs) -> dict[str, Any]:  # type: ignore[override]
            return _call_result(args.token, args.args, region)

    records: list[dict[str, Any]] = []

    class Monitor(mocks.MockMonitor):
        def RegisterResource(self, request: Any) -> Any:  # noqa: N802 (gRPC method name)
            response = super().RegisterResource(request)  # type: ignore[no-untyped-call]  # pulumi's mock is unannotated
            if request.type != "pulumi:pulumi:Stack":
                from pulumi.runtime import rpc

                inputs = rpc.deserialize_properties(request.object)
                parent = request.parent.split("::")[-1] if request.parent else None
                stack_parent = parent is not None and request.parent.split("::")[2].endswith("pulumi:pulumi:Stack")
                records.append(
                    {
                        "type": request.type,
                        "name": request.name,
                        "parent": None if stack_parent else parent,
                        "inputs": _plain(inputs),
                    }
                )
            return response

    pulumi.runtime.set_mocks(Recorder(), project=PROJECT, stack=stack, preview=True, monitor=Monitor(Recorder()))
    sys.path.insert(0, str(root))

    def program() -> None:
        runpy.run_path(str(root / "__main__.py"), run_name="__main__")

    try:
        _sync_await(run_pulumi_func(program))
    finally:
        sys.path.remove(str(root))
    # The stack's exports, resolved after the program drained: shown as the Stack "resource" with its outputs.
    stack_resource = pulumi.runtime.settings.get_root_resource()
    exports = _sync_await(pulumi.Output.from_input(dict(getattr(stack_resource, "outputs", {}))).future())
    records.append(
        {"type": "pulumi:pulumi:Stack", "name": f"{PROJECT}-{stack}", "parent": None, "inputs": _plain(exports or {})}
    )
    return sorted(records, key=lambda record: (record["type"], record["name"]))
