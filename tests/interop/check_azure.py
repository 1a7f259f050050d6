"""Object storage against Azure's own emulator: `--out az://container/prefix`
on Azurite's blob service (started by .ci/azure, AZURE_STORAGE_USE_EMULATOR).

Every object must be the bytes of the same run to a local folder: a plain
Parquet dataset, an NDJSON file larger than an upload part (so it goes as
blocks committed by a block list), a dataset written in parts out of order,
and a Delta table of two windows (its log the local log's but for times and
the table's id). polars reads the Parquet from the container; a second run
into a prefix is refused, and so is a missing container, in one line.

Usage: check_azure.py BINARY WORKDIR CONTAINER
"""

import base64
import json
import os
import subprocess
import sys
from pathlib import Path

import polars as pl
from azure.storage.blob import BlobServiceClient

BINARY, WORK, CONTAINER = sys.argv[1], Path(sys.argv[2]), sys.argv[3]
ACCOUNT = "devstoreaccount1"
# The emulator's documented, public development key.
KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
ENDPOINT = os.environ["AZURITE_BLOB_STORAGE_URL"]
service = BlobServiceClient.from_connection_string(
    f"DefaultEndpointsProtocol=http;AccountName={ACCOUNT};AccountKey={KEY};BlobEndpoint={ENDPOINT}/{ACCOUNT};")
container = service.get_container_client(CONTAINER)

failures = []


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what)
    if not ok:
        failures.append(what)


def run(*args, check_exit=True, env=None):
    result = subprocess.run([BINARY, *args], capture_output=True, text=True, env=env)
    if check_exit and result.returncode != 0:
        check(False, f"{' '.join(args)}: exit {result.returncode}: {result.stderr.strip()}")
    return result


def blobs(prefix):
    """The blobs under CONTAINER/prefix, relative to it, with their bytes."""
    return {b.name.removeprefix(prefix + "/"): container.download_blob(b.name).readall()
            for b in container.list_blobs(name_starts_with=prefix + "/")}


def files(folder):
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def without_lock(found):
    return {k: v for k, v in found.items() if not k.startswith(".customer-events")}


def settled(text):
    actions = [json.loads(line) for line in text.splitlines()]
    for action in actions:
        action.get("commitInfo", {}).pop("timestamp", None)
        for key in ("id", "createdTime"):
            action.get("metaData", {}).pop(key, None)
        action.get("add", {}).pop("modificationTime", None)
    return actions


SMALL = ["--rows", "30k", "--days", "3", "--start", "2026-02-02", "--max-rows-per-file", "6000"]

# A Parquet dataset, byte for byte the local run's.
run("generate", *SMALL, "--out", str(WORK / "parquet"), "--quiet")
run("generate", *SMALL, "--out", f"az://{CONTAINER}/parquet", "--quiet")
remote = blobs("parquet")
check(len(remote) > 5 and without_lock(remote) == files(WORK / "parquet"),
      f"parquet: {len(remote)} blobs, byte-identical to the local run's {len(files(WORK / 'parquet'))} files")
storage = {"azure_storage_use_emulator": "true"}
read = pl.scan_parquet(f"az://{CONTAINER}/parquet/**/*.parquet", storage_options=storage).select(pl.len()).collect()
check(read.item() == 30_000, f"polars scan_parquet az://: {read.item()} rows")

# A file larger than one upload part (8 MiB): blocks and a block list.
BIG = ["--rows", "10k", "--format", "ndjson", "--compression", "none", "--partition-by", "none",
       "--max-rows-per-file", "10k"]
run("generate", *BIG, "--out", str(WORK / "ndjson"), "--quiet")
run("generate", *BIG, "--out", f"az://{CONTAINER}/ndjson", "--quiet")
remote, local = blobs("ndjson"), files(WORK / "ndjson")
biggest = max(len(v) for v in local.values())
check(biggest > 8 << 20 and without_lock(remote) == local,
      f"ndjson: a {biggest / 2**20:.0f} MiB blob byte-identical to the local file")

# Parts, run out of order, commit into the single run's dataset.
for part in ("3", "1", "2"):
    run("generate", *SMALL, "--parts", "3", "--part", part, "--out", f"az://{CONTAINER}/parts", "--quiet")
check(without_lock(blobs("parts")) == files(WORK / "parquet"), "3 parts run out of order equal the single run")

# A Delta table of two windows, as the local one.
WORLD = ["--events-per-day", "3000", "--seed", "5", "--users", "2000", "--start", "2026-05-04"]
for table in (str(WORK / "delta"), f"az://{CONTAINER}/delta"):
    run("generate", "--table", "delta", "--days", "2", *WORLD, "--out", table, "--quiet")
    run("append", table, "--days", "2", "--quiet")
remote, local = blobs("delta"), files(WORK / "delta")
days = lambda found: {k: v for k, v in found.items() if k.startswith("event_date=")}
check(len(days(remote)) == 4 and days(remote) == days(local), "delta: the days are the local table's bytes")
logs = sorted(k for k in remote if k.startswith("_delta_log/"))
check(logs == sorted(k for k in local if k.startswith("_delta_log/"))
      and all(settled(remote[k].decode()) == settled(local[k].decode()) for k in logs),
      f"delta: {len(logs)} log versions, the local log's actions")
check(set(remote) == set(local), "delta: nothing else in the container (no staging, no lock)")

# One-line refusals, exit 2.
again = run("generate", *SMALL, "--out", f"az://{CONTAINER}/parquet", "--quiet", check_exit=False)
check(again.returncode == 2 and len(again.stderr.strip().splitlines()) == 1 and "--overwrite" in again.stderr,
      f"a second run into the prefix: exit {again.returncode}, {again.stderr.strip()}")
missing = run("generate", "--rows", "1k", "--out", "az://no-such-container/x", "--quiet", check_exit=False)
check(missing.returncode == 2 and len(missing.stderr.strip().splitlines()) == 1 and "container" in missing.stderr,
      f"a missing container: exit {missing.returncode}, {missing.stderr.strip()}")
# A wrong account key: Azurite answers 403, which the tool tells from the
# error's type as refused credentials (not an I/O error).
wrong_key = dict(os.environ, AZURE_STORAGE_ACCOUNT_KEY=base64.b64encode(bytes(64)).decode())
refused = run("generate", "--rows", "1k", "--out", f"az://{CONTAINER}/wrong-key", "--quiet",
              env=wrong_key, check_exit=False)
check(refused.returncode == 2 and len(refused.stderr.strip().splitlines()) == 1
      and "refused the credentials" in refused.stderr and "AZURE_STORAGE_ACCOUNT_KEY" in refused.stderr,
      f"a wrong account key: exit {refused.returncode}, {refused.stderr.strip()}")
unreachable = dict(os.environ, AZURITE_BLOB_STORAGE_URL="http://127.0.0.1:9")
result = run("generate", "--rows", "1k", "--out", f"az://{CONTAINER}/nowhere", "--quiet",
             env=unreachable, check_exit=False)
check(result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1
      and "cannot be reached" in result.stderr,
      f"an endpoint nothing listens on: exit {result.returncode}, {result.stderr.strip()}")

if failures:
    print(f"{len(failures)} Azure check(s) failed")
    sys.exit(1)
print("Azure blob storage: all checks passed")
