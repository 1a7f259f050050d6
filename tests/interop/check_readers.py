"""Reads customer-events output with the real engines our users run.

DuckDB, pyarrow, polars and Spark (local mode) each read the same dataset and
must agree on the row count, the type of every column, and the values; a
filter on the Hive partition column must read only that day's files.

Usage: check_readers.py BINARY WORKDIR
"""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import polars as pl
import pyarrow as pa
import pyarrow.dataset as ds

BINARY, WORK = sys.argv[1], Path(sys.argv[2])
SCHEMAS = Path(__file__).resolve().parents[2] / "schemas"
ROWS, DAYS, START = 20_000, 3, "2026-05-01"
# The first day: engines read the first file to bind the schema, so it must stay readable.
PRUNE_DAY = START

failures = []


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what)
    if not ok:
        failures.append(what)


def generate(out, *extra):
    if out.exists():
        shutil.rmtree(out)
    subprocess.run(
        [BINARY, "generate", "--rows", str(ROWS), "--days", str(DAYS), "--start", START,
         "--out", str(out), "--quiet", "--max-rows-per-file", "4000", *extra],
        check=True,
    )


def poison_other_days(src, dst):
    """A copy where every file outside PRUNE_DAY is garbage: reading it fails
    unless the engine prunes those partitions away."""
    if dst.exists():
        shutil.rmtree(dst)
    shutil.copytree(src, dst)
    for f in dst.glob("event_date=*/*.parquet"):
        if f.parent.name != f"event_date={PRUNE_DAY}":
            f.write_bytes(b"not a parquet file")


# The values every engine must agree on, computed with plain SQL-ish logic.
SUMMARY_SQL = """
SELECT count(*) AS events,
       count(DISTINCT user_id) AS users,
       sum(event_details.play_duration) AS play_seconds,
       sum(len(user_action)) AS actions,
       sum(len(recommendations)) AS recommendations,
       min(timestamp) AS first_ts,
       max(timestamp) AS last_ts
FROM events
"""


def duckdb_reader(path):
    con = duckdb.connect()
    con.execute(f"CREATE VIEW events AS SELECT * FROM read_parquet('{path}/**/*.parquet', hive_partitioning = true)")
    types = {r[0]: r[1] for r in con.execute("DESCRIBE events").fetchall()}
    row = con.execute(SUMMARY_SQL).fetchone()
    sample = con.execute(
        "SELECT event_id, content.title, epoch_us(timestamp), user_subscription.start_date::VARCHAR "
        "FROM events ORDER BY event_id LIMIT 50").fetchall()
    return con, types, row, sample


def check_duckdb(path, poisoned):
    con, types, row, sample = duckdb_reader(path)
    check(row[0] == ROWS, f"duckdb: {row[0]} rows")
    check(types["timestamp"] == "TIMESTAMP WITH TIME ZONE", f"duckdb: timestamp is {types['timestamp']}")
    check(types["event_date"] == "DATE", f"duckdb: event_date is {types['event_date']}")
    check(types["device"].startswith("STRUCT("), "duckdb: device is a struct")
    check("start_date DATE" in types["user_subscription"], "duckdb: start_date is a date")
    check(types["user_action"].startswith("STRUCT(") and types["user_action"].endswith("[]"),
          "duckdb: user_action is a list of structs")
    check("connected_services VARCHAR[]" in types["user_subscription"], "duckdb: connected_services is a list")
    check(types["content"].count("INTEGER") == 4, "duckdb: content has four integers")
    con2 = duckdb.connect()
    n = con2.execute(
        f"SELECT count(*) FROM read_parquet('{poisoned}/**/*.parquet', hive_partitioning = true) "
        f"WHERE event_date = DATE '{PRUNE_DAY}'").fetchone()[0]
    check(n > 0, f"duckdb: a filter on event_date reads only that day ({n} rows)")
    ddl = duckdb.connect()
    ddl.execute((SCHEMAS / "events.duckdb.sql").read_text())
    ddl.execute(f"INSERT INTO events SELECT * EXCLUDE (event_date) FROM read_parquet('{path}/**/*.parquet', hive_partitioning = true)")
    n = ddl.execute("SELECT count(*) FROM events").fetchone()[0]
    check(n == ROWS, f"duckdb: the table of schemas/events.duckdb.sql accepts the data ({n} rows)")
    # Nested values are readable and coherent.
    bad = con.execute("""SELECT count(*) FROM events
        WHERE (event_type = 'content_play') <> (event_details IS NOT NULL)
           OR event_details.play_duration > 60 * content.duration""").fetchone()[0]
    check(bad == 0, "duckdb: playback rules hold")
    return row, sample


