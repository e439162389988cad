"""Cases: the fraud bus (KMS-encrypted, with a dead-letter queue), the rule of every TransactionFlagged event to the
cases queue (encrypted, with its DLQ, only that rule may send), the high-score rule to the alerts topic (which lets
it publish), and the outbox pipe from the Transactions table's stream, the only one that may put events on the bus
(the processor has no events grant and no bus in its environment)."""

from __future__ import annotations

import json
from typing import Any

from contracts.aws import (
    CASES_QUEUE,
    FLAG_EVENTS_FUNCTION,
    FLAGGED_DETAIL_TYPE,
    FLAGGED_EVENT_SOURCE,
    FRAUD_EVENT_BUS,
    HIGH_RISK_ALERT_SCORE,
    PUT_EVENTS_MAX_ENTRIES,
    REVIEW_STATUS_ATTRIBUTE,
    REVIEW_STATUS_OPEN,
    TRANSACTIONS_TABLE,
)
from tests.infra.graph import Graph

ACCOUNT, REGION = "123456789012", "us-east-1"


def _queues_key(graph: Graph) -> str:
    """The queues key's ARN, as the quarantine queue (components/processing.py) is given it."""
    return graph.one("aws:sqs/queue:Queue", "processing-quarantine").inputs["kmsMasterKeyId"]


def test_the_fraud_bus_is_encrypted_with_the_queues_key_and_has_a_dead_letter_queue(graph: Graph) -> None:
    bus = graph.one("aws:cloudwatch/eventBus:EventBus", "cases-bus").inputs
    assert bus["name"] == f"{FRAUD_EVENT_BUS}-{graph.stack}"
    assert bus["kmsKeyIdentifier"] == _queues_key(graph)
    assert bus["deadLetterConfig"]["arn"].endswith(f":{CASES_QUEUE}-{graph.stack}-dlq")


def test_every_flagged_event_goes_to_the_cases_queue(graph: Graph) -> None:
    rule = graph.named("cases-flagged").inputs
    assert rule["eventBusName"] == f"{FRAUD_EVENT_BUS}-{graph.stack}"
    assert json.loads(rule["eventPattern"]) == {"source": [FLAGGED_EVENT_SOURCE], "detail-type": [FLAGGED_DETAIL_TYPE]}
    target = graph.named("cases-flagged-to-cases").inputs
    assert target["rule"] == rule["name"]
    assert target["arn"] == f"arn:aws:sqs:{REGION}:{ACCOUNT}:{CASES_QUEUE}-{graph.stack}"
    assert target["deadLetterConfig"]["arn"].endswith("-dlq")


def test_the_cases_queue_is_encrypted_with_a_dead_letter_queue(graph: Graph) -> None:
    for name in ("cases-cases", "cases-cases-dlq"):
        queue = graph.named(name).inputs
        assert queue["kmsMasterKeyId"] == _queues_key(graph), name
    redrive = json.loads(graph.named("cases-cases").inputs["redrivePolicy"])
    assert redrive["deadLetterTargetArn"] == f"arn:aws:sqs:{REGION}:{ACCOUNT}:{CASES_QUEUE}-{graph.stack}-dlq"


def test_only_the_cases_rule_may_send_to_the_cases_queue(graph: Graph) -> None:
    rule_arn = graph.named("cases-flagged").inputs["name"]
    statements = graph.named("cases-cases-policy").statements()
    allows = [s for s in statements if s["Effect"] == "Allow"]
    assert len(allows) == 1
    [allow] = allows
    assert allow["Principal"] == {"Service": "events.amazonaws.com"}
    assert allow["Action"] == "sqs:SendMessage"
    [source] = allow["Condition"]["ArnEquals"]["aws:SourceArn"]
    assert source.endswith(rule_arn)  # the rule's ARN (the mocks' ARN shape ends with its name)
    assert any(s["Effect"] == "Deny" and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
               for s in statements)  # fmt: skip


def test_high_scores_go_to_the_alerts_topic_without_reasons_and_the_topic_lets_that_rule_publish(graph: Graph) -> None:
    rule = graph.named("cases-high-risk").inputs
    pattern = json.loads(rule["eventPattern"])
    assert pattern["detail"] == {"risk_score": [{"numeric": [">=", float(HIGH_RISK_ALERT_SCORE)]}]}
    assert pattern["detail-type"] == [FLAGGED_DETAIL_TYPE]
    target = graph.named("cases-high-risk-alert").inputs
    topic = graph.one("aws:sns/topic:Topic").inputs
    assert target["arn"] == f"arn:aws:sns:{REGION}:{ACCOUNT}:{topic['name']}"
    assert "reasons" not in json.dumps(target["inputTransformer"])
    [publish] = [s for s in graph.named("monitoring-alerts-policy").statements()
                 if s.get("Sid") == "HighRiskCaseRulePublishes"]  # fmt: skip
    expected = f"arn:aws:events:{REGION}:{ACCOUNT}:rule/{FRAUD_EVENT_BUS}-{graph.stack}/{rule['name']}"
    assert publish["Condition"]["ArnEquals"]["aws:SourceArn"] == expected
    assert publish["Principal"] == {"Service": "events.amazonaws.com"}


