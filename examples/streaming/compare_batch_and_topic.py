"""Shows that a batch dataset and a topic hold the same events.

    customer-events generate --rows 100k --days 3 --seed 9 --out data/batch
    customer-events stream   --rows 100k --days 3 --seed 9 --to kafka://127.0.0.1:9092/customer_events
    python examples/streaming/compare_batch_and_topic.py 127.0.0.1:9092 customer_events data/batch

Reads every record of the topic with confluent-kafka (to the end of each
partition) and the Parquet dataset with DuckDB, then compares them as a
pipeline test would: the same event ids, each event's user, type and
timestamp equal, each user's events in the same order by event time, and
the same per-day, per-type counts. Prints what it compared; exit 1 when
they differ. This is what checking a streaming pipeline against the batch
one comes to: the same `--seed` and flags give the same events either way.
"""

import json
import sys
import time

import duckdb
import pyarrow as pa
from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, TopicPartition


def read_topic(broker, topic):
    consumer = Consumer({"bootstrap.servers": broker, "group.id": f"compare-{time.time()}",
                         "enable.auto.commit": False, "enable.partition.eof": True})
    partitions = sorted(consumer.list_topics(topic, timeout=10).topics[topic].partitions)
    consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in partitions])
    rows, at_end = [], set()
    deadline = time.time() + 300
    while len(at_end) < len(partitions):
        if time.time() > deadline:
            raise SystemExit(f"{topic}: the ends of its partitions did not come within 300 s")
        for message in consumer.consume(10_000, timeout=1.0):
            if message.error():
                if message.error().code() == KafkaError._PARTITION_EOF:
                    at_end.add(message.partition())
                    continue
                raise SystemExit(f"{topic}: {message.error()}")
            event = json.loads(message.value())
            rows.append((event["event_id"], event["user_id"], event["event_type"], event["timestamp"],
                         message.partition(), message.key().decode()))
    consumer.close()
    names = ["event_id", "user_id", "event_type", "timestamp", "partition", "record_key"]
    return pa.table(list(map(list, zip(*rows))) if rows else [[]] * len(names), names=names)


def main():
    broker, topic, dataset = sys.argv[1], sys.argv[2], sys.argv[3]
    streamed = read_topic(broker, topic)
    db = duckdb.connect()
    db.register("streamed_raw", streamed)
    db.execute("""create view streamed as
                  select event_id, user_id, event_type, cast(timestamp as timestamp) as timestamp,
                         partition, record_key
                  from streamed_raw""")
    db.execute(f"""create view batch as
                   select event_id, user_id, event_type, timestamp
                   from read_parquet('{dataset}/**/*.parquet')""")
    checks = {
        "events in the dataset": "select count(*) from batch",
        "records in the topic": "select count(*) from streamed",
        "dataset events not in the topic": "select count(*) from batch anti join streamed using (event_id)",
        "topic events not in the dataset": "select count(*) from streamed anti join batch using (event_id)",
        "events seen twice in the topic": "select count(*) - count(distinct event_id) from streamed",
        "events whose user, type or time differ": """
            select count(*) from batch b join streamed s using (event_id)
            where b.user_id <> s.user_id or b.event_type <> s.event_type or b.timestamp <> s.timestamp""",
        "records not keyed by their user": "select count(*) from streamed where record_key <> user_id",
        "users on more than one partition": """
            select count(*) from (select user_id from streamed group by user_id
                                  having count(distinct partition) > 1)""",
        "(day, type) counts that differ": """
            select count(*) from (
              (select cast(timestamp as date) d, event_type, count(*) n from batch group by all
               except select cast(timestamp as date), event_type, count(*) from streamed group by all)
              union all
              (select cast(timestamp as date), event_type, count(*) from streamed group by all
               except select cast(timestamp as date) d, event_type, count(*) n from batch group by all))""",
    }
    values = {name: db.execute(sql).fetchone()[0] for name, sql in checks.items()}
    for name, value in values.items():
        print(f"{name}: {value:,}")
    same = (values["events in the dataset"] == values["records in the topic"] > 0
            and all(v == 0 for name, v in values.items() if name not in ("events in the dataset", "records in the topic")))
    print("the batch dataset and the topic hold the same events" if same else "they differ")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
