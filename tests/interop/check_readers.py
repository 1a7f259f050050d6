"""Reads customer-events output with the real engines our users run.

DuckDB, pyarrow, polars and Spark (local mode) each read the same dataset and
must agree on the row count, the type of every column, and the values; a
filter on the Hive partition column must read only that day's files.

Besides the nested Parquet dataset, the same events are written as NDJSON
(plain and gzip), as Arrow IPC files and in the normalized (star schema)
layout; every engine that can read a format reads it, and each must hold the
same events as the nested Parquet dataset. One SparkSession serves every Spark
check. An engine that cannot read a format gets a `skip` line saying why.

Usage: check_readers.py BINARY WORKDIR
"""

import datetime
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.ipc as ipc
import pyarrow.json as pj
import pyarrow.parquet as pq

BINARY, WORK = sys.argv[1], Path(sys.argv[2])
SCHEMAS = Path(__file__).resolve().parents[2] / "schemas"
# The example query that replays the subscription change feed into SCD2 versions.
CDC_REPLAY_SQL = (Path(__file__).resolve().parents[2] / "examples/queries/normalized/21_cdc_replay.sql").read_text()
ROWS, DAYS, START = 20_000, 3, "2026-05-01"
# The first day: engines read the first file to bind the schema, so it must stay readable.
PRUNE_DAY = START

failures = []


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what)
    if not ok:
        failures.append(what)


def skip(what):
    print("skip " + what)


def generate(out, *extra):
    if out.exists():
        shutil.rmtree(out)
    subprocess.run(
        [BINARY, "generate", "--rows", str(ROWS), "--days", str(DAYS), "--start", START,
         "--out", str(out), "--quiet", "--max-rows-per-file", "4000", *extra],
        check=True,
    )


def poison_other_days(src, dst, pattern="*.parquet"):
    """A copy where every file outside PRUNE_DAY is garbage: reading it fails
    unless the engine prunes those partitions away."""
    if dst.exists():
        shutil.rmtree(dst)
    shutil.copytree(src, dst)
    for f in dst.glob(f"event_date=*/{pattern}"):
        if f.parent.name != f"event_date={PRUNE_DAY}":
            f.write_bytes(b"not a data file")


_spark = None


def spark_session():
    """The one SparkSession every Spark check shares (starting one takes seconds)."""
    global _spark
    if _spark is None:
        from pyspark.sql import SparkSession

        _spark = (SparkSession.builder.master("local[2]").appName("customer-events-interop")
                  .config("spark.sql.session.timeZone", "UTC").config("spark.ui.enabled", "false").getOrCreate())
        _spark.sparkContext.setLogLevel("ERROR")
    return _spark


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
SAMPLE_SQL = """
SELECT event_id::VARCHAR, content.title, epoch_us(timestamp), user_subscription.start_date::VARCHAR
FROM events ORDER BY event_id LIMIT 50
"""


def duckdb_reader(path):
    con = duckdb.connect()
    con.execute(f"CREATE VIEW events AS SELECT * FROM read_parquet('{path}/**/*.parquet', hive_partitioning = true)")
    types = {r[0]: r[1] for r in con.execute("DESCRIBE events").fetchall()}
    row = con.execute(SUMMARY_SQL).fetchone()
    sample = con.execute(SAMPLE_SQL).fetchall()
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
    sample = con.execute(SAMPLE_SQL).fetchall()
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


SPARK_SUMMARY_SQL = """SELECT count(*), count(DISTINCT user_id), sum(event_details.play_duration),
    sum(size(user_action)), sum(size(recommendations)), min(timestamp), max(timestamp) FROM events"""
SPARK_SAMPLE_SQL = """SELECT event_id, content.title, unix_micros(timestamp), CAST(user_subscription.start_date AS STRING)
    FROM events ORDER BY event_id LIMIT 50"""


def check_spark(path, poisoned):
    from pyspark.sql import types as T

    spark = spark_session()
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
    r = spark.sql(SPARK_SUMMARY_SQL).collect()[0]
    rows = spark.sql(SPARK_SAMPLE_SQL).collect()
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


# ---------------------------------------------------------------------------
# The nested Parquet reference the other formats and layouts are compared to.


class Reference:
    """The nested Parquet dataset as each engine holds it, and its aggregates."""

    def __init__(self, path, row, sample):
        self.path = path
        self.row = row                          # comparable(SUMMARY_SQL) from DuckDB
        self.sample = [tuple(s) for s in sample]
        self.table = ds.dataset(path, format="parquet").to_table().sort_by("event_id")  # no event_date column
        self.schema = self.table.schema
        self.polars = pl.from_arrow(self.table)
        self.searches = pc.sum(pc.list_value_length(self.table["search_history"])).as_py()
        self.spark_columns = self.schema.names + ["event_date"]
        self._spark_fingerprint = None

    def spark_fingerprint(self):
        if self._spark_fingerprint is None:
            self._spark_fingerprint = spark_fingerprint(spark_session().read.parquet(str(self.path)), self.spark_columns)
        return self._spark_fingerprint