def check_pyarrow(path, poisoned):
    dataset = ds.dataset(path, format="parquet", partitioning="hive")
    table = dataset.to_table()
    schema = table.schema
    check(table.num_rows == ROWS, f"pyarrow: {table.num_rows} rows")
    check(schema.field("timestamp").type == pa.timestamp("us", tz="UTC"), f"pyarrow: timestamp is {schema.field('timestamp').type}")
    check(pa.types.is_struct(schema.field("device").type), "pyarrow: device is a struct")
    check(pa.types.is_list(schema.field("user_action").type)
          and pa.types.is_struct(schema.field("user_action").type.value_type), "pyarrow: user_action is a list of structs")
    sub = schema.field("user_subscription").type
    check(sub.field("start_date").type == pa.date32(), "pyarrow: start_date is a date")
    pruned = ds.dataset(poisoned, format="parquet", partitioning="hive").to_table(
        filter=ds.field("event_date") == pa.scalar(PRUNE_DAY).cast(pa.date32())
        if pa.types.is_date(ds.dataset(path, format="parquet", partitioning="hive").schema.field("event_date").type)
        else ds.field("event_date") == PRUNE_DAY)
    check(pruned.num_rows > 0, f"pyarrow: a filter on event_date reads only that day ({pruned.num_rows} rows)")
    con = duckdb.connect()
    con.register("events", table)
    row = con.execute(SUMMARY_SQL).fetchone()
    sample = con.execute(
        "SELECT event_id, content.title, epoch_us(timestamp), user_subscription.start_date::VARCHAR "
        "FROM events ORDER BY event_id LIMIT 50").fetchall()
    return row, sample


def check_polars(path, poisoned):
    df = pl.read_parquet(f"{path}/**/*.parquet", hive_partitioning=True)
    check(df.height == ROWS, f"polars: {df.height} rows")
    check(df.schema["timestamp"] == pl.Datetime("us", "UTC"), f"polars: timestamp is {df.schema['timestamp']}")
    check(isinstance(df.schema["device"], pl.Struct), "polars: device is a struct")
    check(isinstance(df.schema["user_action"], pl.List) and isinstance(df.schema["user_action"].inner, pl.Struct),
          "polars: user_action is a list of structs")
    check(df.schema["event_date"] == pl.Date, f"polars: event_date is {df.schema['event_date']}")
    pruned = (pl.scan_parquet(f"{poisoned}/**/*.parquet", hive_partitioning=True)
              .filter(pl.col("event_date") == pl.lit(PRUNE_DAY).str.to_date()).select(pl.len()).collect().item())
    check(pruned > 0, f"polars: a filter on event_date reads only that day ({pruned} rows)")
    row = (
        df.height,
        df["user_id"].n_unique(),
        df.select(pl.col("event_details").struct.field("play_duration").sum()).item(),
        df.select(pl.col("user_action").list.len().sum()).item(),
        df.select(pl.col("recommendations").list.len().sum()).item(),
        df["timestamp"].min(),
        df["timestamp"].max(),
    )
    s = df.sort("event_id").head(50)
    sample = [
        (r["event_id"], r["content"]["title"], int(r["timestamp"].timestamp() * 1_000_000 + 0.5) // 1 if False else None,
         str(r["user_subscription"]["start_date"]))
        for r in s.iter_rows(named=True)
    ]
    micros = s.select(pl.col("timestamp").dt.epoch("us")).to_series().to_list()
    sample = [(a, b, m, d) for (a, b, _, d), m in zip(sample, micros)]
    return row, sample


