"""A Spark data source of customer events (Spark 4's Python Data Source API).

::

    from customer_events.spark import CustomerEventsDataSource
    spark.dataSource.register(CustomerEventsDataSource)
    df = spark.read.format("customer_events").option("rows", "100M").option("seed", 7).load()

The DataFrame holds the rows that ``customer-events generate`` writes with the
same options, in the same order, with the ``event_date`` column that the
Parquet output holds as its Hive folder (the row's UTC day). Its schema is
``customer-events schema --format spark`` plus ``event_date DATE NOT NULL``.

Options (all optional; counts take ``10k``, ``5M``, ``1B``):

- ``rows`` (default 1M), ``seed`` (42), ``start`` (2026-01-01), ``days`` (7),
  ``users`` (rows / 20; a week's events / 20 under 7 days), ``catalogSize`` (10000), ``config`` (TOML text, what
  a ``--config`` file holds): the dataset, as the command line's flags.
- ``eventsPerDay`` instead of ``rows``: a window of the timeline
  (``--events-per-day``), each day sized by its date alone.
- ``numPartitions``: Spark partitions (default: the session's default
  parallelism where the data source can see it, else 2; see :func:`register`).
  Partitions are whole row groups of the command line's Parquet files
  (``rowGroupRows``, default 122880, and ``maxRowsPerFile``, default 1M).
- ``batchRows`` (32768): rows per Arrow batch handed to Spark.
- ``threadsPerPartition`` (1): generator threads of one partition's task.

Each task generates its rows in Rust (with the GIL released) and hands Spark
Arrow batches without copying them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Iterator, List, Optional

from pyspark.sql.datasource import DataSource, DataSourceReader, InputPartition
from pyspark.sql.types import DateType, StructField, StructType

import customer_events

#: The name to use in ``spark.read.format(...)``.
NAME = "customer_events"
#: Partitions when the session's default parallelism cannot be seen.
FALLBACK_PARTITIONS = 2


def spark_schema() -> StructType:
    """The data source's schema: ``customer-events schema --format spark``
    (which carries each field's nullability, as Spark checks it) plus a
    non-null ``event_date DATE``."""
    events = StructType.fromJson(json.loads(customer_events.schema_text("spark")))
    return events.add(StructField("event_date", DateType(), nullable=False))


@dataclass(frozen=True)
class RowRange(InputPartition):
    """A partition: ``count`` rows of the dataset from ``first_row``."""

    index: int
    first_row: int
    count: int


def split_row_groups(groups: List[tuple], partitions: int) -> List[RowRange]:
    """Contiguous runs of whole row groups, ``partitions`` of them (fewer when
    there are fewer groups), each with about the same number of rows."""
    total = sum(rows for _, rows in groups)
    partitions = max(1, min(partitions, len(groups)))
    # ends[i]: rows in groups 0..=i; a cut after group i starts a partition at ends[i].
    ends, seen = [], 0
    for _, rows in groups:
        seen += rows
        ends.append(seen)
    # Cut k falls on the group boundary nearest to k / partitions of the rows,
    # after the previous cut and leaving a group for each partition after it.
    cuts = [0]
    for k in range(1, partitions):
        target = total * k / partitions
        nearest = min(range(len(groups) - 1), key=lambda i: abs(ends[i] - target)) + 1
        cuts.append(min(max(nearest, cuts[-1] + 1), len(groups) - (partitions - k)))
    cuts.append(len(groups))
    return [
        RowRange(k, groups[cuts[k]][0], sum(rows for _, rows in groups[cuts[k]:cuts[k + 1]]))
        for k in range(partitions)
    ]


def _default_partitions() -> int:
    try:
        from pyspark.sql import SparkSession

        session = SparkSession.getActiveSession()
        if session is not None:
            return max(1, int(session.sparkContext.defaultParallelism))
    except Exception:  # Spark Connect, or no session in this process
        pass
    return FALLBACK_PARTITIONS


class CustomerEventsDataSource(DataSource):
    """``spark.read.format("customer_events")``: generated customer events."""

    #: Partitions without a ``numPartitions`` option; ``None``: the session's
    #: default parallelism where visible, else :data:`FALLBACK_PARTITIONS`.
    default_partitions: Optional[int] = None

    @classmethod
    def name(cls) -> str:
        return NAME

    def schema(self) -> StructType:
        return spark_schema()

    def reader(self, schema: StructType) -> "CustomerEventsReader":
        if schema != spark_schema():
            raise ValueError(
                "customer_events: the data source's schema is fixed; read it without .schema(...) "
                "and select or cast columns afterwards"
            )
        return CustomerEventsReader(dict(self.options), self.default_partitions)


def _dataset_options(options: dict) -> dict:
    """The dataset keywords of :func:`customer_events.record_batches` from
    Spark options (keys in lower case)."""
    seed = options.get("seed")
    if seed is not None:
        try:
            seed = int(seed)
        except ValueError:
            raise ValueError(f"seed: `{seed}` is not an integer") from None
    return {
        "seed": seed,
        "start": options.get("start"),
        "days": options.get("days"),
        "users": options.get("users"),
        "catalog_size": options.get("catalogsize"),
        "events_per_day": options.get("eventsperday"),
        "config": options.get("config"),
    }


class CustomerEventsReader(DataSourceReader):
    """Splits the dataset into row ranges of whole row groups and generates each."""

    def __init__(self, options: dict, default_partitions: Optional[int] = None) -> None:
        # Spark's options are case-insensitive; keep them so.
        options = {key.lower(): value for key, value in options.items()}
        self.rows = options.get("rows", None if "eventsperday" in options else "1M")
        self.dataset = _dataset_options(options)
        self.row_group_rows = options.get("rowgrouprows")
        self.max_rows_per_file = options.get("maxrowsperfile")
        self.batch_rows = options.get("batchrows", customer_events.DEFAULT_BATCH_ROWS)
        self.threads = options.get("threadsperpartition", 1)
        partitions = options.get("numpartitions")
        if partitions is None:
            self.partition_count = default_partitions or _default_partitions()
        else:
            try:
                self.partition_count = int(partitions)
            except ValueError:
                raise ValueError(f"numPartitions: `{partitions}` is not an integer") from None
            if self.partition_count < 1:
                raise ValueError("numPartitions: must be at least 1")
        # Check every option on the driver, before any task runs.
        customer_events.record_batches(
            self.rows, count=0, batch_rows=self.batch_rows, threads=self.threads, **self.dataset
        )

    def partitions(self) -> List[RowRange]:
        groups = customer_events.row_groups(
            self.rows,
            row_group_rows=self.row_group_rows,
            max_rows_per_file=self.max_rows_per_file,
            **self.dataset,
        )
        return split_row_groups(groups, self.partition_count)

    def read(self, partition: RowRange) -> Iterator:
        reader = customer_events.record_batches(
            self.rows,
            first_row=partition.first_row,
            count=partition.count,
            batch_rows=self.batch_rows,
            threads=self.threads,
            event_date=True,
            **self.dataset,
        )
        yield from reader


def register(spark) -> None:
    """Registers the data source with ``spark``, remembering the session's
    default parallelism as the partition count (a data source's planner runs
    in a Python worker, which cannot see the session)."""
    try:
        parallelism = int(spark.sparkContext.defaultParallelism)
    except Exception:  # Spark Connect has no SparkContext
        parallelism = None
    source = type(
        "CustomerEventsDataSource",
        (CustomerEventsDataSource,),
        {"default_partitions": parallelism, "__module__": __name__, "__qualname__": "_Registered"},
    )
    spark.dataSource.register(source)