def relaxed(t, date_as=None):
    """The type with every nested field nullable, and dates as date_as if given."""
    if pa.types.is_date32(t) and date_as is not None:
        return date_as
    if pa.types.is_struct(t):
        return pa.struct([f.with_type(relaxed(f.type, date_as)).with_nullable(True) for f in t])
    if pa.types.is_list(t):
        return pa.list_(t.value_field.with_type(relaxed(t.value_type, date_as)).with_nullable(True))
    return t


def relaxed_schema(schema, date_as=None):
    return pa.schema([f.with_type(relaxed(f.type, date_as)).with_nullable(True) for f in schema])


def pyarrow_summary(t):
    """The SUMMARY_SQL tuple computed with pyarrow.compute alone."""
    ts = pc.min_max(t["timestamp"]).as_py()
    return (t.num_rows,
            pc.count_distinct(t["user_id"]).as_py(),
            pc.sum(pc.struct_field(t["event_details"], "play_duration")).as_py(),
            pc.sum(pc.list_value_length(t["user_action"])).as_py(),
            pc.sum(pc.list_value_length(t["recommendations"])).as_py(),
            ts["min"], ts["max"])


def polars_summary(df):
    return (df.height,
            df["user_id"].n_unique(),
            df.select(pl.col("event_details").struct.field("play_duration").sum()).item(),
            df.select(pl.col("user_action").list.len().sum()).item(),
            df.select(pl.col("recommendations").list.len().sum()).item(),
            df["timestamp"].min(),
            df["timestamp"].max())


def spark_fingerprint(df, columns):
    """A hash of every value of every row (nested ones included), whatever the row order."""
    from pyspark.sql import functions as F

    return df.select(F.sum(F.xxhash64(*columns).cast("decimal(38,0)"))).first()[0]


def pruned_count(read):
    """The row count a read of a poisoned copy gives, or its error: reading a
    garbage file means the engine did not prune that partition."""
    try:
        return read()
    except Exception as e:  # noqa: BLE001 - any engine's error
        return f"error: {str(e).splitlines()[0][:200]}"


def date_literal(day):
    return datetime.date.fromisoformat(day)


# ---------------------------------------------------------------------------
# NDJSON


def check_ndjson_duckdb(label, path, ext, ref, poisoned=None):
    con = duckdb.connect()
    con.execute(f"CREATE TABLE events AS SELECT * FROM read_json('{path}/**/*.{ext}', hive_partitioning = true)")
    types = {r[0]: r[1] for r in con.execute("DESCRIBE events").fetchall()}
    n = con.execute("SELECT count(*) FROM events").fetchone()[0]
    check(n == ROWS, f"{label} duckdb: {n} rows")
    check(types["timestamp"] == "TIMESTAMP WITH TIME ZONE", f"{label} duckdb: timestamp is detected as {types['timestamp']}")
    check(types["event_date"] == "DATE", f"{label} duckdb: event_date is {types['event_date']}")
    check("start_date DATE" in types["user_subscription"], f"{label} duckdb: start_date is detected as a date")
    check(types["user_action"].startswith("STRUCT(") and types["user_action"].endswith("[]")
          and '"timestamp" TIMESTAMP WITH TIME ZONE' in types["user_action"],
          f"{label} duckdb: user_action is a list of structs with a timestamp")
    check(types["event_details"].startswith("STRUCT("), f"{label} duckdb: event_details is a struct")
    # Every value equals the Parquet one: DuckDB compares the nested values, whatever
    # integer width or UUID type it detected in the JSON.
    con.execute(f"CREATE VIEW parquet AS SELECT * FROM read_parquet('{ref.path}/**/*.parquet', hive_partitioning = true)")
    cols = ", ".join(f'"{r[0]}"' for r in con.execute("DESCRIBE parquet").fetchall())
    diff = con.execute(f"""
        SELECT (SELECT count(*) FROM (SELECT {cols} FROM events EXCEPT ALL SELECT {cols} FROM parquet))
             + (SELECT count(*) FROM (SELECT {cols} FROM parquet EXCEPT ALL SELECT {cols} FROM events))""").fetchone()[0]
    check(diff == 0, f"{label} duckdb: every event equals the Parquet one ({diff} rows differ)")
    if poisoned is not None:
        # read_json samples up to 32 files to detect the schema, whatever the filter;
        # one file (of the kept day) is enough to bind it, so only the scan is tested.
        n = pruned_count(lambda: duckdb.connect().execute(
            f"SELECT count(*) FROM read_json('{poisoned}/**/*.{ext}', hive_partitioning = true, maximum_sample_files = 1) "
            f"WHERE event_date = DATE '{PRUNE_DAY}'").fetchone()[0])
        check(isinstance(n, int) and n > 0, f"{label} duckdb: a filter on event_date reads only that day ({n} rows)")
    return con.execute(SUMMARY_SQL).fetchone(), con.execute(SAMPLE_SQL).fetchall()


