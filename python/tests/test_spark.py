"""The Spark data source in local mode against the command line's Parquet."""

import json
import os
import sys
from pathlib import Path

import pytest

pyspark = pytest.importorskip("pyspark")

import duckdb  # noqa: E402

import customer_events as ce  # noqa: E402
from customer_events.spark import CustomerEventsDataSource, RowRange, split_row_groups  # noqa: E402

ROWS = 500_000
OPTIONS = {"rows": "500k", "seed": "19", "days": "4", "start": "2026-03-27"}
SCHEMAS = Path(__file__).resolve().parents[2] / "schemas"


def test_partitions_are_contiguous_runs_of_whole_row_groups():
    groups = ce.row_groups(ROWS, seed=19, days=4, start="2026-03-27")
    assert sum(rows for _, rows in groups) == ROWS
    for partitions in [1, 2, 3, 4, 7, len(groups), len(groups) + 5]:
        ranges = split_row_groups(groups, partitions)
        assert len(ranges) == min(partitions, len(groups))
        assert [r.index for r in ranges] == list(range(len(ranges)))
        assert ranges[0].first_row == 0 and sum(r.count for r in ranges) == ROWS
        starts = {first for first, _ in groups}
        for a, b in zip(ranges, ranges[1:]):
            assert a.first_row + a.count == b.first_row and b.first_row in starts
    four = split_row_groups(groups, 4)
    assert max(r.count for r in four) < 1.5 * ROWS / 4
    assert split_row_groups([(0, 10)], 3) == [RowRange(0, 0, 10)]


@pytest.fixture(scope="module")
def spark():
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    # The workers must import customer_events: run them on this interpreter.
    os.environ["PYSPARK_PYTHON"] = sys.executable
    from pyspark.sql import SparkSession

    session = (
        SparkSession.builder.master("local[2]")
        .appName("customer-events-datasource")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    session.dataSource.register(CustomerEventsDataSource)
    yield session
    session.stop()


@pytest.fixture(scope="module")
def cli_parquet(cli, tmp_path_factory):
    out = tmp_path_factory.mktemp("cli") / "events"
    cli("generate", "--rows", OPTIONS["rows"], "--seed", OPTIONS["seed"], "--days", OPTIONS["days"],
        "--start", OPTIONS["start"], "--out", out, "--quiet")
    return out


def test_spark_reads_the_rows_the_cli_writes(spark, cli_parquet, tmp_path):
    from pyspark.sql.types import DateType, StructField, StructType

    df = spark.read.format("customer_events").options(**OPTIONS).option("numPartitions", 4).load()
    assert df.rdd.getNumPartitions() == 4

    expected_schema = StructType.fromJson(json.loads((SCHEMAS / "events.spark.json").read_text()))
    expected_schema = expected_schema.add(StructField("event_date", DateType(), nullable=False))
    assert df.schema == expected_schema

    assert df.count() == ROWS
    written = spark.read.parquet(str(cli_parquet))
    assert written.columns == df.columns
    assert df.exceptAll(written).count() == 0
    assert written.exceptAll(df).count() == 0

    # A Spark job writes it as partitioned Parquet; DuckDB reads the same rows back.
    out = tmp_path / "spark-events"
    df.write.partitionBy("event_date").parquet(str(out))
    pattern = str(out / "**" / "*.parquet")
    counted = duckdb.sql(f"SELECT count(*), count(DISTINCT event_id), count(DISTINCT event_date) "
                         f"FROM read_parquet('{pattern}', hive_partitioning = true)").fetchall()[0]
    assert counted == (ROWS, ROWS, int(OPTIONS["days"]))


def test_events_per_day_reads_a_window_of_the_timeline(spark, cli, tmp_path):
    window = {"eventsPerDay": "2000", "start": "2026-03-05", "days": "3", "seed": "9"}
    df = spark.read.format("customer_events").options(**window).load()
    out = tmp_path / "window"
    cli("generate", "--events-per-day", 2000, "--start", "2026-03-05", "--days", 3, "--seed", 9,
        "--out", out, "--quiet")
    written = spark.read.parquet(str(out))
    assert df.count() == written.count() == 1818 + 2000 + 2364
    assert df.exceptAll(written).count() == 0


def test_bad_options_fail_before_any_task(spark):
    from pyspark.errors import PySparkException

    for key, value, named in [("rows", "lots", "rows"), ("catalogSize", "3", "catalog_size"),
                              ("numPartitions", "0", "numPartitions"), ("seed", "x", "seed"),
                              ("eventsPerDay", "0", "events_per_day")]:
        with pytest.raises(PySparkException, match=named):
            spark.read.format("customer_events").option(key, value).load().count()
