"""Fraud labels in the lake, and the transactions they apply to (shared by the merchant-risk and weekly jobs).

A label row is `{transaction_id, is_fraud[, customer_id][, labelled_at]}` (JSON Lines under `--labels`). A
transaction is identified by (customer_id, transaction_id), and two customers may use the same transaction_id:

- a label with `customer_id` applies to that customer's transaction only;
- a label without it applies to every transaction with that transaction_id, whichever customer's: the feed did
  not say which, and this is what it meant before labels could name the customer (the local `backtest` and
  `tune` read labels by transaction_id alone, too). When such an id belongs to several customers the label is
  ambiguous; `shared_id_labels` counts those ids so that the jobs report them (a feed that can name the customer
  should);
- of the labels that apply to a transaction, the one with the newest `labelled_at` wins (a label without it
  counts as the oldest), fraud winning a tie, as `securebank.lab.backtest.read_labels` picks one.

A row without transaction_id or is_fraud, with a `labelled_at` that is not a time with a zone, or with a
`customer_id` that is not an identifier is not a label (the local reader rejects such rows too). A labels path
that does not exist means no labels yet.
"""

from __future__ import annotations

from pyspark.errors import AnalysisException
from pyspark.sql import DataFrame, SparkSession, Window
from pyspark.sql import functions as fn

from jobs.lake import ID_PATTERN, IDENTITY, ZONED

LABEL_FIELDS = "transaction_id string, customer_id string, is_fraud boolean, labelled_at string"


def read_labels(spark: SparkSession, labels: str) -> DataFrame:
    """The well-formed label rows: transaction_id, customer_id (null: any customer's), is_fraud, labelled_at."""
    try:
        # Every file below the path, whatever its folders: with partition discovery, mixed layouts (files beside
        # `year=` folders, or plain date folders) fail the job or are skipped without a word.
        rows = spark.read.schema(LABEL_FIELDS).option("recursiveFileLookup", "true").json(labels)
    except AnalysisException as exc:
        if exc.getErrorClass() != "PATH_NOT_FOUND":
            raise
        return spark.createDataFrame([], LABEL_FIELDS)
    labelled_at = fn.col("labelled_at")
    return rows.where(
        fn.col("transaction_id").isNotNull()
        & fn.col("is_fraud").isNotNull()
        & (fn.col("customer_id").isNull() | fn.col("customer_id").rlike(ID_PATTERN))
        & (labelled_at.isNull() | (labelled_at.rlike(ZONED) & fn.to_timestamp(labelled_at).isNotNull()))
    )


def label_transactions(transactions: DataFrame, labels: DataFrame) -> DataFrame:
    """`transactions` (any columns, among them customer_id and transaction_id; duplicates allowed) with the
    is_fraud and labelled_at of the label that applies to each (null when none does)."""
    identities = transactions.select(*IDENTITY).distinct()
    rows = labels.select(
        fn.col("transaction_id").alias("_label_id"),
        fn.col("customer_id").alias("_label_customer"),
        "is_fraud",
        "labelled_at",
    )
    applies = (fn.col("transaction_id") == fn.col("_label_id")) & (
        fn.col("_label_customer").isNull() | (fn.col("_label_customer") == fn.col("customer_id"))
    )
    newest = Window.partitionBy(*IDENTITY).orderBy(
        fn.to_timestamp("labelled_at").desc_nulls_last(), fn.col("is_fraud").desc()
    )
    chosen = (
        identities.join(rows, applies)
        .withColumn("_n", fn.row_number().over(newest))
        .where("_n = 1")
        .select(*IDENTITY, "is_fraud", "labelled_at")
    )
    return transactions.join(chosen, list(IDENTITY), "left")


def shared_id_labels(transactions: DataFrame, labels: DataFrame) -> int:
    """How many transaction_ids named by a label without customer_id are used by several customers' transactions
    (such a label applies to all of them)."""
    shared = transactions.select(*IDENTITY).distinct().groupBy("transaction_id").count().where("count > 1")
    unnamed = labels.where("customer_id IS NULL").select("transaction_id").distinct()
    return unnamed.join(shared, "transaction_id").count()