def check_ndjson_spark(label, path, ref, poisoned=None):
    from pyspark.sql import types as T

    spark = spark_session()
    declared = T.StructType.fromJson(json.loads((SCHEMAS / "events.spark.json").read_text()))
    df = spark.read.schema(declared).option("mode", "FAILFAST").json(str(path))
    fields = {f.name: f.dataType for f in df.schema.fields}
    n = df.count()
    check(n == ROWS, f"{label} spark: {n} rows with schemas/events.spark.json")
    check(isinstance(fields["timestamp"], T.TimestampType), f"{label} spark: timestamp is {fields['timestamp']}")
    check(isinstance(fields.get("event_date"), T.DateType), f"{label} spark: event_date is {fields.get('event_date')}")
    sub = {f.name: f.dataType for f in fields["user_subscription"].fields}
    check(isinstance(sub["start_date"], T.DateType), f"{label} spark: start_date is {sub['start_date']}")
    check(isinstance(fields["user_action"], T.ArrayType) and isinstance(fields["user_action"].elementType, T.StructType),
          f"{label} spark: user_action is an array of structs")
    df.createOrReplaceTempView("events")
    unparsed = spark.sql("""SELECT count(*) FROM events WHERE timestamp IS NULL OR user_subscription.start_date IS NULL
        OR exists(user_action, a -> a.timestamp IS NULL) OR exists(search_history, s -> s.timestamp IS NULL)""").first()[0]
    check(unparsed == 0, f"{label} spark: every timestamp and date parses ({unparsed} rows with a null)")
    fingerprint = spark_fingerprint(df, ref.spark_columns)
    check(fingerprint == ref.spark_fingerprint(), f"{label} spark: the hash of every value equals the Parquet one's")
    if poisoned is not None:
        pruned = pruned_count(lambda: spark.read.schema(declared).json(str(poisoned))
                              .where(f"event_date = DATE'{PRUNE_DAY}'").count())
        check(isinstance(pruned, int) and pruned > 0,
              f"{label} spark: a filter on event_date reads only that day ({pruned} rows)")
    r = spark.sql(SPARK_SUMMARY_SQL).collect()[0]
    rows = spark.sql(SPARK_SAMPLE_SQL).collect()
    return tuple(r), [tuple(x) for x in rows]


def check_ndjson_polars(label, path, ext, ref):
    schema = pl.read_parquet_schema(next(iter(sorted(ref.path.glob("event_date=*/*.parquet")))))
    df = pl.scan_ndjson(f"{path}/**/*.{ext}", schema=schema).collect()
    check(df.height == ROWS, f"{label} polars: {df.height} rows with the Parquet schema")
    check(df.schema["timestamp"] == pl.Datetime("us", "UTC"), f"{label} polars: timestamp is {df.schema['timestamp']}")
    start = df.schema["user_subscription"].to_schema()["start_date"]
    check(start == pl.Date, f"{label} polars: start_date is {start}")
    check(isinstance(df.schema["user_action"], pl.List) and isinstance(df.schema["user_action"].inner, pl.Struct),
          f"{label} polars: user_action is a list of structs")
    same = df.sort("event_id").equals(ref.polars.select(df.columns))
    check(same, f"{label} polars: every event equals the Parquet one")
    return polars_summary(df)


def check_ndjson_pyarrow(label, path, ext, ref):
    # Two limitations of pyarrow's JSON reader shape the explicit schema: it converts
    # strings to timestamps but not to date32 (apache/arrow#45936), and it refuses a
    # null struct whose children are required (apache/arrow#40681). So dates are read
    # as timestamp[s] and cast (a safe cast: it fails on any time of day), and every
    # field is nullable.
    read_as = relaxed_schema(ref.schema, date_as=pa.timestamp("s"))
    files = sorted(path.glob(f"event_date=*/*.{ext}"))
    options = pj.ParseOptions(explicit_schema=read_as, unexpected_field_behavior="error")
    table = pa.concat_tables([pj.read_json(f, parse_options=options) for f in files])
    check(table.num_rows == ROWS, f"{label} pyarrow: {table.num_rows} rows with explicit_schema from the Parquet schema "
          "(dates read as timestamp[s], apache/arrow#45936; all fields nullable, apache/arrow#40681)")
    check(table.schema.field("timestamp").type == pa.timestamp("us", tz="UTC"),
          f"{label} pyarrow: timestamp is {table.schema.field('timestamp').type}")
    table = table.cast(relaxed_schema(ref.schema))
    check(table.schema.field("user_subscription").type.field("start_date").type == pa.date32(),
          f"{label} pyarrow: start_date casts to date32")
    same = table.sort_by("event_id").equals(ref.table.cast(relaxed_schema(ref.schema)))
    check(same, f"{label} pyarrow: every event equals the Parquet one")
    return pyarrow_summary(table)


