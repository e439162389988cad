"""The loop's first two steps on the local stack: the cases the workload opened, then the labels that come back.

- Open cases are counted on the sparse ReviewIndex (contracts/aws.py REVIEW_INDEX: only an open case carries
  `review_status`), and the TransactionFlagged events that reached the cases queue (CASES_QUEUE) beside them.
- A simulated analyst pages the open queue through the local API (GET /v1/reviews, newest first) and labels a
  sample of the cases with the generator's ground truth (POST /v1/transactions/{id}/label, source "analyst").
  Cases whose ground truth the demo does not hold (the capacity warm-up's) are left open.
- Chargebacks arrive late for some missed frauds (generator frauds the active policy did not flag): a CSV file that
  `labels import` loads into the lake's labels/ (securebank/ops/labels_import.py), all or nothing.
"""

from __future__ import annotations

import csv
import io
import random
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from http import HTTPStatus
from pathlib import Path
from typing import Any

from contracts.aws import (
    API_KEY_HEADER,
    CASES_QUEUE,
    LABEL_PATH_SUFFIX,
    LABELS_PREFIX,
    REVIEW_INDEX,
    REVIEW_STATUS_ATTRIBUTE,
    REVIEW_STATUS_OPEN,
    REVIEWS_PATH,
    TRANSACTIONS_PATH,
)
from securebank.demo.report import queue_depth
from securebank.emulator.stack import LocalStack

REVIEW_SHARE = 0.5
"""The share of the demo workload's open cases the simulated analyst labels."""
CHARGEBACK_SHARE = 0.5
"""The share of the missed frauds whose chargeback arrives in the demo's chargeback file."""
PAGE_SIZE = 100
HTTP_TIMEOUT_SECONDS = 30.0


def open_cases(stack: LocalStack) -> int:
    """The items on the ReviewIndex (open cases), counted by a paged COUNT query."""
    assert stack.resources is not None
    dynamodb = stack.client("dynamodb")
    kwargs: dict[str, Any] = {
        "TableName": stack.resources.transactions_table,
        "IndexName": REVIEW_INDEX.name,
        "KeyConditionExpression": "#s = :open",
        "ExpressionAttributeNames": {"#s": REVIEW_STATUS_ATTRIBUTE},
        "ExpressionAttributeValues": {":open": {"S": REVIEW_STATUS_OPEN}},
        "Select": "COUNT",
    }
    count = 0
    while True:
        page = dynamodb.query(**kwargs)
        count += int(page["Count"])
        if "LastEvaluatedKey" not in page:
            return count
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def queued_case_events(stack: LocalStack) -> int | None:
    """TransactionFlagged events in the cases queue; None when the local stack has no such queue."""
    sqs = stack.client("sqs")
    try:
        url = sqs.get_queue_url(QueueName=CASES_QUEUE)["QueueUrl"]
    except sqs.exceptions.QueueDoesNotExist:
        return None
    return queue_depth(sqs, url)


def _review_pages(client: Any) -> Iterator[dict[str, Any]]:
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"status": REVIEW_STATUS_OPEN, "limit": PAGE_SIZE}
        if cursor:
            params["cursor"] = cursor
        response = client.get(REVIEWS_PATH, params=params)
        response.raise_for_status()
        body = response.json()
        yield from body["cases"]
        cursor = body.get("next_cursor")
        if not cursor:
            return


@dataclass(frozen=True)
class AnalystResult:
    listed: int
    """Open cases the analyst paged through."""
    known: int
    """Those of the demo's workload (whose ground truth the demo holds; not the capacity warm-up's)."""
    labelled: int
    """Labels the API accepted (202)."""
    refused: dict[str, int]
    """Other answers, by status code."""


def analyst_labels(stack: LocalStack, truth: Mapping[str, Mapping[str, Any]], seed: int) -> AnalystResult:
    """Label a REVIEW_SHARE sample of the open cases whose ground truth is known, through the local API."""
    import httpx

    headers = {API_KEY_HEADER: stack.api_key}
    with httpx.Client(base_url=stack.api_url, headers=headers, timeout=HTTP_TIMEOUT_SECONDS) as client:
        cases = list(_review_pages(client))
        known = sorted((c for c in cases if c.get("transaction_id") in truth), key=lambda c: c["transaction_id"])
        sample = random.Random(seed).sample(known, round(len(known) * REVIEW_SHARE))
        labelled = 0
        refused: dict[str, int] = {}
        for case in sample:
            body = {
                "customer_id": case["customer_id"],
                "is_fraud": bool(truth[case["transaction_id"]]["is_fraud"]),
                "source": "analyst",
                "note": "demo analyst: the generator's ground truth",
            }
            answer = client.post(f"{TRANSACTIONS_PATH}/{case['transaction_id']}{LABEL_PATH_SUFFIX}", json=body)
            if answer.status_code == HTTPStatus.ACCEPTED:
                labelled += 1
            else:
                refused[str(answer.status_code)] = refused.get(str(answer.status_code), 0) + 1
    return AnalystResult(len(cases), len(known), labelled, refused)


def missed_frauds(items: Mapping[str, Mapping[str, Any]], truth: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """Transactions of the workload that are fraud but that the active policy did not flag, sorted."""
    return sorted(i for i, item in items.items() if truth.get(i, {}).get("is_fraud") and not item.get("is_fraud"))


def chargeback_file(
    missed: list[str], items: Mapping[str, Mapping[str, Any]], seed: int, now: datetime | None = None
) -> bytes:
    """A card network's chargeback file (CSV) for a CHARGEBACK_SHARE sample of the missed frauds."""
    arrived = (now or datetime.now(UTC)).astimezone(UTC).isoformat()
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["transaction_id", "customer_id", "is_fraud", "source", "labelled_at", "note"])
    for transaction_id in sorted(random.Random(seed).sample(missed, round(len(missed) * CHARGEBACK_SHARE))):
        customer = items[transaction_id]["customer_id"]
        writer.writerow([transaction_id, customer, "true", "chargeback", arrived, "demo chargeback"])
    return out.getvalue().encode()


def import_chargebacks(stack: LocalStack, data: bytes, path: Path) -> int:
    """`labels import --file PATH --lake s3://<local bucket>`, as a function call; the rows written (0 when the
    file was refused: it never is half-applied)."""
    from securebank.ops.labels_import import S3Lake, import_labels

    assert stack.resources is not None
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    lake = S3Lake(stack.client("s3"), f"s3://{stack.resources.bucket}")
    report = import_labels(lake, data, csv_format=True, source="chargeback")
    if report.rejected:
        raise ValueError(f"the demo's chargeback file was refused: {[str(r) for r in report.rejected]}")
    return report.rows if report.written else 0


def labels_in_lake(stack: LocalStack) -> int:
    """Label lines under labels/, read back from the local bucket (every source)."""
    assert stack.resources is not None
    s3 = stack.client("s3")
    lines = 0
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=stack.resources.bucket, Prefix=LABELS_PREFIX):
        for obj in page.get("Contents", []):
            body = s3.get_object(Bucket=stack.resources.bucket, Key=obj["Key"])["Body"].read()
            lines += sum(1 for line in body.splitlines() if line.strip())
    return lines
