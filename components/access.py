"""Access layer: the roles people assume to operate the deployed stack.

- The analyst role invokes the API's analyst routes (GET by id, the review queue, labels: IAM-authorised); its
  statements and trust are in components/roles.py.
- The release role manages the fraud policy's lifecycle (`python -m securebank policy shadow|promote|rollback`): it
  alone may write the release record (POLICY_RELEASE_KEY: which version is active, which in shadow, who approved)
  and the audit records (POLICY_AUDIT_PREFIX); it reads every published version and report under config/fraud-policy/.
  The weekly tuner writes candidates only (components/glue.py), and policy/iam.py `release_record_writers` refuses
  any other writer of the release record or the audit. Same trust as the analyst role: this account, with MFA.
"""

from __future__ import annotations

from typing import Any

import attrs
import pulumi
import pulumi_aws as aws

from components import roles
from components.common import component_opts, policy_document, role_policy, statement
from components.naming import physical_name
from contracts.aws import POLICY_AUDIT_PREFIX, POLICY_PREFIX, POLICY_RELEASE_KEY

ANALYST_SESSION_SECONDS = 3600
RELEASE_SESSION_SECONDS = 3600
RELEASE_ROLE_SUFFIX = "release"
"""The release role is `securebank-<stack>-release` (policy/iam.py RELEASE_ROLE_SUFFIX repeats it; a test holds
them equal)."""


@attrs.frozen
class AccessArgs:
    stack: str
    account_id: pulumi.Input[str]
    stage_execution_arn: pulumi.Input[str]  # the API stage's: arn:aws:execute-api:<region>:<account>:<api id>/<stage>
    region: str
    lake_bucket_arn: pulumi.Input[str]
    lake_key_arn: pulumi.Input[str]


def release_statements(args: AccessArgs) -> list[dict[str, Any]]:
    """Write the release record and audit records; read (and list) config/fraud-policy/; the lake key through S3."""
    bucket = args.lake_bucket_arn
    return [
        statement(
            ["s3:PutObject"],
            [
                pulumi.Output.concat(bucket, "/", POLICY_RELEASE_KEY),
                pulumi.Output.concat(bucket, "/", POLICY_AUDIT_PREFIX, "*"),
            ],
            sid="WriteReleaseRecordAndAudit",
        ),
        statement(["s3:GetObject"], [pulumi.Output.concat(bucket, "/", POLICY_PREFIX, "*")], sid="ReadPolicies"),
        statement(
            ["s3:ListBucket"],
            [bucket],
            sid="ListPolicies",
            condition={"StringLike": {"s3:prefix": [f"{POLICY_PREFIX}*"]}},
        ),
        statement(
            ["kms:Decrypt", "kms:GenerateDataKey"],
            [args.lake_key_arn],
            sid="UseLakeKeyThroughS3",
            condition={"StringEquals": {"kms:ViaService": f"s3.{args.region}.amazonaws.com"}},
        ),
    ]


class Access(pulumi.ComponentResource):
    analyst_role: aws.iam.Role
    release_role: aws.iam.Role

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
        self.release_role = aws.iam.Role(
            f"{name}-release-role",
            name=physical_name(args.stack, RELEASE_ROLE_SUFFIX),
            description="Policy releases: the only writer of the fraud policy's release record and audit",
            assume_role_policy=roles.analyst_trust(args.account_id),
            max_session_duration=RELEASE_SESSION_SECONDS,
            opts=pulumi.ResourceOptions(parent=self),
        )
        role_policy(f"{name}-release-policy", self.release_role, policy_document(*release_statements(args)), self)
        self.register_outputs({"analyst_role_arn": self.analyst_role.arn, "release_role_arn": self.release_role.arn})
