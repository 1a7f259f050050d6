"""A Delta table a month old, with checkpoints, read by the real Delta readers.

The table is created with one day and grown by 30 daily appends, so its log
holds versions 0..=30 and, at the default interval of 10, checkpoints of
versions 10, 20 and 30 with `_last_checkpoint` naming 30. `deltalake`
(delta-rs), polars and DuckDB's delta extension must read version 30, and
travel back to version 5 (before any checkpoint) and version 25 (from
checkpoint 20 and five commits), with the row counts of one plain run of the
same days. The same table is written to an S3 server (moto) and read from it.

A crash between a commit and its checkpoint is simulated on a copy (the
newest checkpoint removed, `_last_checkpoint` naming the one before): the
readers see the same table, `verify` passes, and `append` grows it. An
interval another writer records (deltalake's `alter.set_table_properties`)
is honoured by the next append.

Usage: check_delta_checkpoints.py BINARY WORKDIR [BUCKET] (with BUCKET, the
AWS_* variables point at the server, as .ci/moto.sh sets them)
"""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import duckdb_extension_delta
import duckdb_extension_httpfs
import polars as pl
import pyarrow.parquet as pq
from deltalake import DeltaTable
from pyarrow import fs

BINARY, WORK = sys.argv[1], Path(sys.argv[2])
BUCKET = sys.argv[3] if len(sys.argv) > 3 else None
START, APPENDS = "2026-02-02", 30
WORLD = ["--events-per-day", "300", "--seed", "7", "--users", "1000"]

failures = []


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what)
    if not ok:
        failures.append(what)


def run(*args):
    return subprocess.run([BINARY, *args], capture_output=True, text=True)


def grow(table):
    """Creates `table` with one day and appends APPENDS days, one version each."""
    made = run("generate", "--table", "delta", "--start", START, "--days", "1", *WORLD, "--out", table, "--quiet")
    check(made.returncode == 0, f"generate --table delta --out {table}: exit {made.returncode} {made.stderr}")
    for _ in range(APPENDS):
        added = run("append", table, "--days", "1", "--quiet")
        if added.returncode != 0:
            check(False, f"append {table}: exit {added.returncode} {added.stderr}")
            return


# Rows per day of one plain run of the days, and two more for the appends after the crash.
whole = WORK / "checkpoint-whole"
done = run("generate", "--start", START, "--days", str(APPENDS + 3), *WORLD, "--out", str(whole), "--quiet")
check(done.returncode == 0, f"the plain run: exit {done.returncode} {done.stderr}")
con = duckdb.connect()
for module in (duckdb_extension_httpfs, duckdb_extension_delta):
    con.execute(f"LOAD '{next(Path(module.__file__).parent.glob('extensions/v*/*.duckdb_extension'))}'")
plain = f"read_parquet('{whole}/**/*.parquet', hive_partitioning = true)"
per_day = [n for _, n in con.sql(f"SELECT event_date, count(*) FROM {plain} GROUP BY 1 ORDER BY 1").fetchall()]
rows_at = [sum(per_day[: v + 1]) for v in range(len(per_day))]  # rows of version v


def read_back(table, storage, where):
    """The readers' view of the grown table at `table`."""
    dt = DeltaTable(table, storage_options=storage)
    check(dt.version() == APPENDS, f"deltalake{where}: version {dt.version()}, expected {APPENDS}")
    got = dt.to_pyarrow_dataset().count_rows()
    check(got == rows_at[APPENDS], f"deltalake{where}: {got} rows, expected {rows_at[APPENDS]}")
    for version in (5, 25):
        got = DeltaTable(table, version=version, storage_options=storage).to_pyarrow_dataset().count_rows()
        check(got == rows_at[version], f"deltalake{where}: version {version} has {got} rows, expected {rows_at[version]}")
    got = pl.read_delta(table, storage_options=storage).height
    check(got == rows_at[APPENDS], f"polars read_delta{where}: {got} rows")
    got = pl.read_delta(table, version=25, storage_options=storage).height
    check(got == rows_at[25], f"polars read_delta{where} version 25: {got} rows, expected {rows_at[25]}")
    got = con.sql(f"SELECT count(*), count(DISTINCT event_id) FROM delta_scan('{table}')").fetchall()[0]
    check(got == (rows_at[APPENDS],) * 2, f"duckdb delta_scan{where}: {got[0]} rows, {got[1]} distinct ids")
    for version in (5, 25):
        got = con.sql(f"SELECT count(*) FROM delta_scan('{table}', version => {version})").fetchall()[0][0]
        check(got == rows_at[version], f"duckdb delta_scan{where} version {version}: {got} rows")


def settled(rows):
    """A checkpoint's rows without the times and the table's id."""
    for row in rows:
        if row.get("add"):
            row["add"].pop("modificationTime")
        if row.get("metaData"):
            row["metaData"].pop("id")
            row["metaData"].pop("createdTime")
    return rows