def check_spark(path, poisoned):
    from pyspark.sql import SparkSession
    from pyspark.sql import types as T

    spark = (SparkSession.builder.master("local[2]").appName("customer-events-interop")
             .config("spark.sql.session.timeZone", "UTC").config("spark.ui.enabled", "false").getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")
    df = spark.read.parquet(str(path))
    fields = {f.name: f.dataType for f in df.schema.fields}
    check(df.count() == ROWS, "spark: row count")
    check(isinstance(fields["timestamp"], T.TimestampType), f"spark: timestamp is {fields['timestamp']}")
    check(isinstance(fields["event_date"], T.DateType), f"spark: event_date is {fields['event_date']}")
    check(isinstance(fields["device"], T.StructType), "spark: device is a struct")
    check(isinstance(fields["user_action"], T.ArrayType) and isinstance(fields["user_action"].elementType, T.StructType),
          "spark: user_action is an array of structs")
    sub = {f.name: f.dataType for f in fields["user_subscription"].fields}
    check(isinstance(sub["start_date"], T.DateType), "spark: start_date is a date")
    declared = T.StructType.fromJson(json.loads((SCHEMAS / "events.spark.json").read_text()))
    with_json = spark.read.schema(declared).parquet(str(path))
    check(with_json.count() == ROWS and with_json.select("user_action.timestamp").first() is not None,
          "spark: reads the data with schemas/events.spark.json")
    with_ddl = spark.read.schema((SCHEMAS / "events.spark.ddl").read_text().strip()).parquet(str(path))
    check(with_ddl.count() == ROWS, "spark: reads the data with schemas/events.spark.ddl")
    pruned = spark.read.parquet(str(poisoned)).where(f"event_date = DATE'{PRUNE_DAY}'").count()
    check(pruned > 0, f"spark: a filter on event_date reads only that day ({pruned} rows)")
    df.createOrReplaceTempView("events")
    r = spark.sql("""SELECT count(*), count(DISTINCT user_id), sum(event_details.play_duration),
        sum(size(user_action)), sum(size(recommendations)), min(timestamp), max(timestamp) FROM events""").collect()[0]
    rows = spark.sql("""SELECT event_id, content.title, unix_micros(timestamp), CAST(user_subscription.start_date AS STRING)
        FROM events ORDER BY event_id LIMIT 50""").collect()
    spark.stop()
    return tuple(r), [tuple(x) for x in rows]


def comparable(row):
    out = []
    for v in row:
        if hasattr(v, "timestamp"):
            v = round(v.timestamp() * 1_000_000)
        out.append(int(v) if isinstance(v, (int, float)) else v)
    return tuple(out)


def check_json_and_avro_schemas():
    import datetime

    import fastavro
    import jsonschema

    out = subprocess.run([BINARY, "sample", "--count", "200"], check=True, capture_output=True, text=True).stdout
    events = [json.loads(line) for line in out.splitlines()]
    validator = jsonschema.Draft202012Validator(json.loads((SCHEMAS / "events.schema.json").read_text()))
    errors = [e.message for ev in events for e in validator.iter_errors(ev)]
    check(not errors, f"json-schema: 200 sampled events validate ({errors[:1]})")
    avro = fastavro.parse_schema(json.loads((SCHEMAS / "events.avsc").read_text()))

    def to_avro(value, key=None):
        if isinstance(value, dict):
            return {k: to_avro(v, k) for k, v in value.items()}
        if isinstance(value, list):
            return [to_avro(v) for v in value]
        if key == "timestamp":
            return datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
        if key == "start_date":
            return datetime.date.fromisoformat(value)
        return value

    import io
    buffer = io.BytesIO()
    fastavro.writer(buffer, avro, [to_avro(e) for e in events])
    buffer.seek(0)
    back = list(fastavro.reader(buffer))
    check(len(back) == 200 and back[0]["event_id"] == events[0]["event_id"],
          "avro: 200 sampled events round-trip through schemas/events.avsc")


def main():
    WORK.mkdir(parents=True, exist_ok=True)
    check_json_and_avro_schemas()
    nested, poisoned = WORK / "nested", WORK / "nested-poisoned"
    generate(nested)
    poison_other_days(nested, poisoned)
    results = {
        "duckdb": check_duckdb(nested, poisoned),
        "pyarrow": check_pyarrow(nested, poisoned),
        "polars": check_polars(nested, poisoned),
        "spark": check_spark(nested, poisoned),
    }
    reference_row, reference_sample = comparable(results["duckdb"][0]), results["duckdb"][1]
    for engine, (row, sample) in results.items():
        check(comparable(row) == reference_row, f"{engine}: aggregates equal duckdb's {comparable(row)}")
        check([tuple(s) for s in sample] == [tuple(s) for s in reference_sample],
              f"{engine}: the first 50 events equal duckdb's")
    print(json.dumps({"checks_failed": len(failures)}))
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
