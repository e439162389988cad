"""Cases layer: flagged transactions out. A TransactionFlagged event per flag reaches the fraud bus; a rule routes
every one of them to the cases queue (for case management), another routes the high-score ones to the alerts topic.

- The events come from the outbox (components/outbox.py): a pipe from the Transactions table's stream, which puts
  the committed flagged items on the bus.

- The bus is encrypted with the stack's queues key (events carry reasons, which quote the amount for the amount
  rules), with a dead-letter queue for events it cannot encrypt or decrypt, as EventBridge recommends for a bus with
  a customer managed key.
- The cases queue is encrypted with the same key, has its dead-letter queue, and only the cases rule may send to it.
- The alerts rule's target gets the case's id, customer, score and rules (an input transformer): the topic mails
  it, so no reason (and no amount) leaves the encrypted path. The alerts topic's policy (components/monitoring.py)
  lets this rule publish, by its ARN, which is known from the names alone.
- Names are derived from the stack, so the processor's environment and grant (components/processing.py, roles.py)
  and the topic policy name the bus and the rule before this component exists.
"""

from __future__ import annotations

import json

import attrs
import pulumi
import pulumi_aws as aws

from components.common import component_opts, deny_insecure_transport, policy_document
from components.naming import physical_name
from components.outbox import Outbox, OutboxArgs, outbox_pipe
from contracts.aws import (
    CASES_QUEUE,
    FLAGGED_DETAIL_TYPE,
    FLAGGED_EVENT_SOURCE,
    FRAUD_EVENT_BUS,
    HIGH_RISK_ALERT_SCORE,
    QUARANTINE_MAX_RECEIVES,
    QUEUE_RETENTION_SECONDS,
)

EVENTS_PRINCIPAL = "events.amazonaws.com"
FLAGGED_PATTERN = {"source": [FLAGGED_EVENT_SOURCE], "detail-type": [FLAGGED_DETAIL_TYPE]}


def cases_dlq_name(stack: str) -> str:
    """The dead-letter queue of the cases queue and of the bus's rules (Monitoring alarms on its depth)."""
    return physical_name(stack, "dlq", base=CASES_QUEUE)


def fraud_bus_name(stack: str) -> str:
    return physical_name(stack, base=FRAUD_EVENT_BUS)


def fraud_bus_arn(region: str, account_id: pulumi.Input[str], stack: str) -> pulumi.Output[str]:
    return pulumi.Output.concat("arn:aws:events:", region, ":", account_id, ":event-bus/", fraud_bus_name(stack))


def high_risk_rule_name(stack: str) -> str:
    return physical_name(stack, "high-risk", base=FRAUD_EVENT_BUS)


def high_risk_rule_arn(region: str, account_id: pulumi.Input[str], stack: str) -> pulumi.Output[str]:
    """A rule on a custom bus is `rule/<bus>/<rule>`."""
    return pulumi.Output.concat(
        "arn:aws:events:", region, ":", account_id, ":rule/", fraud_bus_name(stack), "/", high_risk_rule_name(stack)
    )


def high_risk_pattern() -> str:
    """Every TransactionFlagged event whose risk_score is at least HIGH_RISK_ALERT_SCORE (a numeric match: the
    Detail's risk_score is a JSON number)."""
    pattern = json.dumps({**FLAGGED_PATTERN, "detail": {"risk_score": [{"numeric": [">=", "SCORE"]}]}})
    return pattern.replace('"SCORE"', HIGH_RISK_ALERT_SCORE)


@attrs.frozen
class CasesArgs:
    stack: str
    region: str
    account_id: pulumi.Input[str]
    queues_key_arn: pulumi.Input[str]
    alerts_topic_arn: pulumi.Input[str]
    # The outbox relay (components/outbox.py): the Transactions table's stream, the enrichment function, the tables
    # key. None in a DR stack, which does not own the table (its replica's stream is not wired: see the docs).
    transactions_stream_arn: pulumi.Input[str] | None = None
    enrichment_arn: pulumi.Input[str] | None = None
    tables_key_arn: pulumi.Input[str] | None = None


