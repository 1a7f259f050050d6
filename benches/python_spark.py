"""Events per second of the Python package and of the Spark data source,
against the command line writing Parquet, measured in one alternating run.

    python benches/python_spark.py [--rows 10M] [--runs 3] [--cli PATH]

Runs, one after another and RUNS times over (alternating, so a busy machine
slows all of them alike), then prints the medians as Markdown:

- ``cli``: ``customer-events generate --rows ROWS --threads 2`` to a temporary
  folder (Parquet, snappy): the reference.
- ``record_batches``: ``customer_events.record_batches(ROWS, threads=2)`` read
  to the end in this process (every batch is built; nothing is written).
- ``spark``: ``spark.read.format("customer_events")`` at ``local[2]`` with two
  partitions, forced to the end by Spark's ``noop`` writer (every row reaches
  the JVM; nothing is written). The Spark session starts once, before timing.

Use a release build of the package (``pip install ./python``) and of the
command line (``cargo build --release``): a debug build measures the debug
build. Needs pyspark in the same environment for the Spark runs (``--no-spark``
skips them).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import customer_events


def count(text: str) -> int:
    text = text.replace("_", "")
    scale = {"k": 1_000, "M": 1_000_000, "B": 1_000_000_000}.get(text[-1:], 1)
    return int(text[:-1] if scale > 1 else text) * scale


def time_cli(cli: str, rows: int, scratch: str) -> float:
    out = os.path.join(scratch, "cli")
    shutil.rmtree(out, ignore_errors=True)
    started = time.perf_counter()
    subprocess.run(
        [cli, "generate", "--rows", str(rows), "--threads", "2", "--out", out, "--quiet"],
        check=True,
    )
    seconds = time.perf_counter() - started
    shutil.rmtree(out, ignore_errors=True)
    return seconds


def time_record_batches(rows: int) -> float:
    started = time.perf_counter()
    seen = 0
    for batch in customer_events.record_batches(rows, threads=2):
        seen += batch.num_rows
    seconds = time.perf_counter() - started
    assert seen == rows, f"record_batches gave {seen} rows, not {rows}"
    return seconds


def spark_session():
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    # The Python workers must be this interpreter, which has the package.
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    from pyspark.sql import SparkSession

    from customer_events.spark import CustomerEventsDataSource

    spark = (
        SparkSession.builder.master("local[2]")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.driver.memory", "4g")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    spark.dataSource.register(CustomerEventsDataSource)
    return spark


def time_spark(spark, rows: int) -> float:
    frame = (
        spark.read.format("customer_events")
        .option("rows", str(rows))
        .option("numPartitions", "2")
        .load()
    )
    started = time.perf_counter()
    frame.write.format("noop").mode("overwrite").save()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", default="10M")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--cli",
        default=os.environ.get("CUSTOMER_EVENTS_BIN", "target/release/customer-events"),
    )
    parser.add_argument("--no-spark", action="store_true")
    args = parser.parse_args()
    rows = count(args.rows)

    spark = None if args.no_spark else spark_session()
    if spark is not None:
        time_spark(spark, 100_000)  # warms the JVM and the Python workers

    seconds: dict[str, list[float]] = {"cli": [], "record_batches": []}
    if spark is not None:
        seconds["spark"] = []
    with tempfile.TemporaryDirectory(prefix="customer-events-bench-") as scratch:
        for run in range(args.runs):
            seconds["cli"].append(time_cli(args.cli, rows, scratch))
            seconds["record_batches"].append(time_record_batches(rows))
            if spark is not None:
                seconds["spark"].append(time_spark(spark, rows))
            print(
                f"run {run + 1}: "
                + ", ".join(f"{name} {times[-1]:.1f} s" for name, times in seconds.items()),
                flush=True,
            )

    reference = rows / statistics.median(seconds["cli"])
    print()
    print(f"{rows:,} events, medians of {args.runs} alternating runs")
    print()
    print("| run | seconds (median) | events/s | / command line |")
    print("|---|---:|---:|---:|")
    for name, times in seconds.items():
        median = statistics.median(times)
        rate = rows / median
        print(f"| {name} | {median:.1f} | {rate / 1e6:.2f}M | {rate / reference:.2f}× |")
    if spark is not None:
        spark.stop()


if __name__ == "__main__":
    main()
