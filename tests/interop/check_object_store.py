"""Writes customer-events output to a real S3 server and reads it back.

The server is moto's (`.ci/object-store` starts it on loopback and sets
AWS_ENDPOINT_URL, AWS_ALLOW_HTTP, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and
AWS_REGION). For every format (and the normalized layout, and faults with
their ground truth) one dataset is
written to a local folder, to `s3://BUCKET/<name>-1` in one run and to
`s3://BUCKET/<name>-3` in three parts run in shuffled order: the objects must
be the local files byte for byte (the manifests too: they hold no path), and
pyarrow's S3 filesystem and polars' `scan_parquet("s3://…")` must read the
same values as from the local folder. A run stopped mid-upload (SIGINT, then
SIGKILL) must leave no object of the file it was writing and no `_SUCCESS`;
a wrong endpoint and missing credentials must fail in one line with exit 2.

Usage: check_object_store.py BINARY WORKDIR BUCKET
"""

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import boto3
import polars as pl
import pyarrow.dataset as ds
import pyarrow.fs as pafs

BINARY, WORK, BUCKET = sys.argv[1], Path(sys.argv[2]), sys.argv[3]
ENDPOINT = os.environ["AWS_ENDPOINT_URL"]
KEY, SECRET = os.environ["AWS_ACCESS_KEY_ID"], os.environ["AWS_SECRET_ACCESS_KEY"]
REGION = os.environ.get("AWS_REGION", "us-east-1")
ROWS, DAYS, START = "30k", "3", "2026-05-01"

s3 = boto3.client("s3", endpoint_url=ENDPOINT, aws_access_key_id=KEY,
                  aws_secret_access_key=SECRET, region_name=REGION)
failures = []


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what, flush=True)
    if not ok:
        failures.append(what)


def run(*args, env=None, check_exit=True):
    result = subprocess.run([BINARY, *args], capture_output=True, text=True, env=env)
    if check_exit and result.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed ({result.returncode}): {result.stderr}")
    return result


def generate(out, *extra, check_exit=True):
    return run("generate", "--rows", ROWS, "--days", DAYS, "--start", START, "--out", out,
               "--quiet", "--max-rows-per-file", "4000", *extra, check_exit=check_exit)


def objects(prefix):
    """Every object under s3://BUCKET/prefix/, by path relative to it."""
    found = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=prefix + "/"):
        for item in page.get("Contents", []):
            found[item["Key"][len(prefix) + 1:]] = item["Key"]
    return found


def files(folder):
    return {str(p.relative_to(folder)): p for p in sorted(folder.rglob("*")) if p.is_file()}


def same_bytes(folder, prefix):
    """Whether the objects under prefix are the files of folder, byte for byte."""
    local, remote = files(folder), objects(prefix)
    if sorted(local) != sorted(remote):
        print(f"     local only: {sorted(set(local) - set(remote))[:5]}, "
              f"remote only: {sorted(set(remote) - set(local))[:5]}")
        return False
    for name, path in local.items():
        body = s3.get_object(Bucket=BUCKET, Key=remote[name])["Body"].read()
        if body != path.read_bytes():
            print(f"     {name} differs")
            return False
    return True


def clear(prefix):
    for key in objects(prefix).values():
        s3.delete_object(Bucket=BUCKET, Key=key)


CASES = [
    ("parquet", []),
    ("ndjson", ["--format", "ndjson"]),
    ("ndjson-gzip", ["--format", "ndjson", "--compression", "gzip"]),
    ("arrow", ["--format", "arrow"]),
    ("normalized", ["--layout", "normalized"]),
    # Faults: the ground truth and the late files go through the same plan.
    ("faults", ["--faults", "typical"]),
]

