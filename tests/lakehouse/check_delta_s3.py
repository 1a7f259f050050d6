"""The Delta table of check_delta.py, written to an S3 server instead of a folder.

The same two windows (`generate --table delta --out s3://…`, then `append
s3://…`) must give the same table: the `deltalake` package, polars and
DuckDB's delta extension (with its httpfs extension, both loaded from their
wheels) read version 1 and version 0 from the server with the counts of the
local table, every data object is the bytes of the local table's file, the
log's actions are the local log's (but for times and the table's id), no
staging object or lock is left, no event_id repeats, and the table's lock
and an interrupted append leave the table as it was.

Usage: check_delta_s3.py BINARY WORKDIR BUCKET (after check_delta.py BINARY
WORKDIR; the AWS_* variables point at the server, as .ci/moto.sh sets them)
"""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import duckdb_extension_delta
import duckdb_extension_httpfs
import polars as pl
from deltalake import DeltaTable
from pyarrow import fs

from delta_window import FIRST_DAYS, MORE_DAYS, START, WORLD

BINARY, WORK, BUCKET = sys.argv[1], Path(sys.argv[2]), sys.argv[3]
local = WORK / "delta-table"
url = f"s3://{BUCKET}/delta-table"
endpoint = os.environ["AWS_ENDPOINT_URL"]
storage = {key: os.environ[key] for key in
           ("AWS_ENDPOINT_URL", "AWS_ALLOW_HTTP", "AWS_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")}
s3 = fs.S3FileSystem(endpoint_override=endpoint, scheme="http", region=os.environ["AWS_REGION"],
                     access_key="testing", secret_key="testing")

failures = []


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what)
    if not ok:
        failures.append(what)


def run(*args):
    return subprocess.run([BINARY, *args], capture_output=True, text=True)


def objects(prefix):
    """The objects under s3://BUCKET/prefix, relative to it, with their bytes."""
    infos = s3.get_file_info(fs.FileSelector(f"{BUCKET}/{prefix}", recursive=True, allow_not_found=True))
    found = {}
    for info in infos:
        if info.type == fs.FileType.File:
            with s3.open_input_stream(info.path) as stream:
                found[info.path.removeprefix(f"{BUCKET}/{prefix}/")] = stream.read()
    return found


def settled(log_text):
    """A commit's actions without the times and the table's id."""
    actions = [json.loads(line) for line in log_text.splitlines()]
    for action in actions:
        action.get("commitInfo", {}).pop("timestamp", None)
        for key in ("id", "createdTime"):
            action.get("metaData", {}).pop(key, None)
        action.get("add", {}).pop("modificationTime", None)
    return actions


created = run("generate", "--table", "delta", "--start", START, "--days", str(FIRST_DAYS), *WORLD,
              "--out", url, "--quiet")
check(created.returncode == 0, f"generate --table delta --out {url}: exit {created.returncode} {created.stderr}")
appended = run("append", url, "--days", str(MORE_DAYS), "--quiet")
check(appended.returncode == 0, f"append {url}: exit {appended.returncode} {appended.stderr}")

# The objects are the local table's files, byte for byte, and nothing else.
remote = objects("delta-table")
local_files = {str(p.relative_to(local)): p.read_bytes() for p in local.rglob("*") if p.is_file()}
remote_days = {k: v for k, v in remote.items() if k.startswith("event_date=")}
local_days = {k: v for k, v in local_files.items() if k.startswith("event_date=")}
check(len(remote_days) > 0 and remote_days == local_days,
      f"{len(remote_days)} data objects, byte-identical to the local table's {len(local_days)} files")
extra = sorted(k for k in remote if not k.startswith(("event_date=", "_delta_log/")))
check(extra == [], f"no staging object or lock left ({extra})")
for version in (0, 1):
    name = f"_delta_log/{version:020}.json"
    same = name in remote and settled(remote[name].decode()) == settled(local_files[name].decode())
    check(same, f"{name} holds the local log's actions")

# deltalake and polars read both versions from the server.
total = DeltaTable(str(local)).to_pyarrow_dataset().count_rows()
first = DeltaTable(str(local), version=0).to_pyarrow_dataset().count_rows()
dt = DeltaTable(url, storage_options=storage)
check(dt.version() == 1, f"deltalake on S3: version {dt.version()}, expected 1")
v1 = dt.to_pyarrow_dataset()
check(v1.count_rows() == total, f"deltalake on S3: version 1 has {v1.count_rows()} rows, expected {total}")
v0 = DeltaTable(url, version=0, storage_options=storage).to_pyarrow_dataset()
check(v0.count_rows() == first, f"deltalake on S3: version 0 has {v0.count_rows()} rows, expected {first}")
ids = v1.to_table(columns=["event_id"])["event_id"].to_pylist()
check(len(set(ids)) == total, f"deltalake on S3: {len(set(ids))} distinct event_ids in {total} rows")
polars_v0 = pl.read_delta(url, version=0, storage_options=storage)
check(polars_v0.height == first, f"polars read_delta on S3: {polars_v0.height} rows at version 0")

