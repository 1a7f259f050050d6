#!/usr/bin/env python3
"""Run the analytics query suite against a customer-events dataset with DuckDB.

    python examples/queries/run.py DIR [--layout nested|normalized] [--repeat N]
                                       [--warmup N] [--show [ROWS]] [--only TEXT]

nested      DIR is the output of `customer-events generate` (event_date=YYYY-MM-DD/
            folders or flat files); it is registered as the view `events`.
normalized  DIR holds one folder per table (events/, user_actions/, recommendations/,
            search_history/, users/, subscriptions/, subscription_changes/, content/), each
            with Parquet files, possibly Hive-partitioned by event_date; each is registered
            as a view of its name.

Every query of the layout (queries/<layout>/NN_name.sql) is run `--warmup` times
untimed and `--repeat` times timed; the table shows the best wall-clock time.
The exit code is 1 if any query fails, 2 on bad arguments.
Needs only the `duckdb` Python package.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path

import duckdb

HERE = Path(__file__).resolve().parent
NORMALIZED_TABLES = ("events", "user_actions", "recommendations", "search_history", "users", "subscriptions",
                     "subscription_changes", "content")


class Query:
    def __init__(self, path: Path):
        self.path = path
        self.name = path.stem
        self.sql = path.read_text(encoding="utf-8")
        self.title = self._header("title") or self.name
        self.question = self._header("question") or ""

    def _header(self, key: str) -> str | None:
        m = re.search(rf"^--\s*{key}:\s*(.+)$", self.sql, re.MULTILINE)
        return m.group(1).strip() if m else None


def sql_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def parquet_glob(folder: Path) -> str:
    """The folder's Parquet files: every `**/*.parquet`, or, when it holds a
    ground truth of faults (`_faults/`, a table of its own), the list of
    the files outside it."""
    if not (folder / "_faults").is_dir():
        return sql_string(str(folder / "**" / "*.parquet"))
    files = sorted(p for p in folder.rglob("*.parquet") if not p.relative_to(folder).parts[0].startswith("_"))
    return "[" + ", ".join(sql_string(str(p)) for p in files) + "]"


def has_parquet(folder: Path) -> bool:
    return folder.is_dir() and any(folder.rglob("*.parquet"))


def fail(message: str) -> None:
    print(f"error: {message}", file=sys.stderr)
    sys.exit(2)


def create_view(con: duckdb.DuckDBPyConnection, name: str, folder: Path) -> None:
    source = f"read_parquet({parquet_glob(folder)}, hive_partitioning = true)"
    con.execute(f"CREATE VIEW {name} AS SELECT * FROM {source}")
    columns = {row[0] for row in con.execute(f"DESCRIBE {name}").fetchall()}
    if "event_date" not in columns and "timestamp" in columns:
        # Flat output (`--partition-by none`) has no event_date folders: derive the
        # UTC day from the timestamp, which is what the partition holds.
        con.execute(
            f"CREATE OR REPLACE VIEW {name} AS SELECT *, CAST(timezone('UTC', timestamp) AS DATE) AS event_date FROM {source}"
        )


def register_views(con: duckdb.DuckDBPyConnection, data: Path, layout: str) -> list[str]:
    if layout == "nested":
        if not has_parquet(data):
            fail(f"no .parquet files under {data}")
        create_view(con, "events", data)
        return ["events"]
    missing = [t for t in NORMALIZED_TABLES if not has_parquet(data / t)]
    if missing:
        fail(f"{data} is not a normalized dataset: no .parquet files under " + ", ".join(f"{t}/" for t in missing))
    for table in NORMALIZED_TABLES:
        create_view(con, table, data / table)
    return list(NORMALIZED_TABLES)


def format_table(header: list[str], rows: list[list[str]], right: set[int] = frozenset()) -> str:
    widths = [len(h) for h in header]
    for row in rows:
        widths = [max(w, len(c)) for w, c in zip(widths, row)]

    def line(cells: list[str]) -> str:
        return "  ".join(c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(cells, widths))).rstrip()

    out = [line(header), line(["-" * w for w in widths])]
    out += [line(r) for r in rows]
    return "\n".join(out)


def cell(value: object, width: int = 40) -> str:
    if value is None:
        text = "NULL"
    elif isinstance(value, float):
        text = f"{value:.6g}" if abs(value) < 1e6 else f"{value:.1f}"
        if text.lstrip("-").isdigit():
            text += ".0"
    else:
        text = str(value)
    return text if len(text) <= width else text[: width - 1] + "…"


def run_query(con: duckdb.DuckDBPyConnection, q: Query, warmup: int, repeat: int):
    for _ in range(warmup):
        con.execute(q.sql).fetchall()
    best = float("inf")
    columns: list[str] = []
    rows: list[tuple] = []
    for _ in range(repeat):
        start = time.perf_counter()
        cur = con.execute(q.sql)
        rows = cur.fetchall()
        best = min(best, time.perf_counter() - start)
        columns = [d[0] for d in cur.description]
    return columns, rows, best


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("dir", type=Path, help="dataset folder")
    p.add_argument("--layout", choices=("nested", "normalized"), default="nested", help="dataset layout (default nested)")
    p.add_argument("--repeat", type=int, default=1, metavar="N", help="timed runs per query; the best is shown (default 1)")
    p.add_argument("--warmup", type=int, default=1, metavar="N", help="untimed runs before timing (default 1)")
    p.add_argument("--show", type=int, nargs="?", const=10, default=0, metavar="ROWS",
                   help="print the first ROWS rows of each result (default 10 when given)")
    p.add_argument("--only", action="append", default=[], metavar="TEXT",
                   help="run only queries whose file name contains TEXT (repeatable)")
    p.add_argument("--threads", type=int, metavar="N", help="DuckDB threads (default: DuckDB's own)")
    p.add_argument("--queries", type=Path, metavar="FOLDER", help="query folder (default: the layout's folder next to this script)")
    args = p.parse_args(argv)
    if args.repeat < 1 or args.warmup < 0:
        p.error("--repeat must be >= 1 and --warmup >= 0")
    if not args.dir.is_dir():
        p.error(f"{args.dir} is not a folder")

    qdir = args.queries or HERE / args.layout
    queries = [Query(f) for f in sorted(qdir.glob("*.sql"))]
    if args.only:
        queries = [q for q in queries if any(t in q.name for t in args.only)]
    if not queries:
        p.error(f"no queries in {qdir}" + (f" matching {args.only}" if args.only else ""))

    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")  # dates and hours of TIMESTAMPTZ values are UTC unless a query says otherwise
    if args.threads:
        con.execute(f"SET threads = {int(args.threads)}")
    views = register_views(con, args.dir.resolve(), args.layout)
    print(f"duckdb {duckdb.__version__}  layout={args.layout}  data={args.dir}  views={','.join(views)}  "
          f"warmup={args.warmup} repeat={args.repeat}")
    print()

    results: list[list[str]] = []
    failures = 0
    total = 0.0
    for q in queries:
        try:
            columns, rows, seconds = run_query(con, q, args.warmup, args.repeat)
        except duckdb.Error as e:
            failures += 1
            results.append([q.name, "FAILED", "-"])
            first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
            print(f"FAILED {q.name}: {first}", file=sys.stderr)
            continue
        total += seconds
        results.append([q.name, str(len(rows)), f"{seconds:.3f}"])
        if args.show:
            print(f"== {q.name}: {q.title}")
            if q.question:
                print(f"   {q.question}")
            shown = [[cell(v) for v in r] for r in rows[: args.show]]
            numeric = {i for i, v in enumerate(rows[0]) if isinstance(v, (int, float))} if rows else set()
            print(format_table(columns, shown, numeric))
            if len(rows) > args.show:
                print(f"… {len(rows) - args.show} more rows")
            print()

    results.append(["total", "", f"{total:.3f}"])
    print(format_table(["query", "rows", "seconds"], results, {1, 2}))
    if failures:
        print(f"\n{failures} of {len(queries)} queries failed", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
