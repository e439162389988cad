"""The real path: `handlers.processor.handle` on moto (in process), fed by the local event source mapping
(securebank/emulator/esm.py) from a one-shard moto Kinesis stream, with a fault plan.

Kinesis' clock is the workload's: a hook on the mapping's Kinesis client sets each record's
ApproximateArrivalTimestamp to the receipt time the workload chose (moto would stamp the wall clock), and the
mapping's clock follows the waves, so that a wave is never older than the mapping's maximum record age.
"""

from __future__ import annotations

import contextlib
import gzip
import io
import logging
import os
from collections import Counter
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import boto3
import botocore.session
from botocore.loaders import Loader
from moto import mock_aws

from adapters.items import from_attribute_values, profile_from_item, scored_from_item
from adapters.policy_store import S3Objects, publish_active
from adapters.serialization import loads, parse_transaction
from contracts import aws
from domain.policy import FraudPolicy
from handlers.bootstrap import ProcessorDependencies, bootstrap
from handlers.settings import Settings
from securebank.emulator.esm import KinesisEventSourceMapping
from securebank.emulator.resources import LocalResources, create_resources
from securebank.verify.faults import FaultPlan
from securebank.verify.injection import FaultInjector, FaultyProcessor
from securebank.verify.observed import Observed, without_version
from securebank.verify.workload import Line, Workload

REGION = "us-east-1"
REPEATED_QUARANTINE = "repeated quarantine message (at least once)"
REPEATED_LAKE_LINES = "repeated lake line (at least once)"
FAKE_ENVIRONMENT = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": REGION,
}


@contextlib.contextmanager
def _moto() -> Iterator[None]:
    """moto in process, with fake credentials and no endpoint override; the processor's logs and EMF lines (on
    stdout) and the mapping's tracebacks of injected function errors are kept out of the output."""
    saved = dict(os.environ)
    os.environ.update(FAKE_ENVIRONMENT)
    for name in [n for n in os.environ if n.startswith(aws.ENV_AWS_ENDPOINT_URL)]:
        del os.environ[name]
    esm_log = logging.getLogger("securebank.emulator.esm")
    level = esm_log.level
    esm_log.setLevel(logging.CRITICAL)
    try:
        with mock_aws(), contextlib.redirect_stdout(io.StringIO()):
            yield
    finally:
        esm_log.setLevel(level)
        os.environ.clear()
        os.environ.update(saved)


_loader = Loader()


def _session() -> boto3.Session:
    """A session with its own event hooks, sharing the service models loaded once (about 0.1 s per client)."""
    core = botocore.session.Session()
    core.register_component("data_loader", _loader)
    session = boto3.Session(botocore_session=core, region_name=REGION)
    _loader.search_paths[:] = dict.fromkeys(_loader.search_paths)  # each boto3.Session appends its data path
    return session


def run_real(workload: Workload, plan: FaultPlan, policy: FraudPolicy, covered: Counter[str]) -> Observed:
    with _moto():
        admin = _session()
        resources = create_resources(admin, None)
        s3 = admin.client("s3")
        publish_active(S3Objects(s3, resources.bucket), policy)
        stream = _Stream(admin, resources, _processor(resources, plan, covered))
        for wave in workload.waves:
            stream.arrive(wave)
        covered.update({f"mapping: {k}": v for k, v in stream.mapping.stats.as_dict().items() if k in _STATS and v})
        observed = _observe(admin, resources, stream.lines)
    repeats = {
        REPEATED_QUARANTINE: sum(len(reasons) - 1 for reasons in observed.quarantined.values()),
        REPEATED_LAKE_LINES: len(observed.lake) - len({txn.key for txn in observed.lake}),
    }
    covered.update({name: count for name, count in repeats.items() if count})
    return observed


_STATS = ("invocations", "bisections", "retries", "partial_failures", "function_errors")