def check_ndjson(ref):
    results = {}
    plain, gzip, poisoned = WORK / "ndjson", WORK / "ndjson-gzip", WORK / "ndjson-poisoned"
    generate(plain, "--format", "ndjson")
    generate(gzip, "--format", "ndjson", "--compression", "gzip")
    poison_other_days(plain, poisoned, "*.ndjson")
    for label, path, ext, pruning in [("ndjson", plain, "ndjson", poisoned), ("ndjson.gz", gzip, "ndjson.gz", None)]:
        files = sorted(path.glob(f"event_date=*/part-*.{ext}"))
        check(len(files) > 0 and len(files) == len(list(path.glob("event_date=*/*"))),
              f"{label}: {len(files)} files event_date=*/part-*.{ext}")
        results[f"{label} duckdb"] = check_ndjson_duckdb(label, path, ext, ref, pruning)
        results[f"{label} spark"] = check_ndjson_spark(label, path, ref, pruning)
        results[f"{label} polars"] = (check_ndjson_polars(label, path, ext, ref), None)
        results[f"{label} pyarrow"] = (check_ndjson_pyarrow(label, path, ext, ref), None)
    check(results["ndjson.gz duckdb"][0][0] == results["ndjson.gz spark"][0][0] == ROWS,
          "ndjson.gz: duckdb and spark read the same row count")
    skip("ndjson polars: event_date partitions (scan_ndjson has no hive_partitioning)")
    skip("ndjson pyarrow: partition pruning, pyarrow.dataset(format='json') hangs on 4+ files larger than its "
         "1 MiB block (pyarrow 26.0.1); the files are read one by one with pyarrow.json.read_json")
    return results


# ---------------------------------------------------------------------------
# Arrow IPC


def check_arrow(ref):
    results = {}
    path, poisoned = WORK / "arrow", WORK / "arrow-poisoned"
    generate(path, "--format", "arrow")
    poison_other_days(path, poisoned, "*.arrow")
    files = sorted(path.glob("event_date=*/part-*.arrow"))
    check(len(files) > 0 and len(files) == len(list(path.glob("event_date=*/*"))),
          f"arrow: {len(files)} files event_date=*/part-*.arrow")

    # pyarrow: the files one by one, then as a dataset.
    rows, schemas_equal = 0, True
    for f in files:
        with ipc.open_file(f) as reader:
            schemas_equal &= reader.schema.equals(ref.schema)
            rows += reader.read_all().num_rows
    check(rows == ROWS, f"arrow pyarrow: ipc.open_file reads {rows} rows")
    check(schemas_equal, "arrow pyarrow: every file's schema equals the Parquet files' Arrow schema (nullability included)")
    partitioning = ds.partitioning(pa.schema([("event_date", pa.date32())]), flavor="hive")
    table = ds.dataset(path, format="ipc", partitioning=partitioning).to_table()
    check(table.num_rows == ROWS, f"arrow pyarrow: dataset(format='ipc') reads {table.num_rows} rows")
    check(table.schema.field("event_date").type == pa.date32(), "arrow pyarrow: event_date is a date")
    events = table.drop_columns(["event_date"])
    check(events.sort_by("event_id").equals(ref.table), "arrow pyarrow: every event equals the Parquet one")
    pruned = pruned_count(lambda: ds.dataset(poisoned, format="ipc", partitioning=partitioning).to_table(
        filter=ds.field("event_date") == pa.scalar(date_literal(PRUNE_DAY), pa.date32())).num_rows)
    check(isinstance(pruned, int) and pruned > 0, f"arrow pyarrow: a filter on event_date reads only that day ({pruned} rows)")
    results["arrow pyarrow"] = (pyarrow_summary(events), None)

    # polars
    one = pl.read_ipc(files[0])
    check(one.schema == ref.polars.schema, "arrow polars: read_ipc gives the Parquet schema")
    df = pl.scan_ipc(f"{path}/**/*.arrow", hive_partitioning=True).collect()
    check(df.height == ROWS, f"arrow polars: scan_ipc reads {df.height} rows")
    check(df.schema["event_date"] == pl.Date, f"arrow polars: event_date is {df.schema['event_date']}")
    check(df.schema["timestamp"] == pl.Datetime("us", "UTC"), f"arrow polars: timestamp is {df.schema['timestamp']}")
    check(df.drop("event_date").sort("event_id").equals(ref.polars), "arrow polars: every event equals the Parquet one")
    pruned = pruned_count(lambda: pl.scan_ipc(f"{poisoned}/**/*.arrow", hive_partitioning=True)
                          .filter(pl.col("event_date") == pl.lit(PRUNE_DAY).str.to_date()).select(pl.len()).collect().item())
    check(isinstance(pruned, int) and pruned > 0, f"arrow polars: a filter on event_date reads only that day ({pruned} rows)")
    results["arrow polars"] = (polars_summary(df), None)

    # DuckDB reads the Arrow memory pyarrow read.
    con = duckdb.connect()
    con.register("events", table)
    types = {r[0]: r[1] for r in con.execute("DESCRIBE events").fetchall()}
    check(types["timestamp"] == "TIMESTAMP WITH TIME ZONE", f"arrow duckdb: timestamp is {types['timestamp']}")
    check("start_date DATE" in types["user_subscription"] and types["user_action"].endswith("[]"),
          "arrow duckdb: start_date is a date, user_action a list")
    n = duckdb.from_arrow(table).aggregate("count(*)").fetchall()[0][0]
    check(n == ROWS, f"arrow duckdb: from_arrow reads {n} rows")
    results["arrow duckdb"] = (con.execute(SUMMARY_SQL).fetchone(), con.execute(SAMPLE_SQL).fetchall())
    skip("arrow spark: no Arrow IPC reader (Spark has no data source for Arrow IPC files)")
    return results