# The table in a folder.
local = WORK / "checkpoint-table"
grow(str(local))
log = local / "_delta_log"
checkpoints = sorted(p.name for p in log.glob("*.checkpoint.parquet"))
check(checkpoints == [f"{v:020}.checkpoint.parquet" for v in (10, 20, 30)], f"checkpoints {checkpoints}")
hint = json.loads((log / "_last_checkpoint").read_text())
check(hint["version"] == 30, f"_last_checkpoint names version {hint['version']}")
check(hint["size"] == pq.read_metadata(log / f"{30:020}.checkpoint.parquet").num_rows,
      f"_last_checkpoint's size {hint['size']} is the checkpoint's rows")
read_back(str(local), None, "")
differ = con.sql(
    f"SELECT count(*) FROM (SELECT * EXCLUDE (event_date) FROM delta_scan('{local}') "
    f"EXCEPT ALL SELECT * EXCLUDE (event_date) FROM {plain} WHERE event_date::DATE <= DATE '{START}' + {APPENDS})"
).fetchall()[0][0]
check(differ == 0, f"duckdb: {differ} rows of the table are not the plain run's")

# A crash between commit 30 and its checkpoint.
crashed = WORK / "checkpoint-crashed"
shutil.copytree(local, crashed)
(crashed / "_delta_log" / f"{30:020}.checkpoint.parquet").unlink()
size20 = pq.read_metadata(crashed / "_delta_log" / f"{20:020}.checkpoint.parquet").num_rows
(crashed / "_delta_log" / "_last_checkpoint").write_text(json.dumps({"version": 20, "size": size20}))
read_back(str(crashed), None, " after a crash before checkpoint 30")
verified = run("verify", str(crashed))
check(verified.returncode == 0, f"verify after the crash: exit {verified.returncode} {verified.stdout}")
added = run("append", str(crashed), "--days", "1", "--quiet")
check(added.returncode == 0, f"append after the crash: exit {added.returncode} {added.stderr}")
got = DeltaTable(str(crashed)).to_pyarrow_dataset().count_rows()
check(got == rows_at[APPENDS + 1], f"deltalake: version 31 has {got} rows, expected {rows_at[APPENDS + 1]}")

# Another writer sets the interval to 3 (version 32); the append of version 33 checkpoints it.
DeltaTable(str(crashed)).alter.set_table_properties({"delta.checkpointInterval": "3"})
added = run("append", str(crashed), "--days", "1", "--quiet")
check(added.returncode == 0, f"append after deltalake's alter: exit {added.returncode} {added.stderr}")
dt = DeltaTable(str(crashed))
check(dt.version() == 33, f"deltalake: version {dt.version()} after the append, expected 33")
check((crashed / "_delta_log" / f"{33:020}.checkpoint.parquet").is_file(), "version 33 is checkpointed (interval 3)")
hint = json.loads((crashed / "_delta_log" / "_last_checkpoint").read_text())
check(hint["version"] == 33, f"_last_checkpoint names version {hint['version']}, expected 33")
check(dt.metadata().configuration.get("delta.checkpointInterval") == "3", "the table keeps interval 3")
got = dt.to_pyarrow_dataset().count_rows()
check(got == rows_at[APPENDS + 2], f"deltalake: version 33 has {got} rows, expected {rows_at[APPENDS + 2]}")
got = con.sql(f"SELECT count(*) FROM delta_scan('{crashed}')").fetchall()[0][0]
check(got == rows_at[APPENDS + 2], f"duckdb delta_scan: version 33 has {got} rows")
verified = run("verify", str(crashed))
check(verified.returncode == 0, f"verify at version 33: exit {verified.returncode} {verified.stdout}")

# The same table on an S3 server.
if BUCKET:
    endpoint = os.environ["AWS_ENDPOINT_URL"]
    storage = {key: os.environ[key] for key in
               ("AWS_ENDPOINT_URL", "AWS_ALLOW_HTTP", "AWS_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")}
    s3 = fs.S3FileSystem(endpoint_override=endpoint, scheme="http", region=os.environ["AWS_REGION"],
                         access_key="testing", secret_key="testing")
    url = f"s3://{BUCKET}/checkpoint-table"
    grow(url)
    names = sorted(info.base_name for info in s3.get_file_info(fs.FileSelector(f"{BUCKET}/checkpoint-table/_delta_log")))
    on_s3 = [n for n in names if n.endswith(".checkpoint.parquet")]
    check(on_s3 == checkpoints, f"checkpoints on S3 {on_s3}")
    with s3.open_input_stream(f"{BUCKET}/checkpoint-table/_delta_log/_last_checkpoint") as stream:
        check(json.loads(stream.read())["version"] == 30, "_last_checkpoint on S3 names version 30")
    remote = settled(pq.read_table(f"{BUCKET}/checkpoint-table/_delta_log/{30:020}.checkpoint.parquet",
                                   filesystem=s3).to_pylist())
    check(remote == settled(pq.read_table(log / f"{30:020}.checkpoint.parquet").to_pylist()),
          "checkpoint 30 on S3 holds the local checkpoint's actions")
    con.execute(f"""CREATE SECRET (TYPE s3, KEY_ID 'testing', SECRET 'testing', REGION 'us-east-1',
                    ENDPOINT '{endpoint.removeprefix("http://")}', URL_STYLE 'path', USE_SSL false)""")
    read_back(url, storage, " on S3")

if failures:
    print(f"{len(failures)} check(s) failed", file=sys.stderr)
    sys.exit(1)