class _Stream:
    """The moto stream and its event source mapping, with Kinesis' and the mapping's clocks set by the workload."""

    def __init__(self, session: Any, resources: LocalResources, handler: FaultyProcessor) -> None:
        self.kinesis = session.client("kinesis")
        self.kinesis.meta.events.register("after-call.kinesis.GetRecords", self._stamp_arrivals)
        self.stream_name = resources.stream_name
        self.now = 0.0
        self.mapping = KinesisEventSourceMapping(
            kinesis=self.kinesis,
            stream_name=resources.stream_name,
            stream_arn=resources.stream_arn,
            handler=handler,
            sqs=session.client("sqs"),
            on_failure_queue_url=resources.on_failure_queue_url,
            region=REGION,
            clock=lambda: self.now,
        )
        self.lines: dict[str, int] = {}
        """Sequence number -> line number."""
        self._receipts: dict[str, datetime] = {}

    def arrive(self, wave: tuple[Line, ...]) -> None:
        """Put the wave's records, then let the mapping deliver them at the wave's time."""
        for line in wave:
            put = self.kinesis.put_record(StreamName=self.stream_name, Data=line.data, PartitionKey=line.partition_key)
            self.lines[put["SequenceNumber"]] = len(self.lines) + 1
            self._receipts[put["SequenceNumber"]] = line.received_at
        if wave:
            self.now = wave[-1].received_at.timestamp() + 1
            self.mapping.drain()

    def _stamp_arrivals(self, parsed: dict[str, Any], **_: Any) -> None:
        for record in parsed.get("Records", []):
            record["ApproximateArrivalTimestamp"] = self._receipts[record["SequenceNumber"]]


def _processor(resources: LocalResources, plan: FaultPlan, covered: Counter[str]) -> FaultyProcessor:
    session = _session()  # the handler's own: its hooks fault only its calls
    injector = FaultInjector(session, covered)
    settings = Settings(
        transactions_table=resources.transactions_table,
        customers_table=resources.customers_table,
        lake_bucket=resources.bucket,
        quarantine_queue_url=resources.quarantine_queue_url,
    )

    def cold_start() -> ProcessorDependencies:
        return bootstrap(settings, session)

    return FaultyProcessor(cold_start, injector, plan, covered)


def _scan(client: Any, table: str) -> list[dict[str, Any]]:
    pages = client.get_paginator("scan").paginate(TableName=table, ConsistentRead=True)
    return [from_attribute_values(item) for page in pages for item in page["Items"]]


def _messages(sqs: Any, queue_url: str) -> list[dict[str, Any]]:
    bodies: list[dict[str, Any]] = []
    while True:
        got = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, VisibilityTimeout=3600)
        if not got.get("Messages"):
            return bodies
        bodies += [loads(m["Body"]) for m in got["Messages"]]


def _observe(session: Any, resources: LocalResources, lines: dict[str, int]) -> Observed:
    dynamodb, s3, sqs = session.client("dynamodb"), session.client("s3"), session.client("sqs")
    scored = [scored_from_item(item) for item in _scan(dynamodb, resources.transactions_table)]
    profiles = [profile_from_item(item) for item in _scan(dynamodb, resources.customers_table)]
    quarantined: dict[int, tuple[str, ...]] = {}
    payloads: dict[int, tuple[tuple[str, int | None], ...]] = {}
    for message in _messages(sqs, resources.quarantine_queue_url):
        line = lines[message["source"].rsplit("/", 1)[1]]
        quarantined[line] = (*quarantined.get(line, ()), message["reason"])
        payloads[line] = (*payloads.get(line, ()), (message["payload"], message.get("truncated_from_chars")))
    lake, unreadable = [], []
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=resources.bucket, Prefix=aws.RAW_TRANSACTIONS_PREFIX)
    for page in pages:
        for listed in page.get("Contents", []):
            body = s3.get_object(Bucket=resources.bucket, Key=listed["Key"])["Body"].read()
            for text in gzip.decompress(body).decode().splitlines():
                try:
                    lake.append(parse_transaction(loads(text)))
                except ValueError:
                    unreadable.append(text)
    return Observed(
        stored={s.transaction.key: (s.transaction, s.decision) for s in scored},
        profiles={p.customer_id: without_version(p) for p in profiles},
        quarantined=quarantined,
        lake=tuple(lake),
        discarded=len(_messages(sqs, resources.on_failure_queue_url)),
        unreadable_lake_lines=tuple(unreadable),
        quarantined_payloads=payloads,
    )
