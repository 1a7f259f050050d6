"""A Delta table with faults, read as a late-arriving feed is, and the
MERGE that applies its late window to a clean table.

The faulty table (bronze) is written as a feed delivers it: a first window
(version 0), then the next days by `append` (version 1), with duplicates
and events arriving 1 to 3 days late. Its partition `event_date` is the
day of delivery. Checked with the real `deltalake` package:

- its log lists the events' files (late files included), never the ground
  truth under `_faults/`;
- the late query (`CAST(timestamp AS DATE) < event_date`) and a dedup by
  `event_id` find exactly what `_faults/` lists, and version 1 delivers the
  late events of version 0's days;
- a silver table, partitioned by the events' own day, built from version 0
  deduplicated, then given version 1's partitions by deltalake's `merge`
  (insert when the event_id is new), holds, for version 0's days, exactly
  the rows of a clean table of the same world; the merge put late events
  into those earlier partitions, in silver's version 1. Before the first
  day it holds the late events of those days that version 0 delivered (a
  feed delivers from its first day on); the only events of
  the clean table it lacks are the late ones of the last days, whose
  delivery lies after the window.

Usage: check_delta_faults.py BINARY WORKDIR
"""

import datetime
import subprocess
import sys
from pathlib import Path

import duckdb
import duckdb_extension_delta
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
from deltalake import DeltaTable, write_deltalake

from delta_window import FIRST_DAYS, MORE_DAYS, START, WORLD

BINARY, WORK = sys.argv[1], Path(sys.argv[2])
WORK.mkdir(parents=True, exist_ok=True)
LATE_MAX_DAYS = 3

failures = []


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what)
    if not ok:
        failures.append(what)


def run(*args):
    subprocess.run([BINARY, *args], check=True)


config = WORK / "faults.toml"
config.write_text(f"[faults]\nduplicates = 0.01\nlate_arrivals = 0.05\nlate_max_days = {LATE_MAX_DAYS}\n")
bronze, clean_path, silver = WORK / "bronze", WORK / "clean", WORK / "silver"
run("generate", "--table", "delta", "--start", START, "--days", str(FIRST_DAYS), *WORLD,
    "--config", str(config), "--out", str(bronze), "--quiet")
run("append", str(bronze), "--days", str(MORE_DAYS), "--quiet")
run("generate", "--table", "delta", "--start", START, "--days", str(FIRST_DAYS + MORE_DAYS), *WORLD,
    "--out", str(clean_path), "--quiet")

start = datetime.date.fromisoformat(START)
appended = start + datetime.timedelta(days=FIRST_DAYS)  # the first day of version 1
last = start + datetime.timedelta(days=FIRST_DAYS + MORE_DAYS - 1)


def own_day(table):
    return pc.cast(table["timestamp"], pa.date32())


def first_of_each_event(table):
    """The table with the first row of each event_id (a duplicate is an exact copy)."""
    seen = set()
    keep = [i for i, e in enumerate(table["event_id"].to_pylist()) if not (e in seen or seen.add(e))]
    return table.take(keep)


def paths(table):
    """The table's files as its log lists them, relative to its folder."""
    return pa.table(table.get_add_actions(flatten=True))["path"].to_pylist()


def by_event(table):
    return table.sort_by("event_id")


dt = DeltaTable(str(bronze))
check(dt.version() == 1, f"bronze: version {dt.version()}, expected 1")
files = paths(dt)
check(files and all(f.startswith("event_date=") for f in files),
      f"bronze: the log lists {len(files)} files, none under _faults/")
check(any("/late-" in f for f in files), "bronze: the log lists late files")
rows = dt.to_pyarrow_table()
truth = ds.dataset(bronze / "_faults", format="parquet", partitioning="hive").to_table()
kinds = truth["kind"].to_pylist()
truth_ids = lambda kind: sorted(e for e, k in zip(truth["event_id"].to_pylist(), kinds) if k == kind)

late = rows.filter(pc.less(own_day(rows), rows["event_date"]))
late_ids = sorted(late["event_id"].to_pylist())
check(late_ids == truth_ids("late_arrival") and late_ids,
      f"bronze: the late query finds {len(late_ids)} events, _faults/ lists {len(truth_ids('late_arrival'))}")
counts = pc.value_counts(rows["event_id"])
repeated = sorted(v["values"].as_py() for v in counts if v["counts"].as_py() > 1)
check(repeated == sorted(set(truth_ids("duplicate"))) and repeated,
      f"bronze: {len(repeated)} event_ids are repeated, _faults/ lists {len(truth_ids('duplicate'))} duplicates")
delivered_late = late.filter(pc.and_(pc.less(own_day(late), pa.scalar(appended, pa.date32())),
                                     pc.greater_equal(late["event_date"], pa.scalar(appended, pa.date32()))))
check(delivered_late.num_rows > 0,
      f"bronze: version 1 delivers {delivered_late.num_rows} late events of version 0's days")

# Silver: the events by their own day, each once.
v0 = DeltaTable(str(bronze), version=0).to_pyarrow_table()
first = first_of_each_event(v0)
first = first.set_column(first.schema.get_field_index("event_date"), "event_date", own_day(first))
write_deltalake(str(silver), first, partition_by=["event_date"])
silver_v0_files = set(paths(DeltaTable(str(silver))))

