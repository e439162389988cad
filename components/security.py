"""Security layer: one customer-managed KMS key per data domain, rotation on, key policies scoped per service."""

from __future__ import annotations

from typing import Any

import attrs
import pulumi
import pulumi_aws as aws

from components.common import component_opts, stateful_opts
from components.naming import physical_name

# The data domains. `functions` encrypts Lambda environment variables (names only, but CKV_AWS_173 asks for a CMK).
DOMAINS = ("stream", "tables", "lake", "logs", "queues", "functions")
# Domains whose data is copied to the secondary region in DR (DynamoDB replica, S3 CRR, backup copies).
MULTI_REGION_DOMAINS = ("tables", "lake")
# The one service principal whose key-policy grant is unconditioned, as AWS documents it (see key_policy).
EVENTBRIDGE_PRINCIPAL = "events.amazonaws.com"
CRYPTO_ACTIONS = ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*"]


@attrs.frozen
class SecurityArgs:
    stack: str
    region: str
    account_id: pulumi.Input[str]
    replica_region: str | None = None  # when set, the multi-region domains get a replica key there
    # Pulumi `protect` on the keys and replica keys (the stack's deletionProtection). Defaults to protected: a caller
    # that forgets it gets keys that cannot be deleted by accident, not data that can no longer be decrypted.
    protect: bool = True


class Security(pulumi.ComponentResource):
    keys: dict[str, aws.kms.Key]
    replica_keys: dict[str, aws.kms.ReplicaKey]

    def __init__(self, name: str, args: SecurityArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("securebank:pipeline:Security", name, None, component_opts(opts, args.stack, "security"))
        child = pulumi.ResourceOptions(parent=self)
        self.keys = {}
        self.replica_keys = {}
        for domain in DOMAINS:
            multi_region = args.replica_region is not None and domain in MULTI_REGION_DOMAINS
            key = aws.kms.Key(
                f"{name}-{domain}",
                description=f"SecureBank {args.stack}: {domain} data",
                enable_key_rotation=True,
                deletion_window_in_days=30,
                multi_region=multi_region,
                policy=key_policy(domain, args.region, args.account_id),
                opts=stateful_opts(self, args.protect),
            )
            aws.kms.Alias(
                f"{name}-{domain}-alias",
                name=f"alias/{physical_name(args.stack, domain)}",
                target_key_id=key.key_id,
                opts=child,
            )
            self.keys[domain] = key
            if multi_region:
                assert args.replica_region is not None
                self.replica_keys[domain] = aws.kms.ReplicaKey(
                    f"{name}-{domain}-replica",
                    description=f"SecureBank {args.stack}: {domain} data, replica in {args.replica_region}",
                    primary_key_arn=key.arn,
                    deletion_window_in_days=30,
                    policy=key_policy(domain, args.replica_region, args.account_id),
                    region=args.replica_region,
                    opts=stateful_opts(self, args.protect),
                )
        self.register_outputs({f"{domain}_key_arn": key.arn for domain, key in self.keys.items()})


def key_policy(domain: str, region: str, account_id: pulumi.Input[str]) -> pulumi.Output[str]:
    """Account administration through IAM, plus only the service principals the domain needs, each conditioned."""
    root = pulumi.Output.concat("arn:aws:iam::", account_id, ":root")
    statements: list[dict[str, Any]] = [
        {
            "Sid": "AccountAdministersKeyThroughIam",
            "Effect": "Allow",
            "Principal": {"AWS": root},
            "Action": "kms:*",
            "Resource": "*",
        }
    ]
    if domain == "logs":
        statements.append(
            {
                "Sid": "CloudWatchLogsEncryptsThisAccountsLogGroups",
                "Effect": "Allow",
                "Principal": {"Service": f"logs.{region}.amazonaws.com"},
                "Action": CRYPTO_ACTIONS,
                "Resource": "*",
                "Condition": {
                    "ArnLike": {
                        "kms:EncryptionContext:aws:logs:arn": pulumi.Output.concat(
                            "arn:aws:logs:", region, ":", account_id, ":log-group:*"
                        )
                    }
                },
            }
        )
    if domain == "queues":
        statements.append(
            {
                "Sid": "AlarmsPublishToEncryptedTopic",
                "Effect": "Allow",
                "Principal": {"Service": "cloudwatch.amazonaws.com"},
                "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
                "Resource": "*",
                "Condition": {"StringEquals": {"aws:SourceAccount": account_id}},
            }
        )
        # Exactly the statement of the SNS developer guide ("Enable compatibility between event sources from AWS
        # services and encrypted topics"), without a condition: that guide states that adding aws:SourceAccount or
        # aws:SourceArn to the KMS key policy is not supported for EventBridge-to-encrypted-topic delivery (the KMS
        # requests SNS makes for EventBridge do not carry them), so such a condition silently fails every delivery.
        # No other condition is documented as populated on those requests, so none is guessed. What scopes delivery
        # instead is the topic policy (only this account's Glue failure rule may publish). The residual exposure is
        # another account's topic naming this key getting EventBridge deliveries encrypted with it (KMS requests on
        # this account's bill); it gives no access to this account's messages, and the grant is only
        # Decrypt/GenerateDataKey*, never Encrypt, ReEncrypt or key administration.
        statements.append(
            {
                "Sid": "EventBridgePublishesToEncryptedTopic",
                "Effect": "Allow",
                "Principal": {"Service": EVENTBRIDGE_PRINCIPAL},
                "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
                "Resource": "*",
            }
        )
        # The fraud bus (components/cases.py) is encrypted with this key: EventBridge also describes the key when
        # the bus is created or updated (to check it is symmetric); it encrypts and decrypts events with the two
        # actions above (the cases queue and its dead-letter queue, on this key too, need those same two).
        statements.append(
            {
                "Sid": "EventBridgeDescribesKeyForTheFraudBus",
                "Effect": "Allow",
                "Principal": {"Service": EVENTBRIDGE_PRINCIPAL},
                "Action": ["kms:DescribeKey"],
                "Resource": "*",
                "Condition": {"StringEquals": {"aws:SourceAccount": account_id}},
            }
        )
    return pulumi.Output.json_dumps({"Version": "2012-10-17", "Statement": statements})