shuffle = random.Random(15)
for name, extra in CASES:
    local = WORK / name
    shutil.rmtree(local, ignore_errors=True)
    generate(str(local), *extra)
    whole = f"{name}-1"
    generate(f"s3://{BUCKET}/{whole}", *extra)
    check(same_bytes(local, whole), f"{name}: s3://{BUCKET}/{whole} holds the local run's files byte for byte")
    split = f"{name}-3"
    order = [1, 2, 3]
    shuffle.shuffle(order)
    for part in order:
        generate(f"s3://{BUCKET}/{split}", "--parts", "3", "--part", str(part), *extra)
    check(same_bytes(local, split),
          f"{name}: 3 parts run in the order {order} hold the local run's files byte for byte")

uploaded = objects("faults-3")
check(any(k.startswith("_faults/") for k in uploaded) and any("/late-" in k for k in uploaded),
      "faults: the parts uploaded the ground truth (_faults/) and the late files")

# `commit` reads the part manifests from the store and names missing parts.
partial = "parts-commit"
generate(f"s3://{BUCKET}/{partial}", "--parts", "3", "--part", "3")
generate(f"s3://{BUCKET}/{partial}", "--parts", "3", "--part", "1")
refused = run("commit", f"s3://{BUCKET}/{partial}", check_exit=False)
check(refused.returncode == 2 and "part 2 of 3 is missing" in refused.stderr,
      f"commit with part 2 missing is refused naming it (exit {refused.returncode}: {refused.stderr.strip()})")
check("_SUCCESS" not in objects(partial), "no _SUCCESS while a part is missing")
generate(f"s3://{BUCKET}/{partial}", "--parts", "3", "--part", "2")
check(same_bytes(WORK / "parquet", partial), "the last part commits: the dataset equals the local run's")
again = run("commit", f"s3://{BUCKET}/{partial}", check_exit=False)
check(again.returncode == 0 and "already committed" in again.stderr, "commit of a committed prefix says so")

# Readers: pyarrow's S3 filesystem and polars, against the local folder.
host = ENDPOINT.split("://", 1)[1]
fs = pafs.S3FileSystem(access_key=KEY, secret_key=SECRET, region=REGION,
                       endpoint_override=host, scheme="http")
for prefix in ["parquet-1", "parquet-3"]:
    remote = ds.dataset(f"{BUCKET}/{prefix}", filesystem=fs, format="parquet", partitioning="hive",
                        exclude_invalid_files=True).to_table()
    local = ds.dataset(str(WORK / "parquet"), format="parquet", partitioning="hive",
                       exclude_invalid_files=True).to_table()
    check(remote.num_rows == 30_000 and remote.equals(local),
          f"pyarrow S3FileSystem reads {prefix}: {remote.num_rows} rows, equal to the local read")
options = {"aws_endpoint_url": ENDPOINT, "aws_access_key_id": KEY, "aws_secret_access_key": SECRET,
           "aws_region": REGION, "aws_allow_http": "true"}
remote = pl.scan_parquet(f"s3://{BUCKET}/parquet-3/**/*.parquet", storage_options=options,
                         hive_partitioning=True).collect()
local = pl.scan_parquet(str(WORK / "parquet" / "**" / "*.parquet"), hive_partitioning=True).collect()
check(remote.height == 30_000 and remote.equals(local),
      f"polars scan_parquet('s3://…') reads {remote.height} rows, equal to the local read")

# A file larger than a part streams out as a multipart upload, and is the local file.
big_local = WORK / "big"
shutil.rmtree(big_local, ignore_errors=True)
big = ["--rows", "150k", "--days", "1", "--partition-by", "none", "--quiet"]
run("generate", *big, "--out", str(big_local))
size = (big_local / "part-00000.parquet").stat().st_size
run("generate", *big, "--out", f"s3://{BUCKET}/big")
check(size > 16 << 20 and same_bytes(big_local, "big"),
      f"a {size >> 20} MiB file (several 8 MiB parts) is the local file byte for byte")