# ---------------------------------------------------------------------------
# The normalized layout

PARTITIONED = ["events", "user_actions", "recommendations", "search_history"]
FLAT = ["users", "subscriptions", "subscription_changes", "content"]
# (child table, column, parent table, column): every foreign key of the star schema.
FOREIGN_KEYS = [
    ("user_actions", "event_id", "events", "event_id"),
    ("recommendations", "event_id", "events", "event_id"),
    ("search_history", "event_id", "events", "event_id"),
    ("events", "user_id", "users", "user_id"),
    ("subscriptions", "user_id", "users", "user_id"),
    ("subscription_changes", "user_id", "users", "user_id"),
    ("events", "content_id", "content", "content_id"),
    ("recommendations", "content_id", "content", "content_id"),
]
PLAYBACK = ["play_duration", "play_percentage", "playback_quality", "buffering_incidents", "playback_speed",
            "paused", "completed", "network_type", "bandwidth"]
PLAYBACK_RULE = ("(event_type = 'content_play') AND (" + " OR ".join(f"{c} IS NULL" for c in PLAYBACK) + ") OR "
                 "(event_type <> 'content_play') AND (" + " OR ".join(f"{c} IS NOT NULL" for c in PLAYBACK) + ")")
NORMALIZED_SUMMARY_SQL = """
SELECT (SELECT count(*) FROM events), (SELECT count(DISTINCT user_id) FROM events),
       (SELECT sum(play_duration) FROM events), (SELECT count(*) FROM user_actions),
       (SELECT count(*) FROM recommendations), (SELECT min(timestamp) FROM events),
       (SELECT max(timestamp) FROM events)
"""


def nested_expression(column, struct_fields):
    """The expression over the nested table giving a column of the normalized events table."""
    for prefix, struct in [("device_", "device"), ("location_", "location"), ("subscription_", "user_subscription")]:
        if column.startswith(prefix):
            return f"{struct}.{column[len(prefix):]}"
    if column == "content_id":
        return "content.id"
    if column in struct_fields["event_details"]:
        return f"event_details.{column}"
    return f'"{column}"'


