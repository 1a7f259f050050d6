#!/usr/bin/env python3
"""Generated customer events as a Spark DataFrame, through the `customer_events`
Python data source (Spark 4), then written as partitioned Parquet.

    pip install ./python pyspark
    python examples/spark/datasource.py [ROWS] [OUT]     # defaults: 1M, data/spark-events

On a cluster, install the package on every node (the executors' Python runs
the generator), then the same code writes to shared storage, or to a Delta
table:

    df.write.format("delta").partitionBy("event_date").saveAsTable("events")
"""

import os
import sys

from pyspark.sql import SparkSession

from customer_events.spark import register

rows = sys.argv[1] if len(sys.argv) > 1 else "1M"
out = sys.argv[2] if len(sys.argv) > 2 else "data/spark-events"

# Local mode: the Python workers must be this interpreter (where the package is).
os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
spark = (
    SparkSession.builder.master("local[*]")
    .config("spark.sql.session.timeZone", "UTC")
    .getOrCreate()
)
# Registers `customer_events`, with the session's parallelism as the default partition count.
register(spark)

df = spark.read.format("customer_events").option("rows", rows).option("seed", 7).load()
df.groupBy("event_date", "event_type").count().orderBy("event_date", "event_type").show(30)
df.write.mode("overwrite").partitionBy("event_date").parquet(out)
print(f"wrote {df.count():,} events to {out}")
spark.stop()