# The late window: the partitions version 1 delivered, merged in by event_id.
window = dt.to_pyarrow_table(partitions=[("event_date", ">=", appended.isoformat())])
window = first_of_each_event(window)
window = window.set_column(window.schema.get_field_index("event_date"), "event_date", own_day(window))
merged = (
    DeltaTable(str(silver))
    .merge(source=window, predicate="t.event_id = s.event_id", source_alias="s", target_alias="t")
    .when_not_matched_insert_all()
    .execute()
)
check(merged["num_target_rows_inserted"] == window.num_rows,
      f"silver: the merge inserted {merged['num_target_rows_inserted']} of the window's {window.num_rows} events")

silver_dt = DeltaTable(str(silver))
new_files = [f for f in paths(silver_dt) if f not in silver_v0_files]
earlier = [f for f in new_files if f.split("/", 1)[0].removeprefix("event_date=") < appended.isoformat()]
check(silver_dt.version() == 1 and earlier,
      f"silver: version {silver_dt.version()} adds {len(earlier)} files to version 0's days (the late events)")

clean = DeltaTable(str(clean_path)).to_pyarrow_table()
names = clean.schema.names
result = silver_dt.to_pyarrow_table().select(names).cast(clean.schema)
day = lambda d: pa.scalar(d, pa.date32())
before = lambda t: t.filter(pc.and_(pc.greater_equal(t["event_date"], day(start)),
                                    pc.less(t["event_date"], day(appended))))
after = lambda t: t.filter(pc.greater_equal(t["event_date"], pa.scalar(appended, pa.date32())))
ours, theirs = by_event(before(result)), by_event(before(clean))
check(ours.num_rows == theirs.num_rows and ours.equals(theirs),
      f"silver: version 0's days hold {ours.num_rows} rows, the clean table {theirs.num_rows}, the same values")

# Before the table's first day, silver holds the late events of those days
# version 0 delivered (the feed delivers from its first day on).
earliest = result.filter(pc.less(result["event_date"], day(start)))
check(sorted(earliest["event_id"].to_pylist()) == sorted(
          e for e, k, clean_day in zip(truth["event_id"].to_pylist(), kinds, truth["clean_value"].to_pylist())
          if k == "late_arrival" and clean_day < START),
      f"silver: the {earliest.num_rows} events of days before {START} are the late ones _faults/ lists")

# After the window's first day, silver lacks only events not yet delivered:
# late events of the last days.
silver_ids = set(after(result)["event_id"].to_pylist())
clean_after = after(clean)
missing = clean_after.filter(pc.invert(pc.is_in(clean_after["event_id"], pa.array(list(silver_ids)))))
extra = silver_ids - set(clean_after["event_id"].to_pylist())
newest_undelivered = last - datetime.timedelta(days=LATE_MAX_DAYS - 1)
missing_days = set(missing["event_date"].to_pylist())
check(not extra and missing.num_rows > 0 and min(missing_days) >= newest_undelivered,
      f"silver: the appended days lack {missing.num_rows} clean events, all of "
      f"{sorted(d.isoformat() for d in missing_days)}, and hold none the clean table lacks")

# `--faults typical` (missing values included): the log's schema makes
# user_id, timestamp and location.country nullable, and deltalake and
# DuckDB's delta_scan read exactly the listed nulls.
typical = WORK / "typical"
run("generate", "--table", "delta", "--start", START, "--days", str(FIRST_DAYS), *WORLD,
    "--faults", "typical", "--out", str(typical), "--quiet")
typical_dt = DeltaTable(str(typical))
fields = {f.name: f for f in pa.schema(typical_dt.schema().to_arrow())}
check(fields["user_id"].nullable and fields["timestamp"].nullable and not fields["event_id"].nullable,
      "typical: the log's schema makes user_id and timestamp nullable, event_id not")
typical_truth = ds.dataset(typical / "_faults", format="parquet", partitioning="hive").to_table()
listed = {}
for kind, column in zip(typical_truth["kind"].to_pylist(), typical_truth["column_name"].to_pylist()):
    if kind == "missing_value":
        listed[column] = listed.get(column, 0) + 1
typical_rows = typical_dt.to_pyarrow_table()
read = {
    "user_id": typical_rows["user_id"].null_count,
    "timestamp": typical_rows["timestamp"].null_count,
    "location.country": pc.struct_field(typical_rows["location"], "country").null_count,
}
check(read == listed and sum(listed.values()) > 0, f"typical: deltalake reads nulls {read}, _faults/ lists {listed}")
extension = next(Path(duckdb_extension_delta.__file__).parent.glob("extensions/v*/delta.duckdb_extension"))
con = duckdb.connect()
con.execute(f"LOAD '{extension}'")
duck = con.execute(
    f"SELECT count(*) FILTER (WHERE user_id IS NULL), count(*) FILTER (WHERE timestamp IS NULL), "
    f"count(*) FILTER (WHERE location.country IS NULL), count(*) FROM delta_scan('{typical}')"
).fetchone()
check(list(duck[:3]) == [listed.get(c, 0) for c in read] and duck[3] == typical_rows.num_rows,
      f"typical: DuckDB's delta_scan reads nulls {duck[:3]} in {duck[3]} rows")

if failures:
    print(f"{len(failures)} check(s) failed", file=sys.stderr)
    sys.exit(1)
