"""A DR stack's storage: the primary stack's replicas in this region, adopted by reference, and a stream of its own.

The primary stack (`drOf`) already keeps everything stateful here: the two tables are global tables with a replica in
this region (same names, its replica tables key), and the lake is replicated by S3 CRR into a bucket in this region
(its replica lake key). The DR stack creates none of them: it names them, and reads the replica keys' ARNs from the
primary stack's exports (`dr_tables_key_arn`, `dr_lake_key_arn`). Only the Kinesis stream is regional and new: it
carries this region's API traffic to this region's processor.

The attributes mirror Storage's (`transactions_table.name/.arn`, `lake_bucket.bucket/.arn`, `stream`), so the program
wires Processing, Ingestion and Monitoring to either.
"""

from __future__ import annotations

import attrs
import pulumi
import pulumi_aws as aws

from components.common import component_opts
from components.config import ShardMode
from components.naming import physical_name
from contracts.aws import CUSTOMERS_TABLE, LAKE_BUCKET, STREAM_NAME, STREAM_RETENTION_HOURS, TRANSACTIONS_TABLE

# The primary stack's exports that a DR stack reads (the replica keys' ARNs in the secondary region).
TABLES_KEY_EXPORT = "dr_tables_key_arn"
LAKE_KEY_EXPORT = "dr_lake_key_arn"


def replica_lake_bucket_name(primary_stack: str, region: str) -> str:
    """The CRR destination of `primary_stack`'s lake in `region` (components/dr.py creates it, this names it)."""
    return physical_name(primary_stack, region, base=LAKE_BUCKET)


@attrs.frozen
class TableRef:
    """A table this stack uses but does not own: its name and ARN in this region."""

    name: pulumi.Input[str]
    arn: pulumi.Input[str]


@attrs.frozen
class BucketRef:
    """A bucket this stack uses but does not own."""

    bucket: str
    arn: str


@attrs.frozen
class ReplicaStorageArgs:
    stack: str
    primary_stack: str
    region: str
    account_id: pulumi.Input[str]
    stream_key_arn: pulumi.Input[str]
    shard_mode: ShardMode
    shard_count: int


class ReplicaStorage(pulumi.ComponentResource):
    transactions_table: TableRef
    customers_table: TableRef
    lake_bucket: BucketRef
    stream: aws.kinesis.Stream
    primary: pulumi.StackReference
    tables_key_arn: pulumi.Output[str]
    lake_key_arn: pulumi.Output[str]

    def __init__(self, name: str, args: ReplicaStorageArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("securebank:pipeline:ReplicaStorage", name, None, component_opts(opts, args.stack, "storage"))
        self.primary = pulumi.StackReference(
            f"{pulumi.get_organization()}/{pulumi.get_project()}/{args.primary_stack}",
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.tables_key_arn = pulumi.Output.from_input(self.primary.require_output(TABLES_KEY_EXPORT)).apply(str)
        self.lake_key_arn = pulumi.Output.from_input(self.primary.require_output(LAKE_KEY_EXPORT)).apply(str)
        self.transactions_table = self._table(TRANSACTIONS_TABLE.name, args)
        self.customers_table = self._table(CUSTOMERS_TABLE.name, args)
        bucket = replica_lake_bucket_name(args.primary_stack, args.region)
        self.lake_bucket = BucketRef(bucket, f"arn:aws:s3:::{bucket}")
        self.stream = aws.kinesis.Stream(
            f"{name}-stream",
            name=physical_name(args.stack, base=STREAM_NAME),
            retention_period=STREAM_RETENTION_HOURS,
            encryption_type="KMS",
            kms_key_id=args.stream_key_arn,
            stream_mode_details={"stream_mode": args.shard_mode},
            shard_count=args.shard_count if args.shard_mode == "PROVISIONED" else None,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs(
            {
                "transactions_table": self.transactions_table.name,
                "customers_table": self.customers_table.name,
                "stream_name": self.stream.name,
                "lake_bucket": self.lake_bucket.bucket,
            }
        )

    @staticmethod
    def _table(base: str, args: ReplicaStorageArgs) -> TableRef:
        """The global table's replica here: the primary's table name, this region's ARN."""
        table = physical_name(args.primary_stack, base=base)
        arn = pulumi.Output.concat("arn:aws:dynamodb:", args.region, ":", args.account_id, ":table/", table)
        return TableRef(table, arn)
