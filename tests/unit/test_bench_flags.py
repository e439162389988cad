"""The bench's flag count comes from the processor's EMF DetectedCount blobs, whatever else the logs hold."""

from __future__ import annotations

import json

from contracts.aws import METRIC_DETECTED_COUNT, METRIC_PROCESSED_COUNT
from securebank.measure.bench_flags import flag_report


def blob(**values: object) -> str:
    return json.dumps({"_aws": {"CloudWatchMetrics": []}, **values})


def test_the_flag_rate_sums_detected_counts_over_the_transactions():
    logs = "\n".join([
        blob(**{METRIC_DETECTED_COUNT: [2.0]}),
        blob(**{METRIC_PROCESSED_COUNT: [100.0]}),
        '{"level": "INFO", "message": "batch processed", "DetectedCount": 50}',  # a log line, not an EMF blob
        "not json",
        blob(**{METRIC_DETECTED_COUNT: 1}),
    ])  # fmt: skip
    assert flag_report(logs, 200) == {"flagged": 3, "flag_rate": "0.0150"}


def test_no_transactions_no_rate():
    assert flag_report("", 0) == {"flagged": 0, "flag_rate": "0.0000"}