def test_only_the_outbox_pipe_may_put_events_and_the_processor_is_told_no_bus(graph: Graph) -> None:
    variables = graph.named("processing-processor").inputs["environment"]["variables"]
    assert "EVENT_BUS_NAME" not in variables
    policies = graph.of_type("aws:iam/policy:Policy") + graph.of_type("aws:iam/rolePolicy:RolePolicy")
    putters = [policy.name for policy in policies if "events:PutEvents" in json.dumps(policy.inputs)]
    assert putters == ["cases-outbox-policy"]


# --- The outbox relay (components/outbox.py): the Transactions table's stream -> pipe -> the fraud bus -------------


def _pipe(graph: Graph) -> dict[str, Any]:
    return graph.one("aws:pipes/pipe:Pipe", "cases-outbox").inputs


def test_the_transactions_table_streams_its_new_images(graph: Graph) -> None:
    table = graph.one("aws:dynamodb/table:Table", "storage-transactions").inputs
    assert table["streamEnabled"] is True
    # prod's global tables keep the view they need; the pipe reads NewImage, which both views carry
    assert table["streamViewType"] == ("NEW_AND_OLD_IMAGES" if table.get("replicas") else "NEW_IMAGE")


def test_the_pipe_reads_the_tables_stream_filtered_to_new_cases(graph: Graph) -> None:
    pipe = _pipe(graph)
    table = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{TRANSACTIONS_TABLE.name}-{graph.stack}"
    assert pipe["source"].startswith(f"{table}/stream/")
    [only] = pipe["sourceParameters"]["filterCriteria"]["filters"]
    assert json.loads(only["pattern"]) == {
        "eventName": ["INSERT"],
        "dynamodb": {"NewImage": {REVIEW_STATUS_ATTRIBUTE: {"S": [REVIEW_STATUS_OPEN]}}},
    }
    stream = pipe["sourceParameters"]["dynamodbStreamParameters"]
    assert stream["startingPosition"] == "LATEST"
    assert 1 <= stream["batchSize"] <= PUT_EVENTS_MAX_ENTRIES
    assert stream["onPartialBatchItemFailure"] == "AUTOMATIC_BISECT"
    assert stream["maximumRetryAttempts"] >= 1
    assert stream["maximumRecordAgeInSeconds"] >= 1
    assert stream["deadLetterConfig"]["arn"] == f"arn:aws:sqs:{REGION}:{ACCOUNT}:{CASES_QUEUE}-{graph.stack}-outbox-dlq"


def test_the_pipe_is_enriched_by_the_flag_events_function_and_puts_on_the_fraud_bus(graph: Graph) -> None:
    pipe = _pipe(graph)
    function = graph.one("aws:lambda/function:Function", "processing-flag-events").inputs
    assert function["handler"] == FLAG_EVENTS_FUNCTION.handler
    assert pipe["enrichment"].endswith(f":function:{function['name']}")
    assert pipe["target"] == f"arn:aws:events:{REGION}:{ACCOUNT}:event-bus/{FRAUD_EVENT_BUS}-{graph.stack}"
    bus = pipe["targetParameters"]["eventbridgeEventBusParameters"]
    assert (bus["source"], bus["detailType"]) == (FLAGGED_EVENT_SOURCE, FLAGGED_DETAIL_TYPE)


def test_the_pipes_dead_letter_queue_is_encrypted_and_tls_only(graph: Graph) -> None:
    assert graph.named("cases-outbox-dlq").inputs["kmsMasterKeyId"] == _queues_key(graph)
    [deny] = graph.named("cases-outbox-dlq-policy").statements()
    assert (deny["Effect"], deny["Condition"]) == ("Deny", {"Bool": {"aws:SecureTransport": "false"}})


def test_the_pipes_role_is_trusted_by_pipes_of_this_account_and_granted_exactly_its_path(graph: Graph) -> None:
    trust = json.loads(graph.named("cases-outbox-role").inputs["assumeRolePolicy"])["Statement"]
    assert trust == [{"Effect": "Allow", "Principal": {"Service": "pipes.amazonaws.com"}, "Action": "sts:AssumeRole",
                      "Condition": {"StringEquals": {"aws:SourceAccount": ACCOUNT}}}]  # fmt: skip
    pipe = _pipe(graph)
    tables_key = graph.one("aws:dynamodb/table:Table", "storage-transactions").inputs["serverSideEncryption"]
    grants = {
        s["Sid"]: (s["Action"], s["Resource"], s.get("Condition"))
        for s in graph.named("cases-outbox-policy").statements()
    }
    via = lambda *services: {"StringEquals": {"kms:ViaService": [f"{s}.{REGION}.amazonaws.com" for s in services]}}  # noqa: E731
    dlq = pipe["sourceParameters"]["dynamodbStreamParameters"]["deadLetterConfig"]["arn"]
    assert grants == {
        "ReadTransactionsTableStream": (
            ["dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator", "dynamodb:ListStreams"],
            [pipe["source"]],
            None,
        ),
        "DecryptStreamThroughDynamoDb": (["kms:Decrypt"], [tables_key["kmsKeyArn"]], via("dynamodb")),
        "InvokeEnrichment": (["lambda:InvokeFunction"], [pipe["enrichment"]], None),
        "PutFlaggedEvents": (["events:PutEvents"], [pipe["target"]], None),
        "SendFailedBatchesToDlq": (["sqs:SendMessage"], [dlq], None),
        "UseQueuesKeyThroughEventsAndSqs": (["kms:Decrypt", "kms:GenerateDataKey"], [_queues_key(graph)],
                                            via("events", "sqs")),
    }  # fmt: skip
