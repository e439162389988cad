"""What the Pulumi mocks answer for a registered resource: a plausible id, and output state with the ARNs and names
other resources reference (STYLE 11), one small shape function per mocked resource type."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ACCOUNT_ID = "123456789012"
REPO_ROOT = Path(__file__).resolve().parents[2]


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


def _domain_name(r: _Mocked) -> str:
    """API Gateway's regional target for the DNS alias: `d-<id>.execute-api.<region>.amazonaws.com`."""
    domain = str(r.inputs.get("domainName", r.name))
    r.state["regionalDomainName"] = f"d-{_digest(domain, 10)}.execute-api.{r.region}.amazonaws.com"
    r.state["regionalZoneId"] = f"Z{_digest(r.region, 12).upper()}"
    r.state["arn"] = f"arn:aws:apigateway:{r.region}::/domainnames/{domain}"
    return domain


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


def _stack_reference(r: _Mocked) -> None:
    """A DR stack's reference to its primary (components/replica.py, components/failover.py): the exports it reads,
    as the primary's own plan mocks them, from the primary's Pulumi.<stack>.yaml (`<org>/<project>/<stack>`)."""
    import yaml

    stack = r.name.rsplit("/", 1)[-1]
    config = yaml.safe_load((REPO_ROOT / f"Pulumi.{stack}.yaml").read_text())["config"]
    region, secondary = config["aws:region"], config["securebank:secondaryRegion"]
    domain_name = config.get("securebank:domainName", "")
    domain = _Mocked("ingestion-domain", domain_name, region, {"domainName": domain_name}, {})
    _domain_name(domain)
    replica_keys = {
        f"dr_{key}_key_arn": f"arn:aws:kms:{secondary}:{ACCOUNT_ID}:key/key-{_digest(f'security-{key}-replica', 12)}"
        for key in ("tables", "lake")
    }
    r.state["outputs"] = {
        **replica_keys,
        "api_domain_target": domain.state["regionalDomainName"],
        "api_domain_zone_id": domain.state["regionalZoneId"],
        "alerts_topic_arn": f"arn:aws:sns:{region}:{ACCOUNT_ID}:securebank-{stack}-alerts",
    }


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
    "aws:apigateway/domainName:DomainName": _domain_name,
    "aws:backup/vault:Vault": _arn_then("backup", "backup-vault:", "physical"),
    "aws:glue/catalogDatabase:CatalogDatabase": lambda r: f"{ACCOUNT_ID}:{r.physical}",
    "aws:ec2/vpc:Vpc": _vpc,
    "aws:ec2/vpcEndpoint:VpcEndpoint": _vpc_endpoint,
    "pulumi:pulumi:StackReference": _stack_reference,
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
