"""Streams customer-events into a real Kafka-compatible broker and reads it back.

The broker is tansu's, on loopback (`.ci/kafka` starts it and passes its
address). With confluent-kafka as the reader, it checks what a streaming
pipeline relies on:

- a stream of a dataset puts every event in the topic once: values equal to
  the lines of `generate --format ndjson` of the same options, keys the
  events' user_id, each key on the partition the Java client's default
  partitioner (librdkafka's murmur2_random, as confluent-kafka's producer
  uses it) gives it, per-key order by timestamp, record timestamps equal to
  the events', headers with the schema version, event type and event index;
- `--format avro` values decode with schemas/events.avsc to the same events;
- a topic that holds records is refused without --resume;
- a stream stopped by SIGTERM prints one line whose command, run as printed,
  completes the topic with no duplicate and no gap; so does --resume after
  SIGKILL, and a stopped --realtime stream continued later (it catches up);
- a wrong address and another stream's topic are one-line refusals, exit 2.

Usage: check_kafka.py BINARY WORKDIR BROKER (host:port)
"""

import calendar
import io
import json
import shlex
import signal
import subprocess
import sys
import time
from datetime import date, datetime
from pathlib import Path

import fastavro
from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

BINARY, WORK, BROKER = sys.argv[1], Path(sys.argv[2]), sys.argv[3]
failures = []


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what, flush=True)
    if not ok:
        failures.append(what)


def run(*args, check_exit=True):
    result = subprocess.run([BINARY, *args], capture_output=True, text=True)
    if check_exit and result.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed ({result.returncode}): {result.stderr}")
    return result


def url(topic):
    return f"kafka://{BROKER}/{topic}"


def read_topic(topic, raw=False):
    """Every record of `topic`, read to the end of each partition (the
    consumer's end-of-partition event: tansu's high watermark can fall short
    of its last batch): (partition, offset, key, value, timestamp ms, headers)."""
    consumer = Consumer({"bootstrap.servers": BROKER, "group.id": f"check-{topic}-{time.time()}",
                         "enable.auto.commit": False, "enable.partition.eof": True})
    metadata = consumer.list_topics(topic, timeout=10)
    partitions = sorted(metadata.topics[topic].partitions)
    consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in partitions])
    records, at_end = [], set()
    deadline = time.time() + 120
    while len(at_end) < len(partitions) and time.time() < deadline:
        for message in consumer.consume(10_000, timeout=1.0):
            if message.error():
                if message.error().code() == KafkaError._PARTITION_EOF:
                    at_end.add(message.partition())
                    continue
                raise SystemExit(f"reading {topic}: {message.error()}")
            value = message.value()
            records.append((message.partition(), message.offset(), message.key().decode(),
                            value if raw else value.decode(), message.timestamp()[1],
                            {k: v.decode() for k, v in (message.headers() or [])}))
    consumer.close()
    if len(at_end) < len(partitions):
        raise SystemExit(f"reading {topic}: the partitions' ends did not come within 120 s")
    return partitions, records


def ndjson_lines(options):
    out = WORK / f"ndjson-{abs(hash(options))}"
    run("generate", "--format", "ndjson", "--quiet", "--out", str(out), *options)
    files = sorted(p for p in out.rglob("*.ndjson"))
    return [line for f in files for line in f.read_text().splitlines()]


def event_time_ms(value):
    """The event's timestamp (`2026-05-01T00:00:01.123456Z`) in whole milliseconds."""
    stamp = datetime.strptime(json.loads(value)["timestamp"], "%Y-%m-%dT%H:%M:%S.%fZ")
    return calendar.timegm(stamp.timetuple()) * 1000 + stamp.microsecond // 1000


def java_partitions(keys, partitions):
    """Where confluent-kafka's producer, with the Java client's partitioner
    (murmur2_random), puts each key: produced to a scratch topic and read back."""
    topic = "placement-reference"
    admin = AdminClient({"bootstrap.servers": BROKER})
    admin.create_topics([NewTopic(topic, num_partitions=partitions, replication_factor=1)])[topic].result()
    producer = Producer({"bootstrap.servers": BROKER, "partitioner": "murmur2_random"})
    placed = {}

    def delivered(error, message):
        if error is None:
            placed[message.key().decode()] = message.partition()

    for key in keys:
        producer.produce(topic, key=key.encode(), value=b"", on_delivery=delivered)
    producer.flush(30)
    return placed


