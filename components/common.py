"""Helpers every component shares: cost-allocation tags, IAM policy documents, TLS-only statements, log groups."""

from __future__ import annotations

import functools
import inspect
import json
from collections.abc import Mapping, Sequence
from typing import Any, cast

import pulumi
import pulumi_aws as aws

from components.naming import PROJECT

PARTITION = "aws"


def tag_children(stack: str, component: str) -> pulumi.ResourceTransformation:
    """A transformation that gives every taggable resource in a component `project`, `stack` and `component` tags.

    Registered on the component, so it also reaches every child; tags a resource sets itself win.
    """

    def transform(args: pulumi.ResourceTransformationArgs) -> pulumi.ResourceTransformationResult | None:
        resource_class: type = type(args.resource)
        if not _taggable(resource_class):
            return None
        own_tags = cast("dict[str, Any]", args.props.get("tags") or {})
        tags = {"project": PROJECT, "stack": stack, "component": component, **own_tags}
        return pulumi.ResourceTransformationResult({**args.props, "tags": tags}, args.opts)

    return transform


@functools.cache
def _taggable(resource_class: type) -> bool:
    init = getattr(resource_class, "_internal_init", None)
    return init is not None and "tags" in inspect.signature(init).parameters


def component_opts(opts: pulumi.ResourceOptions | None, stack: str, component: str) -> pulumi.ResourceOptions:
    return pulumi.ResourceOptions.merge(pulumi.ResourceOptions(transformations=[tag_children(stack, component)]), opts)


def statement(
    actions: Sequence[str],
    resources: Sequence[pulumi.Input[str]],
    *,
    sid: str | None = None,
    effect: str = "Allow",
    condition: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """One IAM statement. Actions are sorted so that the rendered document is stable."""
    doc: dict[str, Any] = {"Effect": effect, "Action": sorted(actions), "Resource": list(resources)}
    if sid:
        doc["Sid"] = sid
    if condition:
        doc["Condition"] = dict(condition)
    return doc


def policy_document(*statements: dict[str, Any]) -> pulumi.Output[str]:
    """A JSON policy document; Outputs inside statements (ARNs) are resolved first."""
    return pulumi.Output.json_dumps({"Version": "2012-10-17", "Statement": list(statements)})


def role_policy(
    name: str, role: aws.iam.Role, document: pulumi.Input[str], parent: pulumi.Resource
) -> aws.iam.RolePolicyAttachment:
    """A customer-managed policy attached to one role (PCI/cdk-nag IAMNoInlinePolicy: no inline policies)."""
    policy = aws.iam.Policy(name, policy=document, opts=pulumi.ResourceOptions(parent=parent))
    return aws.iam.RolePolicyAttachment(
        f"{name}-attachment", role=role.name, policy_arn=policy.arn, opts=pulumi.ResourceOptions(parent=parent)
    )


def assume_role_policy(service: str, source_account: pulumi.Input[str] | None = None) -> pulumi.Output[str]:
    trust: dict[str, Any] = {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}
    if source_account is not None:
        trust["Condition"] = {"StringEquals": {"aws:SourceAccount": source_account}}
    return pulumi.Output.json_dumps({"Version": "2012-10-17", "Statement": [trust]})


def deny_insecure_transport(actions: str | Sequence[str], resources: Sequence[pulumi.Input[str]]) -> dict[str, Any]:
    """The TLS-only statement for a resource policy (bucket, queue, topic)."""
    return {
        "Sid": "DenyInsecureTransport",
        "Effect": "Deny",
        "Principal": "*",
        "Action": actions,
        "Resource": list(resources),
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }


def log_group(
    name: str,
    physical_name: pulumi.Input[str],
    *,
    retention_days: int,
    kms_key_arn: pulumi.Input[str],
    parent: pulumi.Resource,
    region: str | None = None,
) -> aws.cloudwatch.LogGroup:
    """Every log group in the program: retention and a CMK, created before whatever writes to it."""
    return aws.cloudwatch.LogGroup(
        name,
        name=physical_name,
        retention_in_days=retention_days,
        kms_key_id=kms_key_arn,
        region=region,
        opts=pulumi.ResourceOptions(parent=parent),
    )


def stateful_opts(parent: pulumi.Resource, protect: bool) -> pulumi.ResourceOptions:
    """Options for a resource that holds data or keeps it readable: KMS keys, the tables, the lake bucket.

    `protect=True` (prod) makes Pulumi refuse to delete or replace the resource, whether by `pulumi destroy` or by a
    replacement in an approved preview, until someone runs `pulumi state unprotect` on purpose. `retain_on_delete`
    stays off deliberately: protection already forces that decision to be explicit, and retaining would instead
    orphan resources with fixed physical names (the stack's next `up` then fails on the name) and leave a destroyed
    dev stack's data billed and unmanaged. The AWS-side guards stay as they are: the tables'
    `deletion_protection_enabled`, the keys' 30-day deletion window, S3 refusing to delete a non-empty bucket.
    """
    return pulumi.ResourceOptions(parent=parent, protect=protect, retain_on_delete=False)


def stable_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"))
