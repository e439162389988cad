"""The fraud pipe's enrichment (the outbox's relay): DynamoDB stream records of new cases in, TransactionFlagged
details out.

The pipe (components/cases.py; locally securebank/emulator/pipe.py) reads the Transactions table's stream, keeps the
INSERTs of an open case (contracts FLAGGED_STREAM_FILTER), calls this with a batch of at most 10 records, and puts
each returned object on the fraud bus as one event's Detail. The item read from NewImage (adapters/items.py, numbers
as Decimal) gives the Detail adapters/flag_detail.py builds: the one the processor's own PutEvents carried before. A
Decimal is written by the Lambda runtime's encoder as a JSON number with its exact text, so risk_score stays exact.

A record that is not an open case's INSERT (the pipe's filter already dropped it) gives no event. A record that
cannot be read fails the call: the pipe retries the batch, bisects it, and sends what still fails to its DLQ.
"""

from __future__ import annotations

from typing import Any

from adapters.flag_detail import detail_fields, matches
from adapters.items import from_attribute_values, scored_from_item
from contracts.aws import FLAGGED_STREAM_FILTER


def flagged_details(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        detail_fields(scored_from_item(from_attribute_values(record["dynamodb"]["NewImage"])))
        for record in records
        if matches(FLAGGED_STREAM_FILTER, record)
    ]


def lambda_handler(event: list[dict[str, Any]], context: object) -> list[dict[str, Any]]:
    return flagged_details(event)