# -- A whole stream, read back ------------------------------------------------
OPTIONS = ("--rows", "20k", "--days", "2", "--seed", "7", "--start", "2026-05-01")
result = run("stream", "--to", url("events"), "--partitions", "3", *OPTIONS)
check("streamed 20,000 events" in result.stderr, f"the stream reports its events: {result.stderr.strip()}")
partitions, records = read_topic("events")
check(partitions == [0, 1, 2], f"the topic was created with 3 partitions ({partitions})")
check(len(records) == 20_000, f"the topic holds 20,000 records ({len(records)})")
by_index = {}
for record in records:
    by_index.setdefault(int(record[5].get("event_index", -1)), []).append(record)
check(sorted(by_index) == list(range(20_000)) and all(len(r) == 1 for r in by_index.values()),
      "each event index 0..19,999 is in the topic exactly once")
values = [by_index[i][0][3] for i in sorted(by_index)]
check(values == ndjson_lines(OPTIONS),
      "the values, in event order, are the lines of generate --format ndjson of the same options")
check(all(r[2] == json.loads(r[3])["user_id"] for r in records), "every key is the event's user_id")
key_partitions = {}
for record in records:
    key_partitions.setdefault(record[2], set()).add(record[0])
check(all(len(p) == 1 for p in key_partitions.values()),
      f"each of {len(key_partitions):,} users' events are on one partition")
sample = sorted(key_partitions)[:300]
reference = java_partitions(sample, 3)
check(len(reference) == len(sample) and all(reference[k] in key_partitions[k] for k in sample),
      "keys are on the partitions the Java client's partitioner (murmur2) gives them")
per_key_order = True
for partition in partitions:
    in_partition = sorted((r for r in records if r[0] == partition), key=lambda r: r[1])
    last = {}
    for r in in_partition:
        index = int(r[5]["event_index"])
        if last.get(r[2], -1) > index:
            per_key_order = False
        last[r[2]] = index
check(per_key_order, "within a partition, each user's events are in stream (timestamp) order")
check(all(r[4] == event_time_ms(r[3]) for r in records),
      "every record's timestamp is its event's timestamp (ms)")
check(all(r[5].get("schema_version") == "1" and r[5].get("event_type") == json.loads(r[3])["event_type"]
          for r in records), "headers carry the schema version and the event type")