# DuckDB's delta extension, through httpfs's S3 secret.
con = duckdb.connect()
for module in (duckdb_extension_httpfs, duckdb_extension_delta):
    con.execute(f"LOAD '{next(Path(module.__file__).parent.glob('extensions/v*/*.duckdb_extension'))}'")
con.execute(f"""CREATE SECRET (TYPE s3, KEY_ID 'testing', SECRET 'testing', REGION 'us-east-1',
                ENDPOINT '{endpoint.removeprefix("http://")}', URL_STYLE 'path', USE_SSL false)""")
got = con.sql(f"SELECT count(*), count(DISTINCT event_id) FROM delta_scan('{url}')").fetchall()[0]
check(got == (total, total), f"duckdb delta_scan on S3: {got[0]} rows, {got[1]} distinct ids, expected {total}")
got0 = con.sql(f"SELECT count(*) FROM delta_scan('{url}', version => 0)").fetchall()[0][0]
check(got0 == first, f"duckdb delta_scan on S3 version 0: {got0} rows, expected {first}")
differ = con.sql(
    f"SELECT count(*) FROM (SELECT * FROM delta_scan('{url}') EXCEPT ALL SELECT * FROM delta_scan('{local}'))"
).fetchall()[0][0]
check(differ == 0, f"duckdb: {differ} rows of the S3 table are not in the local table")

# The same two windows written in parts (the last part to finish commits).
parts_url = f"s3://{BUCKET}/delta-parts"
for part in ("2", "1"):
    done = run("generate", "--table", "delta", "--start", START, "--days", str(FIRST_DAYS), *WORLD,
               "--parts", "2", "--part", part, "--out", parts_url, "--quiet")
    check(done.returncode == 0, f"generate --table delta --parts 2 --part {part}: exit {done.returncode} {done.stderr}")
for part in ("1", "3", "2"):
    done = run("append", parts_url, "--days", str(MORE_DAYS), "--parts", "3", "--part", part, "--quiet")
    check(done.returncode == 0, f"append --parts 3 --part {part}: exit {done.returncode} {done.stderr}")
in_parts = objects("delta-parts")
check({k: v for k, v in in_parts.items() if k.startswith("event_date=")} == remote_days,
      "the table written in parts holds the same objects")
check(sorted(k for k in in_parts if not k.startswith("event_date=")) == sorted(k for k in remote if k.startswith("_delta_log/"))
      and all(settled(in_parts[k].decode()) == settled(remote[k].decode()) for k in remote if k.startswith("_delta_log/")),
      "the table written in parts has the same two versions, and nothing else")

# A table another run is writing (its lock) is refused, and left alone.
s3.open_output_stream(f"{BUCKET}/delta-table/.customer-events.lock").close()
locked = run("append", url, "--days", "1", "--quiet")
check(locked.returncode == 2 and "another run" in locked.stderr and len(locked.stderr.strip().splitlines()) == 1,
      f"append to a locked table: exit {locked.returncode}, {locked.stderr.strip()!r}")
s3.delete_file(f"{BUCKET}/delta-table/.customer-events.lock")
check(objects("delta-table") == remote, "the locked table is unchanged")

# An append interrupted by Ctrl-C commits nothing and leaves no object behind.
big = f"s3://{BUCKET}/delta-big"
made = run("generate", "--table", "delta", "--events-per-day", "100k", "--days", "1", "--out", big, "--quiet")
check(made.returncode == 0, f"a table of 100k events on S3: exit {made.returncode} {made.stderr}")
before = objects("delta-big")
process = subprocess.Popen([BINARY, "append", big, "--days", "14", "--quiet"], stderr=subprocess.PIPE, text=True)
time.sleep(1.5)
process.send_signal(signal.SIGINT)
_, stderr = process.communicate(timeout=120)
check(process.returncode == 130, f"append interrupted: exit {process.returncode} {stderr.strip()!r}")
after = objects("delta-big")
check(after == before, f"the interrupted append left {len(after) - len(before)} objects more, and no version 1")

if failures:
    print(f"{len(failures)} check(s) failed", file=sys.stderr)
    sys.exit(1)