def check_normalized_duckdb(path, poisoned, ref):
    label = "normalized duckdb"
    con = duckdb.connect()
    for t in PARTITIONED:
        con.execute(f"CREATE VIEW {t} AS SELECT * FROM read_parquet('{path}/{t}/**/*.parquet', hive_partitioning = true)")
    for t in FLAT:
        con.execute(f"CREATE VIEW {t} AS SELECT * FROM read_parquet('{path}/{t}/*.parquet')")
    con.execute(f"CREATE VIEW nested AS SELECT * FROM read_parquet('{ref.path}/**/*.parquet', hive_partitioning = true)")
    types = {t: {r[0]: r[1] for r in con.execute(f"DESCRIBE {t}").fetchall()} for t in PARTITIONED + FLAT + ["nested"]}
    counts = {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in PARTITIONED + FLAT}
    check(counts["events"] == ROWS, f"{label}: {counts['events']} events")
    check(counts["search_history"] == ref.searches, f"{label}: {counts['search_history']} search_history rows, "
          "the searches of the nested events")
    check(all(types[t]["event_date"] == "DATE" for t in PARTITIONED), f"{label}: event_date is a DATE in every partitioned table")
    check(all(types[t]["timestamp"] == "TIMESTAMP WITH TIME ZONE" for t in ["events", "user_actions", "search_history"]),
          f"{label}: every timestamp is TIMESTAMP WITH TIME ZONE")
    check(types["events"]["subscription_start_date"] == "DATE" and types["subscriptions"]["start_date"] == "DATE",
          f"{label}: start dates are DATEs")
    check(types["subscriptions"]["connected_services"] == "VARCHAR[]",
          f"{label}: subscriptions.connected_services is a list")
    check(types["subscriptions"]["valid_to"] == "TIMESTAMP WITH TIME ZONE" and types["subscriptions"]["is_current"] == "BOOLEAN",
          f"{label}: the SCD2 columns are typed")
    dup = con.execute("""SELECT (SELECT count(*) - count(DISTINCT event_id) FROM events)
        + (SELECT count(*) - count(DISTINCT user_id) FROM users) + (SELECT count(*) - count(DISTINCT content_id) FROM content)
        + (SELECT count(*) - count(DISTINCT (event_id, position)) FROM user_actions)
        + (SELECT count(*) - count(DISTINCT (event_id, position)) FROM recommendations)
        + (SELECT count(*) - count(DISTINCT (event_id, position)) FROM search_history)""").fetchone()[0]
    check(dup == 0, f"{label}: primary keys are unique ({dup} duplicates)")
    for child, col, parent, pcol in FOREIGN_KEYS:
        orphans = con.execute(f"SELECT count(*) FROM {child} c ANTI JOIN {parent} p ON c.{col} = p.{pcol}").fetchone()[0]
        check(orphans == 0, f"{label}: {child}.{col} -> {parent}.{pcol} ({orphans} orphans)")
    for child in PARTITIONED[1:]:
        astray = con.execute(f"SELECT count(*) FROM {child} c ANTI JOIN events e USING (event_id, event_date)").fetchone()[0]
        check(astray == 0, f"{label}: {child} rows sit in their event's event_date partition ({astray} elsewhere)")
    bad = con.execute(f"SELECT count(*) FROM events WHERE {PLAYBACK_RULE}").fetchone()[0]
    check(bad == 0, f"{label}: playback columns are NULL exactly when event_type <> 'content_play' ({bad} rows break it)")
    n = pruned_count(lambda: duckdb.connect().execute(
        f"SELECT count(*) FROM read_parquet('{poisoned}/**/*.parquet', hive_partitioning = true) "
        f"WHERE event_date = DATE '{PRUNE_DAY}'").fetchone()[0])
    check(isinstance(n, int) and n > 0, f"{label}: a filter on event_date reads only that day of events/ ({n} rows)")

    # The star schema holds the nested events, value for value.
    struct_fields = {c: [f.name for f in ref.schema.field(c).type] for c in ["event_details", "user_subscription"]}
    cols = [c for c in types["events"]]
    exprs = ", ".join(nested_expression(c, struct_fields) for c in cols)
    diff = con.execute(
        f"SELECT count(*) FROM (SELECT {exprs} FROM nested EXCEPT ALL SELECT {', '.join(cols)} FROM events)").fetchone()[0]
    check(diff == 0, f"{label}: events equal the nested events column for column ({diff} rows differ)")
    for child, nested_list in [("user_actions", "user_action"), ("recommendations", "recommendations"),
                               ("search_history", "search_history")]:
        item_fields = [f.name for f in ref.schema.field(nested_list).type.value_type]
        cols = list(types[child])
        exprs = ", ".join(c if c in ("event_id", "event_date") else f"item.{c}" if c in item_fields else "list_position"
                          for c in cols)
        diff = con.execute(f"""SELECT count(*) FROM (
            SELECT {exprs} FROM (SELECT event_id, event_date, unnest(generate_series(1, len({nested_list}))) AS list_position,
                                        unnest({nested_list}) AS item FROM nested)
            EXCEPT ALL SELECT {', '.join(cols)} FROM {child})""").fetchone()[0]
        diff += abs(con.execute(f"SELECT sum(len({nested_list})) FROM nested").fetchone()[0] - counts[child])
        check(diff == 0, f"{label}: {child} equals the nested {nested_list} lists item for item ({diff} rows differ)")
    user_cols = [c for c in types["users"] if c != "devices"]
    diff = con.execute(f"""SELECT count(*) FROM (SELECT DISTINCT user_id, location.country, location.city, location.region,
            location.timezone FROM nested EXCEPT SELECT {', '.join(user_cols)} FROM users)""").fetchone()[0]
    check(diff == 0, f"{label}: the users of the nested events are rows of users ({diff} differ)")
    # The point-in-time join: each nested event joins exactly one SCD2 version, the one it carries.
    joins, differ = con.execute("""SELECT count(*) FILTER (WHERE versions <> 1), count(*) FILTER (WHERE NOT same)
        FROM (SELECT n.event_id, count(s.user_id) AS versions,
                     bool_and(s.plan = n.user_subscription.plan AND s.start_date = n.user_subscription.start_date
                              AND s.billing_cycle = n.user_subscription.billing_cycle
                              AND s.connected_services = n.user_subscription.connected_services) AS same
              FROM nested n LEFT JOIN subscriptions s ON s.user_id = n.user_id AND n.timestamp >= s.valid_from
                   AND (s.valid_to IS NULL OR n.timestamp < s.valid_to)
              GROUP BY n.event_id)""").fetchone()
    check(joins == 0 and differ == 0,
          f"{label}: every event joins exactly one subscriptions version, the one it carries "
          f"({joins} join another number, {differ} differ)")
    replay = con.execute(CDC_REPLAY_SQL)
    replay = dict(zip([d[0] for d in replay.description], replay.fetchone()))
    check(replay["rows_that_differ"] == 0 and replay["rebuilt_versions"] == counts["subscriptions"]
          and min(replay["snapshot_rows"], replay["sign_ups_and_returns"], replay["plan_or_billing_changes"],
                  replay["cancellations"]) > 0,
          f"{label}: replaying subscription_changes rebuilds subscriptions row for row ({replay})")
    diff = con.execute("""SELECT count(*) FROM (SELECT DISTINCT content.* FROM nested
        EXCEPT SELECT * EXCLUDE (release_date) FROM content)""").fetchone()[0]
    check(diff == 0, f"{label}: the titles of the nested events are rows of content ({diff} differ)")
    early = con.execute("""SELECT count(*) FROM events e JOIN content c USING (content_id)
        WHERE e.event_type = 'content_play' AND CAST(timezone('UTC', e.timestamp) AS DATE) < c.release_date""").fetchone()[0]
    check(early == 0, f"{label}: no title plays before its release_date ({early} do)")
    sample = con.execute("""SELECT e.event_id, c.title, epoch_us(e.timestamp), e.subscription_start_date::VARCHAR
        FROM events e JOIN content c USING (content_id) ORDER BY e.event_id LIMIT 50""").fetchall()
    return con.execute(NORMALIZED_SUMMARY_SQL).fetchone(), sample