# -- Avro values --------------------------------------------------------------
def plain(value):
    """An Avro-decoded value in the JSON's terms: timestamps and dates as text,
    no null-valued keys (NDJSON leaves out an action's unused keys)."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    if isinstance(value, date):
        return value.isoformat()
    return value


AVRO_OPTIONS = ("--rows", "5k", "--days", "1", "--seed", "3", "--start", "2026-06-01")
run("stream", "--to", url("events-avro"), "--format", "avro", *AVRO_OPTIONS)
schema = fastavro.parse_schema(json.loads(Path("schemas/events.avsc").read_text()))
avro_records = sorted(read_topic("events-avro", raw=True)[1], key=lambda r: int(r[5]["event_index"]))
decoded = [plain(fastavro.schemaless_reader(io.BytesIO(r[3]), schema)) for r in avro_records]
expected = [plain(json.loads(line)) for line in ndjson_lines(AVRO_OPTIONS)]
check(len(decoded) == 5_000 and decoded == expected,
      "--format avro: each value decodes with schemas/events.avsc to the event of generate --format ndjson")

# -- A topic with records is not written into again without --resume ----------
again = run("stream", "--to", url("events"), *OPTIONS, check_exit=False)
lines = again.stderr.strip().splitlines()
check(again.returncode == 2 and len(lines) == 1 and "--resume" in lines[0],
      f"a second stream into a full topic is refused in one line naming --resume: {again.stderr.strip()}")
resumed = run("stream", "--to", url("events"), "--resume", *OPTIONS)
check(len(read_topic("events")[1]) == 20_000, "--resume on a complete topic adds nothing")
other = run("stream", "--to", url("events"), "--resume", "--rows", "20k", "--days", "2", "--seed", "8",
            "--start", "2026-05-01", check_exit=False)
check(other.returncode == 2 and len(other.stderr.strip().splitlines()) == 1
      and "another stream" in other.stderr, f"--resume into another stream's topic is refused: {other.stderr.strip()}")


# -- Stopped streams continue with no duplicate and no gap --------------------
def stopped_stream_completes(topic, stop_signal):
    options = ("--rows", "300k", "--days", "3", "--seed", "11", "--start", "2026-05-01")
    child = subprocess.Popen([BINARY, "stream", "--to", url(topic), *options],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    # Stop it once the topic holds some of the stream.
    consumer = Consumer({"bootstrap.servers": BROKER, "group.id": f"watch-{topic}"})
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            held = sum(consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=5)[1] for p in range(3))
        except Exception:
            held = 0
        if held > 20_000:
            break
        time.sleep(0.05)
    consumer.close()
    child.send_signal(stop_signal)
    _, stderr = child.communicate(timeout=120)
    held = len(read_topic(topic)[1])
    check(0 < held < 300_000, f"{topic}: the stopped stream left part of the events ({held:,})")
    if stop_signal == signal.SIGTERM:
        lines = stderr.strip().splitlines()
        check(child.returncode == 143 and len(lines) == 1 and "continue with: " in lines[0],
              f"SIGTERM: exit 143 and one line: {stderr.strip()}")
        command = shlex.split(lines[-1].split("continue with: ", 1)[1])
        command[0] = BINARY
    else:
        check(child.returncode == -9, "SIGKILL killed the stream")
        command = [BINARY, "stream", "--to", url(topic), *options, "--resume"]
    finished = subprocess.run(command, capture_output=True, text=True)
    check(finished.returncode == 0, f"{topic}: the continued stream succeeds: {finished.stderr.strip()}")
    records = read_topic(topic)[1]
    indices = sorted(int(r[5]["event_index"]) for r in records)
    check(indices == list(range(300_000)),
          f"{topic}: after the continuation the topic holds each of the 300,000 events once "
          f"({len(indices):,} records, {len(set(indices)):,} distinct)")


stopped_stream_completes("stopped-by-sigterm", signal.SIGTERM)
stopped_stream_completes("killed", signal.SIGKILL)

# -- A realtime stream continues with no gap: it catches up, then plays on ----
def run_for(command, seconds):
    child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(seconds)
    child.send_signal(signal.SIGINT)
    _, stderr = child.communicate(timeout=60)
    return child.returncode, stderr


live = [BINARY, "stream", "--realtime", "--speed", "600", "--events-per-day", "200k", "--seed", "5",
        "--to", url("live")]
code, stderr = run_for(live, 3)
lines = stderr.strip().splitlines()
check(code == 130 and len(lines) == 1 and lines[0].endswith("--resume"),
      f"a stopped realtime stream: exit 130, one line ending in --resume: {stderr.strip()}")
first = sorted(int(r[5]["event_index"]) for r in read_topic("live")[1])
time.sleep(2)  # the continued stream picks up at the first event the topic lacks
command = shlex.split(lines[-1].split("continue with: ", 1)[1])
command[0] = BINARY
code, stderr = run_for(command, 3)
indices = sorted(int(r[5]["event_index"]) for r in read_topic("live")[1])
check(code == 130 and len(first) > 0 and len(indices) > len(first)
      and indices == list(range(indices[0], indices[-1] + 1)),
      f"the continued realtime stream leaves no gap and no duplicate ({len(first):,} then {len(indices):,} events)")

# -- Refusals -----------------------------------------------------------------
wrong = subprocess.run([BINARY, "stream", "--to", "kafka://127.0.0.1:1/events", "--rows", "10"],
                       capture_output=True, text=True, timeout=60)
check(wrong.returncode == 2 and len(wrong.stderr.strip().splitlines()) == 1
      and "no Kafka broker answers" in wrong.stderr,
      f"a refused connection is one line, exit 2: {wrong.stderr.strip()}")

if failures:
    print(f"{len(failures)} check(s) failed", file=sys.stderr)
    sys.exit(1)
print("all Kafka checks passed")
