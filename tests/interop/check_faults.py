"""Runs the fault proof queries (examples/queries/faults/) with DuckDB on a
dataset written with faults and a clean run of the same seed and config,
and checks that each finds exactly its ground truth: no listed fault
missed, none invented, and some found.

Usage: check_faults.py DIRTY CLEAN
"""

import sys
from pathlib import Path

import duckdb

QUERIES = Path(__file__).resolve().parents[2] / "examples/queries/faults"


def views(dirty: Path, clean: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute(
        f"""CREATE VIEW events AS
            SELECT * EXCLUDE (filename), replace(filename, '{dirty}/', '') AS file
            FROM read_parquet('{dirty}/event_date=*/*.parquet', hive_partitioning = true,
                              filename = true, file_row_number = true)"""
    )
    con.execute(
        f"CREATE VIEW faults AS SELECT * FROM read_parquet('{dirty}/_faults/*/*.parquet', hive_partitioning = true)"
    )
    con.execute(
        f"CREATE VIEW clean AS SELECT * FROM read_parquet('{clean}/event_date=*/*.parquet', hive_partitioning = true)"
    )
    return con


def main() -> int:
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    dirty, clean = (Path(a).resolve() for a in sys.argv[1:])
    con = views(dirty, clean)
    kinds = dict(con.sql("SELECT kind, count(*) FROM faults GROUP BY kind").fetchall())
    assert set(kinds) == {"duplicate", "near_duplicate", "out_of_order", "broken_value"}, kinds
    failures = 0
    queries = sorted(QUERIES.glob("*.sql"))
    assert len(queries) == 3, queries
    for query in queries:
        cursor = con.execute(query.read_text())
        names = [d[0] for d in cursor.description]
        row = dict(zip(names, cursor.fetchone()))
        ok = row["found"] > 0 and row["missed"] == 0 and row["invented"] == 0
        print(f"{'ok' if ok else 'FAILED'}  {query.name}: {row}")
        failures += not ok
    print(f"ground truth: {kinds}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
