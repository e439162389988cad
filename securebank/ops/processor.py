"""The processor Lambda's own code (handlers.processor.handle, with handlers.bootstrap's adapters) run here, on
records the operator fetched, counting what it did through its metrics port.

It runs the operator's checkout: run the tools from the commit that is deployed. Its log lines go to stderr at
WARNING and above, so that the tools' output (and `--json`) stays clean.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

import attrs

from adapters.memory import RecordingMetrics
from handlers.bootstrap import ProcessorDependencies, bootstrap
from handlers.processor import handle
from handlers.settings import Settings
from securebank.emulator.lambda_shapes import StreamRecord, kinesis_event
from securebank.ops.target import Target


class LocalProcessor:
    def __init__(self, target: Target) -> None:
        names = target.names
        settings = Settings(
            transactions_table=names.transactions_table,
            customers_table=names.customers_table,
            lake_bucket=names.bucket,
            quarantine_queue_url=target.queue_url(names.quarantine_queue),
        )
        deps = bootstrap(settings, target.session)
        _to_stderr(settings.service)
        self.counts = RecordingMetrics()  # the processor's metrics port, counted (adapters/memory.py)
        self._deps: ProcessorDependencies = attrs.evolve(
            deps, metrics=self.counts, ports=attrs.evolve(deps.ports, metrics=self.counts)
        )
        self._region = target.region

    def run(self, records: list[StreamRecord], shard_id: str, stream_arn: str) -> list[str]:
        """Process one batch as the event source mapping would deliver it; the sequence numbers that failed (every
        record's when the invocation raised, as Lambda counts a function error)."""
        event = kinesis_event(records, shard_id, stream_arn, self._region)
        try:
            response: dict[str, Any] = handle(event, self._deps)
        except Exception as exc:
            logging.getLogger(__name__).warning("batch failed: %s: %s", type(exc).__name__, exc)
            return [record.sequence_number for record in records]
        return [failure["itemIdentifier"] for failure in response["batchItemFailures"]]


def _to_stderr(service: str) -> None:
    logger = logging.getLogger(service)  # Powertools' Logger(service=...) logs through this one
    logger.setLevel(logging.WARNING)
    for handler in logger.handlers:
        if isinstance(handler, logging.StreamHandler):
            handler.setStream(sys.stderr)