def check_normalized_spark(path, poisoned):
    from pyspark.sql import types as T

    label = "normalized spark"
    spark = spark_session()
    frames = {t: spark.read.parquet(str(path / t)) for t in PARTITIONED + FLAT}
    for t, df in frames.items():
        df.createOrReplaceTempView(t)
    n = frames["events"].count()
    check(n == ROWS, f"{label}: {n} events")
    fields = {f.name: f.dataType for f in frames["events"].schema.fields}
    check(isinstance(fields["timestamp"], T.TimestampType) and isinstance(fields["event_date"], T.DateType)
          and isinstance(fields["subscription_start_date"], T.DateType),
          f"{label}: events.timestamp, event_date and subscription_start_date are {fields['timestamp']}, "
          f"{fields['event_date']}, {fields['subscription_start_date']}")
    check(all(isinstance(frames[t].schema["event_date"].dataType, T.DateType) for t in PARTITIONED),
          f"{label}: event_date is a date in every partitioned table")
    for child, col, parent, pcol in FOREIGN_KEYS:
        orphans = frames[child].join(frames[parent].withColumnRenamed(pcol, col).select(col), col, "left_anti").count()
        check(orphans == 0, f"{label}: {child}.{col} -> {parent}.{pcol} ({orphans} orphans)")
    bad = spark.sql(f"SELECT count(*) FROM events WHERE {PLAYBACK_RULE}").first()[0]
    check(bad == 0, f"{label}: playback columns are NULL exactly when event_type <> 'content_play' ({bad} rows break it)")
    pruned = pruned_count(lambda: spark.read.parquet(str(poisoned)).where(f"event_date = DATE'{PRUNE_DAY}'").count())
    check(isinstance(pruned, int) and pruned > 0,
          f"{label}: a filter on event_date reads only that day of events/ ({pruned} rows)")
    replay = spark.sql(CDC_REPLAY_SQL).collect()[0].asDict()
    check(replay["rows_that_differ"] == 0 and replay["rebuilt_versions"] == frames["subscriptions"].count(),
          f"{label}: replaying subscription_changes rebuilds subscriptions row for row ({replay})")
    r = spark.sql(NORMALIZED_SUMMARY_SQL).collect()[0]
    rows = spark.sql("""SELECT e.event_id, c.title, unix_micros(e.timestamp), CAST(e.subscription_start_date AS STRING)
        FROM events e JOIN content c USING (content_id) ORDER BY e.event_id LIMIT 50""").collect()
    return tuple(r), [tuple(x) for x in rows]


def check_normalized_polars(path, poisoned):
    label = "normalized polars"
    frames = {t: pl.read_parquet(f"{path}/{t}/**/*.parquet", hive_partitioning=True) for t in PARTITIONED}
    frames.update({t: pl.read_parquet(f"{path}/{t}/*.parquet") for t in FLAT})
    events = frames["events"]
    check(events.height == ROWS, f"{label}: {events.height} events")
    check(events.schema["event_date"] == pl.Date and events.schema["timestamp"] == pl.Datetime("us", "UTC"),
          f"{label}: event_date is {events.schema['event_date']}, timestamp {events.schema['timestamp']}")
    for child, col, parent, pcol in FOREIGN_KEYS:
        orphans = frames[child].join(frames[parent].select(pl.col(pcol).alias(col)), on=col, how="anti").height
        check(orphans == 0, f"{label}: {child}.{col} -> {parent}.{pcol} ({orphans} orphans)")
    play = pl.col("event_type") == "content_play"
    bad = events.filter((play & pl.any_horizontal([pl.col(c).is_null() for c in PLAYBACK]))
                        | (~play & pl.any_horizontal([pl.col(c).is_not_null() for c in PLAYBACK]))).height
    check(bad == 0, f"{label}: playback columns are NULL exactly when event_type <> 'content_play' ({bad} rows break it)")
    pruned = pruned_count(lambda: pl.scan_parquet(f"{poisoned}/**/*.parquet", hive_partitioning=True)
                          .filter(pl.col("event_date") == pl.lit(PRUNE_DAY).str.to_date()).select(pl.len()).collect().item())
    check(isinstance(pruned, int) and pruned > 0,
          f"{label}: a filter on event_date reads only that day of events/ ({pruned} rows)")
    return (events.height, events["user_id"].n_unique(), events["play_duration"].sum(), frames["user_actions"].height,
            frames["recommendations"].height, events["timestamp"].min(), events["timestamp"].max())


