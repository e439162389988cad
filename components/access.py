"""Access layer: the roles people assume to use the deployed API. Today one, the analyst role, which reads
transactions (GET by id is IAM-authorised); its statements and trust are in components/roles.py."""

from __future__ import annotations

import attrs
import pulumi
import pulumi_aws as aws

from components import roles
from components.common import component_opts, policy_document, role_policy
from components.naming import physical_name

ANALYST_SESSION_SECONDS = 3600


@attrs.frozen
class AccessArgs:
    stack: str
    account_id: pulumi.Input[str]
    stage_execution_arn: pulumi.Input[str]  # the API stage's: arn:aws:execute-api:<region>:<account>:<api id>/<stage>


class Access(pulumi.ComponentResource):
    analyst_role: aws.iam.Role

    def __init__(self, name: str, args: AccessArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("securebank:pipeline:Access", name, None, component_opts(opts, args.stack, "access"))
        self.analyst_role = aws.iam.Role(
            f"{name}-analyst-role",
            name=physical_name(args.stack, "analyst"),
            description="Fraud analysts: invoke the API's analyst routes (components/roles.py ANALYST_ROUTES)",
            assume_role_policy=roles.analyst_trust(args.account_id),
            max_session_duration=ANALYST_SESSION_SECONDS,
            opts=pulumi.ResourceOptions(parent=self),
        )
        role_policy(
            f"{name}-analyst-invoke",
            self.analyst_role,
            policy_document(*roles.analyst_statements(args.stage_execution_arn)),
            self,
        )
        self.register_outputs({"analyst_role_arn": self.analyst_role.arn})