def stop_mid_upload(prefix, sig):
    """Starts a large run, waits until a multipart upload is under way, sends sig."""
    env = dict(os.environ)
    process = subprocess.Popen(
        [BINARY, "generate", "--rows", "2M", "--days", "1", "--partition-by", "none",
         "--max-rows-per-file", "2M", "--threads", "2", "--quiet", "--out", f"s3://{BUCKET}/{prefix}"],
        stderr=subprocess.PIPE, text=True, env=env)
    started = False
    deadline = time.time() + 120
    while time.time() < deadline and process.poll() is None:
        uploads = s3.list_multipart_uploads(Bucket=BUCKET, Prefix=prefix + "/").get("Uploads", [])
        if uploads:
            started = True
            time.sleep(0.5)
            break
        time.sleep(0.2)
    process.send_signal(sig)
    _, stderr = process.communicate(timeout=120)
    return started, process.returncode, stderr


started, code, stderr = stop_mid_upload("stopped", signal.SIGINT)
left = objects("stopped")
pending = s3.list_multipart_uploads(Bucket=BUCKET, Prefix="stopped/").get("Uploads", [])
check(started and code == 130 and not left and not pending,
      f"Ctrl-C mid-upload: exit {code}, no object left ({sorted(left)}), the upload aborted ({len(pending)} pending)")

started, code, _ = stop_mid_upload("killed", signal.SIGKILL)
left = objects("killed")
check(started and code == -signal.SIGKILL and "part-00000.parquet" not in left and "_SUCCESS" not in left,
      f"SIGKILL mid-upload: no partial object and no _SUCCESS (left: {sorted(left)}, only the dead run's lock)")
again = run("generate", "--rows", "10k", "--out", f"s3://{BUCKET}/killed", "--quiet", check_exit=False)
check(again.returncode == 2 and ".customer-events.lock" in again.stderr,
      f"a run after it is refused, naming the dead run's lock to delete: {again.stderr.strip()}")

# --overwrite deletes only what the earlier manifest lists.
s3.put_object(Bucket=BUCKET, Key="parquet-1/notes.txt", Body=b"not ours")
refused = generate(f"s3://{BUCKET}/parquet-1", "--overwrite", check_exit=False)
check(refused.returncode == 2 and "notes.txt" in refused.stderr and "_SUCCESS" in objects("parquet-1"),
      "--overwrite of a prefix holding a foreign object is refused before anything is deleted")
s3.delete_object(Bucket=BUCKET, Key="parquet-1/notes.txt")
run("generate", "--rows", "20k", "--days", DAYS, "--start", START, "--out", f"s3://{BUCKET}/parquet-1",
    "--quiet", "--max-rows-per-file", "4000", "--overwrite")
check(len([k for k in objects("parquet-1") if k.endswith(".parquet")]) < len(files(WORK / "parquet")) - 2,
      "--overwrite replaces the earlier run's objects (fewer files for fewer rows)")

# One-line errors with exit 2, naming the variable to set.
wrong = dict(os.environ, AWS_ENDPOINT_URL="http://127.0.0.1:9")
result = run("generate", "--rows", "1k", "--out", f"s3://{BUCKET}/wrong", "--quiet", env=wrong, check_exit=False)
lines = result.stderr.strip().splitlines()
check(result.returncode == 2 and len(lines) == 1 and "AWS_ENDPOINT_URL" in lines[0],
      f"a wrong endpoint: exit {result.returncode}, one line: {result.stderr.strip()}")
bare = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
result = run("generate", "--rows", "1k", "--out", f"s3://{BUCKET}/bare", "--quiet", env=bare, check_exit=False)
lines = result.stderr.strip().splitlines()
check(result.returncode == 2 and len(lines) == 1 and "AWS_ACCESS_KEY_ID" in lines[0],
      f"no credentials: exit {result.returncode}, one line: {result.stderr.strip()}")
result = run("generate", "--rows", "1k", "--out", "s3://no-such-bucket-here/x", "--quiet", check_exit=False)
check(result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1 and "bucket" in result.stderr,
      f"a missing bucket: exit {result.returncode}, one line: {result.stderr.strip()}")

if failures:
    print(f"{len(failures)} object storage check(s) failed")
    sys.exit(1)
print("object storage: all checks passed")