def check_normalized_pyarrow(path, poisoned):
    label = "normalized pyarrow"
    partitioning = ds.partitioning(pa.schema([("event_date", pa.date32())]), flavor="hive")
    tables = {t: ds.dataset(path / t, format="parquet", partitioning=partitioning).to_table() for t in PARTITIONED}
    tables.update({t: ds.dataset(path / t, format="parquet").to_table() for t in FLAT})
    events = tables["events"]
    check(events.num_rows == ROWS, f"{label}: {events.num_rows} events")
    check(events.schema.field("timestamp").type == pa.timestamp("us", tz="UTC")
          and events.schema.field("subscription_start_date").type == pa.date32(),
          f"{label}: timestamp is {events.schema.field('timestamp').type}, "
          f"subscription_start_date {events.schema.field('subscription_start_date').type}")
    for child, col, parent, pcol in FOREIGN_KEYS:
        keys = tables[parent].select([pcol]).rename_columns([col])
        orphans = tables[child].select([col]).join(keys, keys=col, join_type="left anti").num_rows
        check(orphans == 0, f"{label}: {child}.{col} -> {parent}.{pcol} ({orphans} orphans)")
    play = pc.equal(events["event_type"], "content_play")
    nulls = [pc.is_null(events[c]) for c in PLAYBACK]
    any_null, all_null = nulls[0], nulls[0]
    for x in nulls[1:]:
        any_null, all_null = pc.or_(any_null, x), pc.and_(all_null, x)
    bad = pc.sum(pc.or_(pc.and_(play, any_null), pc.and_(pc.invert(play), pc.invert(all_null)))).as_py() or 0
    check(bad == 0, f"{label}: playback columns are NULL exactly when event_type <> 'content_play' ({bad} rows break it)")
    pruned = pruned_count(lambda: ds.dataset(poisoned, format="parquet", partitioning=partitioning).to_table(
        filter=ds.field("event_date") == pa.scalar(date_literal(PRUNE_DAY), pa.date32())).num_rows)
    check(isinstance(pruned, int) and pruned > 0,
          f"{label}: a filter on event_date reads only that day of events/ ({pruned} rows)")
    ts = pc.min_max(events["timestamp"]).as_py()
    return (events.num_rows, pc.count_distinct(events["user_id"]).as_py(), pc.sum(events["play_duration"]).as_py(),
            tables["user_actions"].num_rows, tables["recommendations"].num_rows, ts["min"], ts["max"])


def check_normalized(ref):
    path, poisoned = WORK / "normalized", WORK / "normalized-events-poisoned"
    generate(path, "--layout", "normalized")
    present = sorted(p.name for p in path.iterdir() if p.is_dir())
    check(present == sorted(PARTITIONED + FLAT), f"normalized: folders {', '.join(present)}")
    check(all(list((path / t).glob("event_date=*/part-*.parquet")) for t in PARTITIONED)
          and all(list((path / t).glob("part-*.parquet")) and not list((path / t).glob("event_date=*")) for t in FLAT),
          "normalized: events, user_actions, recommendations, search_history by event_date; users, subscriptions, "
          "subscription_changes, content flat")
    poison_other_days(path / "events", poisoned)
    return {
        "normalized duckdb": check_normalized_duckdb(path, poisoned, ref),
        "normalized spark": check_normalized_spark(path, poisoned),
        "normalized polars": (check_normalized_polars(path, poisoned), None),
        "normalized pyarrow": (check_normalized_pyarrow(path, poisoned), None),
    }


def main():
    started, seconds = time.monotonic(), {}
    WORK.mkdir(parents=True, exist_ok=True)
    check_json_and_avro_schemas()
    nested, poisoned = WORK / "nested", WORK / "nested-poisoned"
    generate(nested)
    poison_other_days(nested, poisoned)
    try:
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

        # The other formats and layouts hold the same events as the nested Parquet dataset.
        seconds["nested"] = round(time.monotonic() - started, 1)
        ref = Reference(nested, reference_row, reference_sample)
        others = {}
        for part, checker in [("ndjson", check_ndjson), ("arrow", check_arrow), ("normalized", check_normalized)]:
            part_started = time.monotonic()
            others.update(checker(ref))
            seconds[part] = round(time.monotonic() - part_started, 1)
        for what, (row, sample) in others.items():
            check(comparable(row) == ref.row, f"{what}: aggregates equal the nested Parquet ones {comparable(row)}")
            if sample is not None:
                check([tuple(s) for s in sample] == ref.sample, f"{what}: the first 50 events equal the nested Parquet ones")
    finally:
        if _spark is not None:
            _spark.stop()
    seconds["total"] = round(time.monotonic() - started, 1)
    print(json.dumps({"checks_failed": len(failures), "seconds": seconds}))
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
