"""How long the Delta readers take to open a table a year old, with and
without checkpoints, measured in one alternating run.

    python benches/delta_checkpoints.py [--versions 365] [--runs 5] [--cli PATH]

Builds a table of VERSIONS versions with the command line (one small day each:
``generate --table delta --days 1`` then ``append --days 1`` over and over,
so the log holds a checkpoint every 10 versions), and a copy of it with the
checkpoints and ``_last_checkpoint`` removed (every reader must then replay
every commit). Then, RUNS times over, alternating between the two tables,
times in fresh reader objects:

- ``deltalake open``: ``DeltaTable(path)`` (reads the log to the newest version);
- ``deltalake count``: ``DeltaTable(path).to_pyarrow_dataset().count_rows()``;
- ``duckdb count``: ``SELECT count(*) FROM delta_scan(path)``, in a new connection.

Prints the medians as Markdown, with each ratio without / with checkpoints.
Needs the lakehouse venv (``.venv-lake``, from tests/lakehouse/requirements.txt).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import duckdb_extension_delta
from deltalake import DeltaTable

WORLD = ["--events-per-day", "200", "--seed", "3", "--users", "1000"]


def build(cli: str, table: Path, versions: int) -> None:
    subprocess.run([cli, "generate", "--table", "delta", "--start", "2025-01-01", "--days", "1", *WORLD,
                    "--out", str(table), "--quiet"], check=True)
    for version in range(1, versions):
        subprocess.run([cli, "append", str(table), "--days", "1", "--quiet"], check=True)
        if version % 50 == 0:
            print(f"  version {version}", file=sys.stderr)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--versions", type=int, default=365)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--cli", default="target/release/customer-events")
    args = parser.parse_args()

    extension = next(Path(duckdb_extension_delta.__file__).parent.glob("extensions/v*/delta.duckdb_extension"))
    with tempfile.TemporaryDirectory() as work:
        with_checkpoints, without = Path(work) / "with", Path(work) / "without"
        started = time.perf_counter()
        build(args.cli, with_checkpoints, args.versions)
        print(f"built {args.versions} versions in {time.perf_counter() - started:.0f} s", file=sys.stderr)
        shutil.copytree(with_checkpoints, without)
        for path in (without / "_delta_log").iterdir():
            if path.name.endswith(".checkpoint.parquet") or path.name == "_last_checkpoint":
                path.unlink()
        checkpoints = len(list((with_checkpoints / "_delta_log").glob("*.checkpoint.parquet")))

        def duckdb_count(table: Path) -> int:
            con = duckdb.connect()
            con.execute(f"LOAD '{extension}'")
            return con.sql(f"SELECT count(*) FROM delta_scan('{table}')").fetchall()[0][0]

        measures = {
            "deltalake open": lambda table: DeltaTable(str(table)).version(),
            "deltalake count": lambda table: DeltaTable(str(table)).to_pyarrow_dataset().count_rows(),
            "duckdb count": duckdb_count,
        }
        times = {(name, kind): [] for name in measures for kind in ("with", "without")}
        answers = {}
        for _ in range(args.runs):
            for name, measure in measures.items():
                for kind, table in (("with", with_checkpoints), ("without", without)):
                    started = time.perf_counter()
                    answer = measure(table)
                    times[(name, kind)].append(time.perf_counter() - started)
                    answers.setdefault((name, answer), set()).add(kind)
        if any(len(kinds) != 2 for kinds in answers.values()):
            sys.exit(f"the two tables read differently: {answers}")

    print(f"{args.versions} versions ({checkpoints} checkpoints), medians of {args.runs}, alternating\n")
    print("| reader | with checkpoints (s) | without (s) | without / with |")
    print("|---|---:|---:|---:|")
    for name in measures:
        with_s = statistics.median(times[(name, "with")])
        without_s = statistics.median(times[(name, "without")])
        print(f"| {name} | {with_s:.3f} | {without_s:.3f} | {without_s / with_s:.1f}x |")


if __name__ == "__main__":
    main()
