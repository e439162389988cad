"""The DynamoDB side of the customer-profile snapshot (jobs/customer_profiles.py): a point-in-time export of the
Customers table as it stood at the end of a UTC day, into `exports/customers/date=YYYY-MM-DD/` in the lake,
encrypted with the lake key, and the wait for it. The client is passed in (the jobs import no boto3 at module level).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from typing import Any

from contracts.aws import CUSTOMER_EXPORTS_PREFIX

EXPORT_POLL_SECONDS = 30


def export_time(day: date) -> datetime:
    """The end of `day` in UTC: the instant the snapshot of `day` shows."""
    return datetime.combine(day + timedelta(days=1), clock(), UTC)


def export_table(dynamodb: Any, table_arn: str, bucket: str, kms_key: str, day: date) -> str:
    """Request the point-in-time export of `day`'s snapshot into the lake (encrypted with the lake key); its ARN."""
    response = dynamodb.export_table_to_point_in_time(
        TableArn=table_arn,
        ExportTime=export_time(day),
        S3Bucket=bucket,
        S3Prefix=f"{CUSTOMER_EXPORTS_PREFIX}date={day.isoformat()}",
        S3SseAlgorithm="KMS",
        S3SseKmsKeyId=kms_key,
        ExportFormat="DYNAMODB_JSON",
    )
    return str(response["ExportDescription"]["ExportArn"])


def wait_for_export(
    dynamodb: Any, export_arn: str, sleep: Callable[[float], None] = time.sleep, polls: int = 240
) -> None:
    """Poll DescribeExport until the export completes (raise if it fails or is not done after `polls` polls)."""
    for _ in range(polls):
        description = dynamodb.describe_export(ExportArn=export_arn)["ExportDescription"]
        status = description["ExportStatus"]
        if status == "COMPLETED":
            return
        if status == "FAILED":
            raise RuntimeError(f"export {export_arn} failed: {description.get('FailureMessage')}")
        sleep(EXPORT_POLL_SECONDS)
    raise TimeoutError(f"export {export_arn} did not complete after {polls} polls")
