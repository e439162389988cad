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
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ACCOUNT_ID = "123456789012"
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


def _region_of(inputs: dict[str, Any], default: str) -> str:
    region = inputs.get("region")
    return region if isinstance(region, str) and region else default


@dataclass
class _Mocked:
    """One resource being mocked: what its output shape function reads and fills in."""

    name: str
    physical: str
    region: str
    inputs: dict[str, Any]
    state: dict[str, Any]

    def arn(self, service: str, resource: str) -> str:
        self.state["arn"] = f"arn:aws:{service}:{self.region}:{ACCOUNT_ID}:{resource}"
        return str(self.state["arn"])


def _digest(name: str, length: int) -> str:
    return hashlib.sha256(name.encode()).hexdigest()[:length]


def _bucket(r: _Mocked) -> str:
    r.state["bucket"] = r.physical
    r.state["arn"] = f"arn:aws:s3:::{r.physical}"
    r.state["bucketRegionalDomainName"] = f"{r.physical}.s3.{r.region}.amazonaws.com"
    return r.physical


def _kms_key(r: _Mocked) -> str:
    key_id = f"key-{_digest(r.name, 12)}"
    r.state["keyId"] = key_id
    r.arn("kms", f"key/{key_id}")
    return key_id


def _table(r: _Mocked) -> str:
    arn = r.arn("dynamodb", f"table/{r.physical}")
    r.state["streamArn"] = f"{arn}/stream/2026-01-01T00:00:00.000"
    return r.physical


def _queue(r: _Mocked) -> str:
    r.arn("sqs", r.physical)
    r.state["url"] = f"https://sqs.{r.region}.amazonaws.com/{ACCOUNT_ID}/{r.physical}"
    return str(r.state["url"])


def _global_arn(kind: str) -> Callable[[_Mocked], str]:
    """IAM: no region in the ARN."""

    def shape(r: _Mocked) -> str:
        r.state["arn"] = f"arn:aws:iam::{ACCOUNT_ID}:{kind}/{r.physical}"
        return r.physical if kind == "role" else str(r.state["arn"])

    return shape


def _function(r: _Mocked) -> str:
    arn = r.arn("lambda", f"function:{r.physical}")
    r.state["invokeArn"] = f"arn:aws:apigateway:{r.region}:lambda:path/2015-03-31/functions/{arn}/invocations"
    return r.physical


def _layer(r: _Mocked) -> None:
    r.arn("lambda", f"layer:{r.inputs.get('layerName', r.name)}:1")


def _rest_api(r: _Mocked) -> str:
    api_id = _digest(r.name, 10)
    r.state["rootResourceId"] = f"{api_id}-root"
    r.state["executionArn"] = f"arn:aws:execute-api:{r.region}:{ACCOUNT_ID}:{api_id}"
    r.state["arn"] = f"arn:aws:apigateway:{r.region}::/restapis/{api_id}"
    return api_id


def _stage(r: _Mocked) -> None:
    api, stage = r.inputs.get("restApi", "api"), r.inputs.get("stageName", "")
    r.state["invokeUrl"] = f"https://{api}.execute-api.{r.region}.amazonaws.com/{stage}"
    r.state["executionArn"] = f"arn:aws:execute-api:{r.region}:{ACCOUNT_ID}:{api}/{stage}"
    r.state["arn"] = f"arn:aws:apigateway:{r.region}::/restapis/{api}/stages/{stage}"


def _vpc(r: _Mocked) -> str:
    vpc_id = f"vpc-{_digest(r.name, 8)}"
    r.state["defaultRouteTableId"] = f"rtb-{vpc_id}"
    return vpc_id


def _vpc_endpoint(r: _Mocked) -> str:
    r.state["prefixListId"] = f"pl-{_digest(r.name, 8)}"
    return f"vpce-{_digest(r.name, 8)}"


def _arn_then(service: str, prefix: str, resource_id: str) -> Callable[[_Mocked], str | None]:
    """The ARN `arn:aws:<service>:<region>:<account>:<prefix><physical>`; the id is the physical name, the ARN, or
    the default (`resource_id` "physical", "arn" or "")."""

    def shape(r: _Mocked) -> str | None:
        arn = r.arn(service, f"{prefix}{r.physical}")
        return {"physical": r.physical, "arn": arn}.get(resource_id)

    return shape


# The outputs other resources read, per resource type; any other type keeps its inputs and a generic ARN.
OUTPUT_SHAPES: dict[str, Callable[[_Mocked], str | None]] = {
    "aws:s3/bucket:Bucket": _bucket,
    "aws:kms/key:Key": _kms_key,
    "aws:kms/replicaKey:ReplicaKey": _kms_key,
    "aws:kms/alias:Alias": _arn_then("kms", "", ""),
    "aws:dynamodb/table:Table": _table,
    "aws:kinesis/stream:Stream": _arn_then("kinesis", "stream/", "arn"),
    "aws:sqs/queue:Queue": _queue,
    "aws:sns/topic:Topic": _arn_then("sns", "", "arn"),
    "aws:iam/role:Role": _global_arn("role"),
    "aws:iam/policy:Policy": _global_arn("policy"),
    "aws:lambda/function:Function": _function,
    "aws:lambda/layerVersion:LayerVersion": _layer,
    "aws:cloudwatch/logGroup:LogGroup": _arn_then("logs", "log-group:", "physical"),
    "aws:apigateway/restApi:RestApi": _rest_api,
    "aws:apigateway/stage:Stage": _stage,
    "aws:backup/vault:Vault": _arn_then("backup", "backup-vault:", "physical"),
    "aws:glue/catalogDatabase:CatalogDatabase": lambda r: f"{ACCOUNT_ID}:{r.physical}",
    "aws:ec2/vpc:Vpc": _vpc,
    "aws:ec2/vpcEndpoint:VpcEndpoint": _vpc_endpoint,
}


def mock_outputs(typ: str, name: str, inputs: dict[str, Any], default_region: str) -> tuple[str, dict[str, Any]]:
    """A resource's id and output state: its inputs plus the attributes other resources reference."""
    region = _region_of(inputs, default_region)
    _, module, _ = [*typ.split(":"), "", ""][:3]
    physical = inputs.get("name") or inputs.get("bucket") or name
    resource = _Mocked(name, physical, region, inputs, {**inputs})
    resource.state.setdefault("name", physical)
    resource.arn(module.split("/")[0], physical)
    shape = OUTPUT_SHAPES.get(typ)
    if shape is None and typ.startswith("aws:ec2/"):
        return f"{name}-{_digest(name, 8)}", resource.state
    resource_id = shape(resource) if shape is not None else None
    return resource_id or f"{name}-id", resource.state


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
