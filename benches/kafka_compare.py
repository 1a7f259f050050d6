#!/usr/bin/env python3
"""Events per second into a Kafka broker: customer-events beside two references.

All three produce into the same broker (e.g. tansu on loopback, as
`.ci/tansu.sh` starts it), each into its own topic created beforehand with the
same partitions, LZ4-compressed, acknowledged before the clock stops:

- **ceiling**: a confluent-kafka producer sending pre-built messages: the
  keys, values and headers of real events (the first 10,000 lines of
  `customer-events stream`, cycled), so the same records; what the broker
  and client take when nothing is generated;
- **customer-events**: `stream --to kafka://…` of `--events` events (the
  whole process: connecting, creating the topic, generation, JSON, the
  producer, the final flush), and the same with `--format avro`;
- **python**: what the original module did: one dict per event built with
  `random` (benches/python_baseline.py's generator), `json.dumps`, produced
  with confluent-kafka, keyed by user_id.

Runs alternate the three, `--runs` times; the report gives each one's median
events/s and the ratios. With `--rate-check`, it also streams 600,000 events
at `--rate 10000` into the broker and reports the whole run's deviation from
60 s.

    python benches/kafka_compare.py --binary target/release/customer-events \\
        --broker 127.0.0.1:9092 --events 2000000 --python-events 100000 --runs 2

needs confluent-kafka (tests/interop/requirements.txt).
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient, NewTopic

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import python_baseline  # noqa: E402

PRODUCER = {"compression.type": "lz4", "linger.ms": 20, "batch.num.messages": 10000,
            "queue.buffering.max.messages": 200000, "enable.idempotence": True}


def create_topic(broker, topic, partitions):
    admin = AdminClient({"bootstrap.servers": broker})
    admin.create_topics([NewTopic(topic, num_partitions=partitions, replication_factor=1)])[topic].result()


def produce_all(broker, topic, messages):
    """Sends (key, value, headers) triples from the iterable; seconds until
    all are acknowledged."""
    producer = Producer({"bootstrap.servers": broker, **PRODUCER})
    failed = []

    def delivered(error, _):
        if error is not None:
            failed.append(error)

    start = time.perf_counter()
    for key, value, headers in messages:
        while True:
            try:
                producer.produce(topic, key=key, value=value, headers=headers, on_delivery=delivered)
                break
            except BufferError:
                producer.poll(0.05)
        producer.poll(0)
    left = producer.flush(120)
    seconds = time.perf_counter() - start
    if failed or left:
        raise SystemExit(f"{topic}: {len(failed)} failed, {left} not acknowledged")
    return seconds


def ceiling(broker, topic, events, samples):
    def messages():
        for i in range(events):
            yield samples[i % len(samples)]
    return produce_all(broker, topic, messages())


def python_producer(broker, topic, events):
    def messages():
        for _ in range(events):
            event = python_baseline.generate_consumer_event_data()
            yield event["user_id"].encode(), json.dumps(event, default=str).encode(), None
    return produce_all(broker, topic, messages())


def ours(binary, broker, topic, events, value_format="json"):
    start = time.perf_counter()
    subprocess.run([binary, "stream", "--rows", str(events), "--days", "7", "--quiet", "--format", value_format,
                    "--to", f"kafka://{broker}/{topic}"], check=True)
    return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--binary", required=True)
    parser.add_argument("--broker", required=True, help="host:port")
    parser.add_argument("--events", type=int, default=2_000_000)
    parser.add_argument("--python-events", type=int, default=100_000)
    parser.add_argument("--partitions", type=int, default=3)
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--rate-check", action="store_true")
    args = parser.parse_args()

    lines = subprocess.run([args.binary, "stream", "--rows", "10k", "--days", "1", "--quiet"],
                           check=True, capture_output=True).stdout.splitlines()
    # The records customer-events sends: key, value and its four headers.
    samples = []
    for index, line in enumerate(lines):
        event = json.loads(line)
        headers = [("schema_version", b"1"), ("event_type", event["event_type"].encode()),
                   ("event_index", str(index).encode()), ("stream", b"0c1d2e3f")]
        samples.append((event["user_id"].encode(), line, headers))
    mean_bytes = statistics.mean(len(v) for _, v, _ in samples)

    names = ("ceiling", "customer-events", "customer-events avro", "python")
    rates = {name: [] for name in names}
    for run in range(args.runs):
        stamp = f"{int(time.time())}-{run}"
        for name in names:
            topic = f"bench-{name.replace(' ', '-')}-{stamp}"
            if name == "ceiling":
                create_topic(args.broker, topic, args.partitions)
                events, seconds = args.events, ceiling(args.broker, topic, args.events, samples)
            elif name == "customer-events":
                events, seconds = args.events, ours(args.binary, args.broker, topic, args.events)
            elif name == "customer-events avro":
                events, seconds = args.events, ours(args.binary, args.broker, topic, args.events, "avro")
            else:
                create_topic(args.broker, topic, args.partitions)
                events, seconds = args.python_events, python_producer(args.broker, topic, args.python_events)
            rates[name].append(events / seconds)
            # The broker may hold topics in memory: free this one.
            admin = AdminClient({"bootstrap.servers": args.broker})
            admin.delete_topics([topic])[topic].result()
            print(f"run {run + 1} {name}: {events:,} events in {seconds:.2f} s ({events / seconds:,.0f}/s)",
                  file=sys.stderr, flush=True)

    median = {name: statistics.median(values) for name, values in rates.items()}
    print(f"| producer | events/s (median of {args.runs}) | ratio to customer-events |")
    print("|---|---|---|")
    for name in names:
        print(f"| {name} | {median[name]:,.0f} | {median[name] / median['customer-events']:.2f} |")
    print(f"\nvalues {mean_bytes:,.0f} bytes on average; {args.partitions} partitions; LZ4; "
          f"customer-events at {median['customer-events'] / median['ceiling']:.0%} of the ceiling, "
          f"{median['customer-events'] / median['python']:.1f}× the Python producer")

    if args.rate_check:
        topic = f"bench-rate-{int(time.time())}"
        start = time.perf_counter()
        subprocess.run([args.binary, "stream", "--rows", "600k", "--days", "7", "--rate", "10000", "--quiet",
                        "--to", f"kafka://{args.broker}/{topic}"], check=True)
        seconds = time.perf_counter() - start
        print(f"\n--rate 10000, 600,000 events: {seconds:.2f} s, {seconds / 60 - 1:+.2%} from 60 s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