class Cases(pulumi.ComponentResource):
    bus: aws.cloudwatch.EventBus
    cases_queue: aws.sqs.Queue
    cases_dlq: aws.sqs.Queue
    cases_rule: aws.cloudwatch.EventRule
    high_risk_rule: aws.cloudwatch.EventRule
    outbox: Outbox | None

    def __init__(self, name: str, args: CasesArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("securebank:pipeline:Cases", name, None, component_opts(opts, args.stack, "cases"))
        child = pulumi.ResourceOptions(parent=self)
        self.cases_dlq = aws.sqs.Queue(
            f"{name}-cases-dlq",
            name=cases_dlq_name(args.stack),
            kms_master_key_id=args.queues_key_arn,
            kms_data_key_reuse_period_seconds=300,
            message_retention_seconds=QUEUE_RETENTION_SECONDS,
            opts=child,
        )
        self.cases_queue = aws.sqs.Queue(
            f"{name}-cases",
            name=physical_name(args.stack, base=CASES_QUEUE),
            kms_master_key_id=args.queues_key_arn,
            kms_data_key_reuse_period_seconds=300,
            message_retention_seconds=QUEUE_RETENTION_SECONDS,
            redrive_policy=pulumi.Output.json_dumps(
                {"deadLetterTargetArn": self.cases_dlq.arn, "maxReceiveCount": QUARANTINE_MAX_RECEIVES}
            ),
            opts=child,
        )
        self.bus = aws.cloudwatch.EventBus(
            f"{name}-bus",
            name=fraud_bus_name(args.stack),
            description="TransactionFlagged events from the processor",
            kms_key_identifier=args.queues_key_arn,
            dead_letter_config={"arn": self.cases_dlq.arn},
            opts=child,
        )
        self.cases_rule = aws.cloudwatch.EventRule(
            f"{name}-flagged",
            name=physical_name(args.stack, "flagged", base=FRAUD_EVENT_BUS),
            description="Every TransactionFlagged event, to the cases queue",
            event_bus_name=self.bus.name,
            event_pattern=json.dumps(FLAGGED_PATTERN),
            opts=child,
        )
        self._queue_policies(name, args)
        aws.cloudwatch.EventTarget(
            f"{name}-flagged-to-cases",
            rule=self.cases_rule.name,
            event_bus_name=self.bus.name,
            arn=self.cases_queue.arn,
            dead_letter_config={"arn": self.cases_dlq.arn},
            opts=child,
        )
        self.high_risk_rule = self._high_risk_alerts(name, args)
        self.outbox = self._outbox(name, args)
        self.register_outputs(
            {
                "bus": self.bus.name,
                "cases_queue_url": self.cases_queue.url,
                "cases_dlq_url": self.cases_dlq.url,
            }
        )

    def _outbox(self, name: str, args: CasesArgs) -> Outbox | None:
        if args.transactions_stream_arn is None or args.enrichment_arn is None or args.tables_key_arn is None:
            return None
        outbox = OutboxArgs(args.stack, args.region, args.account_id, args.transactions_stream_arn,
                            args.enrichment_arn, fraud_bus_arn(args.region, args.account_id, args.stack),
                            args.tables_key_arn, args.queues_key_arn)  # fmt: skip
        return outbox_pipe(name, outbox, self, self.bus)

    def _queue_policies(self, name: str, args: CasesArgs) -> None:
        """Only the cases rule may send to the cases queue; the DLQ takes what the two rules' targets or the bus
        could not deliver, from those alone."""
        child = pulumi.ResourceOptions(parent=self)
        high_risk = high_risk_rule_arn(args.region, args.account_id, args.stack)
        aws.sqs.QueuePolicy(
            f"{name}-cases-policy",
            queue_url=self.cases_queue.url,
            policy=policy_document(
                deny_insecure_transport("sqs:*", [self.cases_queue.arn]),
                _events_send(self.cases_queue.arn, [self.cases_rule.arn], "CasesRuleSends"),
            ),
            opts=child,
        )
        aws.sqs.QueuePolicy(
            f"{name}-cases-dlq-policy",
            queue_url=self.cases_dlq.url,
            policy=policy_document(
                deny_insecure_transport("sqs:*", [self.cases_dlq.arn]),
                _events_send(self.cases_dlq.arn, [self.cases_rule.arn, high_risk, self.bus.arn], "UndeliveredSent"),
            ),
            opts=child,
        )

    def _high_risk_alerts(self, name: str, args: CasesArgs) -> aws.cloudwatch.EventRule:
        rule = aws.cloudwatch.EventRule(
            f"{name}-high-risk",
            name=high_risk_rule_name(args.stack),
            description=f"TransactionFlagged with risk_score >= {HIGH_RISK_ALERT_SCORE}, to the alerts topic",
            event_bus_name=self.bus.name,
            event_pattern=high_risk_pattern(),
            opts=pulumi.ResourceOptions(parent=self),
        )
        aws.cloudwatch.EventTarget(
            f"{name}-high-risk-alert",
            rule=rule.name,
            event_bus_name=self.bus.name,
            arn=args.alerts_topic_arn,
            dead_letter_config={"arn": self.cases_dlq.arn},
            input_transformer={
                "input_paths": {
                    "id": "$.detail.transaction_id",
                    "customer": "$.detail.customer_id",
                    "score": "$.detail.risk_score",
                    "rules": "$.detail.triggered_rules",
                },
                "input_template": (
                    f'"SecureBank {args.stack}: transaction <id> of customer <customer> flagged with risk score '
                    '<score> (rules <rules>). The case is open in the review queue (GET /v1/reviews)."'
                ),
            },
            opts=pulumi.ResourceOptions(parent=self),
        )
        return rule


def _events_send(queue_arn: pulumi.Input[str], sources: list[pulumi.Input[str]], sid: str) -> dict[str, object]:
    return {
        "Sid": sid,
        "Effect": "Allow",
        "Principal": {"Service": EVENTS_PRINCIPAL},
        "Action": "sqs:SendMessage",
        "Resource": queue_arn,
        "Condition": {"ArnEquals": {"aws:SourceArn": sources}},
    }
