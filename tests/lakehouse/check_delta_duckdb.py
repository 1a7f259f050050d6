"""Reads the Delta table check_delta.py wrote with DuckDB's delta extension.

The extension comes from its PyPI wheel and is loaded from the wheel's file,
offline. delta_scan must see version 1 and version 0 (time travel) with the
row counts of the plain Parquet run of the same days, per day, for an hour of
timestamps, and with no event_id twice.

Usage: check_delta_duckdb.py WORKDIR (after check_delta.py BINARY WORKDIR)
"""

import sys
from pathlib import Path

import duckdb
import duckdb_extension_delta

from delta_window import FIRST_DAYS

WORK = Path(sys.argv[1])
table, whole = WORK / "delta-table", WORK / "delta-whole"

failures = []


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what)
    if not ok:
        failures.append(what)


extension = next(Path(duckdb_extension_delta.__file__).parent.glob("extensions/v*/delta.duckdb_extension"))
con = duckdb.connect()
con.execute(f"LOAD '{extension}'")
plain = f"read_parquet('{whole}/**/*.parquet', hive_partitioning = true)"
delta = f"delta_scan('{table}')"


def rows(sql):
    return con.sql(sql).fetchall()


expected_days = rows(f"SELECT event_date::DATE, count(*) FROM {plain} GROUP BY 1 ORDER BY 1")
got_days = rows(f"SELECT event_date, count(*) FROM {delta} GROUP BY 1 ORDER BY 1")
check(got_days == expected_days, f"duckdb delta_scan: rows per day {got_days}")
first = sum(n for _, n in expected_days[:FIRST_DAYS])
v0 = rows(f"SELECT count(*) FROM delta_scan('{table}', version => 0)")[0][0]
check(v0 == first, f"duckdb delta_scan version 0: {v0} rows, expected {first}")
day = expected_days[FIRST_DAYS][0]
hour = f"timestamp >= TIMESTAMPTZ '{day} 20:00:00+00' AND timestamp < TIMESTAMPTZ '{day} 21:00:00+00'"
got, expected = rows(f"SELECT count(*) FROM {delta} WHERE {hour}"), rows(f"SELECT count(*) FROM {plain} WHERE {hour}")
check(got == expected, f"duckdb delta_scan: {got[0][0]} rows in {day} 20:00-21:00, expected {expected[0][0]}")
total, distinct = rows(f"SELECT count(*), count(DISTINCT event_id) FROM {delta}")[0]
check(total == distinct, f"duckdb delta_scan: {distinct} distinct event_ids in {total} rows")
same = rows(
    f"SELECT count(*) FROM (SELECT * EXCLUDE (event_date) FROM {delta} "
    f"EXCEPT SELECT * EXCLUDE (event_date) FROM {plain})"
)[0][0]
check(same == 0, f"duckdb delta_scan: {same} rows of the table are not in the plain run")
types = rows(f"SELECT typeof(timestamp), typeof(event_date) FROM {delta} LIMIT 1")[0]
check(types == ("TIMESTAMP WITH TIME ZONE", "DATE"), f"duckdb delta_scan: types {types}")

if failures:
    print(f"{len(failures)} check(s) failed", file=sys.stderr)
    sys.exit(1)
