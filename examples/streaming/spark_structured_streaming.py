"""Reads a customer-events topic with Spark Structured Streaming into Parquet.

    customer-events stream --rows 1M --to kafka://127.0.0.1:9092/customer_events
    spark-submit --packages org.apache.spark:spark-sql-kafka-0-10_2.13:4.0.0 \
        examples/streaming/spark_structured_streaming.py 127.0.0.1:9092 customer_events /tmp/streamed

Each record's value is the event's JSON line; `schemas/events.spark.json`
(`customer-events schema --format spark`) is its schema, so `from_json` gives
the same nested columns as `spark.read.parquet` of `generate`. The query runs
once over what the topic holds (`availableNow`), appending Parquet partitioned
by event date, and keeps the Kafka record's partition, offset and timestamp
beside the event. `compare_batch_and_topic.py` then shows that the batch
dataset and the topic hold the same events.

The Kafka source is a separate Spark package (spark-sql-kafka), fetched by
`--packages` from Maven: this script is documented and run by hand; CI reads
the topic with confluent-kafka instead (compare_batch_and_topic.py).
"""

import json
import sys
from pathlib import Path

from pyspark.sql import SparkSession
from pyspark.sql import functions as F
from pyspark.sql.types import StructType


def main():
    broker, topic, out = sys.argv[1], sys.argv[2], sys.argv[3]
    spark = SparkSession.builder.appName("customer-events from Kafka").getOrCreate()
    schema_file = Path(__file__).resolve().parents[2] / "schemas" / "events.spark.json"
    schema = StructType.fromJson(json.loads(schema_file.read_text()))

    records = (spark.readStream.format("kafka")
               .option("kafka.bootstrap.servers", broker)
               .option("subscribe", topic)
               .option("startingOffsets", "earliest")
               .load())
    events = (records
              .select(F.from_json(F.col("value").cast("string"), schema).alias("event"),
                      "partition", "offset", F.col("timestamp").alias("record_timestamp"))
              .select("event.*", "partition", "offset", "record_timestamp")
              .withColumn("event_date", F.to_date("timestamp")))
    query = (events.writeStream.format("parquet")
             .option("path", out)
             .option("checkpointLocation", f"{out}/_checkpoint")
             .partitionBy("event_date")
             .trigger(availableNow=True)
             .start())
    query.awaitTermination()
    print(f"{spark.read.parquet(out).count():,} events from {topic} in {out}")


if __name__ == "__main__":
    main()
