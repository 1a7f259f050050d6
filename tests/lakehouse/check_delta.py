"""Reads a Delta table written by customer-events with real Delta readers.

The table is created with one window of the timeline (version 0) and grown
by `append` (version 1). The `deltalake` package (delta-rs) and polars must
see both versions with the expected row counts, the schema of the plain
Parquet dataset plus `event_date`, a filter on `event_date` and one on
`timestamp` that skip files by the log's partition values and statistics,
and no event_id twice across the versions; the appended days must be the
bytes of one run of the whole span.

Usage: check_delta.py BINARY WORKDIR
"""

import datetime
import subprocess
import sys
from pathlib import Path

import duckdb
import polars as pl
import pyarrow as pa
import pyarrow.dataset as ds
from deltalake import DeltaTable

from delta_window import FIRST_DAYS, MORE_DAYS, START, WORLD

BINARY, WORK = sys.argv[1], Path(sys.argv[2])

failures = []


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what)
    if not ok:
        failures.append(what)


def run(*args):
    subprocess.run([BINARY, *args], check=True)


table, whole = WORK / "delta-table", WORK / "delta-whole"
run("generate", "--table", "delta", "--start", START, "--days", str(FIRST_DAYS), *WORLD,
    "--out", str(table), "--quiet")
run("append", str(table), "--days", str(MORE_DAYS), "--quiet")
run("generate", "--start", START, "--days", str(FIRST_DAYS + MORE_DAYS), *WORLD,
    "--out", str(whole), "--quiet")

# What the plain run holds, by DuckDB over its Parquet files.
con = duckdb.connect()
glob = f"{whole}/**/*.parquet"
per_day = dict(con.sql(
    f"SELECT event_date::DATE, count(*) FROM read_parquet('{glob}', hive_partitioning = true) GROUP BY 1"
).fetchall())
days = sorted(per_day)
first_window = sum(per_day[d] for d in days[:FIRST_DAYS])
total = sum(per_day.values())
check(len(days) == FIRST_DAYS + MORE_DAYS, f"the plain run has {len(days)} days")

dt = DeltaTable(str(table))
check(dt.version() == 1, f"deltalake: version {dt.version()}, expected 1")
v1 = dt.to_pyarrow_dataset()
check(v1.count_rows() == total, f"deltalake: version 1 has {v1.count_rows()} rows, expected {total}")
v0 = DeltaTable(str(table), version=0).to_pyarrow_dataset()
check(v0.count_rows() == first_window,
      f"deltalake: version 0 has {v0.count_rows()} rows, expected {first_window}")
history = [h["version"] for h in dt.history()]
check(sorted(history) == [0, 1], f"deltalake: history lists versions {history}")

plain_schema = ds.dataset(glob.rsplit("/**", 1)[0], format="parquet", partitioning="hive").schema
expected_fields = [f.name for f in plain_schema if f.name != "event_date"] + ["event_date"]
delta_schema = dt.schema().to_arrow()
names = [f.name for f in delta_schema]
check(names == expected_fields, f"deltalake: schema columns {names}")
types = {f.name: str(f.type) for f in pa.schema(delta_schema)}
check(types["timestamp"] == "timestamp[us, tz=UTC]", f"deltalake: timestamp is {types['timestamp']}")
check(types["event_date"] == "date32[day]", f"deltalake: event_date is {types['event_date']}")

# A filter on the partition column reads that day's files only.
day = days[FIRST_DAYS]  # the first appended day
all_files = list(v1.get_fragments())
day_filter = ds.field("event_date") == pa.scalar(day, pa.date32())
day_files = list(v1.get_fragments(filter=day_filter))
day_rows = v1.count_rows(filter=day_filter)
check(day_rows == per_day[day], f"deltalake: {day} has {day_rows} rows, expected {per_day[day]}")
check(0 < len(day_files) < len(all_files),
      f"deltalake: event_date = {day} reads {len(day_files)} of {len(all_files)} files")

# A filter on the timestamp skips files by the log's min/max statistics.
ts = lambda h: pa.scalar(datetime.datetime.combine(day, datetime.time(h), datetime.timezone.utc),
                         pa.timestamp("us", tz="UTC"))
hour = (ds.field("timestamp") >= ts(20)) & (ds.field("timestamp") < ts(21))
hour_files = list(v1.get_fragments(filter=hour))
hour_rows = v1.count_rows(filter=hour)
expected_hour = con.sql(
    f"SELECT count(*) FROM read_parquet('{glob}') WHERE timestamp >= TIMESTAMPTZ '{day} 20:00:00+00' "
    f"AND timestamp < TIMESTAMPTZ '{day} 21:00:00+00'"
).fetchall()[0][0]
check(hour_rows == expected_hour, f"deltalake: {day} 20:00-21:00 has {hour_rows} rows, expected {expected_hour}")
check(0 < len(hour_files) < len(day_files),
      f"deltalake: the timestamp filter reads {len(hour_files)} of the day's {len(day_files)} files")
actions = pa.table(dt.get_add_actions(flatten=True))
check(actions.num_rows == len(all_files) and actions["min.timestamp"].null_count == 0,
      f"deltalake: {actions.num_rows} add actions, each with timestamp statistics")
check(sum(actions["num_records"].to_pylist()) == total, "deltalake: the add actions' numRecords sum to the rows")
check(actions["min.event_id"].null_count == 0 and actions["max.user_id"].null_count == 0,
      "deltalake: the add actions carry event_id and user_id bounds")

ids = v1.to_table(columns=["event_id"])["event_id"]
distinct = len(set(ids.to_pylist()))
check(distinct == total, f"deltalake: {distinct} distinct event_ids in {total} rows across both versions")

# The appended days are the bytes of one run of the whole span.
for d in days[FIRST_DAYS:]:
    folder = f"event_date={d}"
    ours = sorted((p.name, p.read_bytes()) for p in (table / folder).iterdir())
    theirs = sorted((p.name, p.read_bytes()) for p in (whole / folder).iterdir())
    check(ours == theirs, f"{folder} of version 1 is byte-identical to the 7-day run")

polars_v1 = pl.read_delta(str(table))
polars_v0 = pl.read_delta(str(table), version=0)
check(polars_v1.height == total and polars_v0.height == first_window,
      f"polars read_delta: {polars_v1.height} rows at version 1, {polars_v0.height} at version 0")
check(polars_v1.schema["timestamp"] == pl.Datetime("us", "UTC"),
      f"polars read_delta: timestamp is {polars_v1.schema['timestamp']}")

if failures:
    print(f"{len(failures)} check(s) failed", file=sys.stderr)
    sys.exit(1)
