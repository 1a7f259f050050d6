"""Runs the fault proof queries (examples/queries/faults/) with DuckDB on a
dataset written with faults, a clean run of the same seed and config, and
(for the queries marked `-- layout: normalized`) a normalized dataset
written with faults, and checks that each finds exactly its ground truth:
no listed fault missed, none invented, some found, and, where a query
rebuilds a table, no row that differs. Then Spark reads the dataset's
folder as the events alone (it skips `_faults/`).

For the queries marked `-- dataset: ndjson`, DIRTY_NDJSON is a nested NDJSON
dataset written with `malformed_records`, read line by line as text.

Usage: check_faults.py DIRTY CLEAN DIRTY_NORMALIZED DIRTY_NDJSON
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


def normalized_views(dirty: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute(
        f"""CREATE VIEW subscription_changes AS
            SELECT * EXCLUDE (filename), replace(filename, '{dirty}/', '') AS file
            FROM read_parquet('{dirty}/subscription_changes/*.parquet', filename = true, file_row_number = true)"""
    )
    con.execute(f"CREATE VIEW subscriptions AS SELECT * FROM read_parquet('{dirty}/subscriptions/*.parquet')")
    con.execute(
        f"CREATE VIEW change_faults AS SELECT * FROM read_parquet('{dirty}/_faults/subscription_changes/*.parquet')"
    )
    return con


def ndjson_views(dirty: Path) -> duckdb.DuckDBPyConnection:
    """`lines` (file, file_row_number, line: each line's text) of an NDJSON
    dataset's events files, and its ground truth as `faults`."""
    con = duckdb.connect()
    con.execute(
        f"""CREATE VIEW lines AS
            WITH files AS (
                SELECT replace(filename, '{dirty}/', '') AS file,
                       string_split(rtrim(content, chr(10)), chr(10)) AS split
                FROM read_text('{dirty}/event_date=*/*.ndjson')
            )
            SELECT file, i - 1 AS file_row_number, split[i] AS line
            FROM files, range(1, len(split) + 1) AS r(i)"""
    )
    con.execute(f"CREATE VIEW faults AS SELECT * FROM read_json('{dirty}/_faults/*/*.ndjson')")
    return con


def main() -> int:
    if len(sys.argv) != 5:
        print(__doc__, file=sys.stderr)
        return 2
    dirty, clean, normalized, dirty_ndjson = (Path(a).resolve() for a in sys.argv[1:])
    con = views(dirty, clean)
    normalized_con = normalized_views(normalized)
    ndjson_con = ndjson_views(dirty_ndjson)
    change_kinds = dict(normalized_con.sql("SELECT kind, count(*) FROM change_faults GROUP BY kind").fetchall())
    assert set(change_kinds) == {"duplicate", "late"}, change_kinds
    kinds = dict(con.sql("SELECT kind, count(*) FROM faults GROUP BY kind").fetchall())
    assert set(kinds) == {
        "duplicate", "near_duplicate", "out_of_order", "broken_value", "late_arrival", "missing_value"
    }, kinds
    failures = 0
    queries = sorted(QUERIES.glob("*.sql"))
    assert len(queries) == 7, queries
    for query in queries:
        sql = query.read_text()
        if "-- layout: normalized" in sql:
            cursor = normalized_con.execute(sql)
        elif "-- dataset: ndjson" in sql:
            cursor = ndjson_con.execute(sql)
        else:
            cursor = con.execute(sql)
        names = [d[0] for d in cursor.description]
        row = dict(zip(names, cursor.fetchone()))
        ok = row["found"] > 0 and row["missed"] == 0 and row["invented"] == 0 and row.get("rows_that_differ", 0) == 0
        print(f"{'ok' if ok else 'FAILED'}  {query.name}: {row}")
        failures += not ok
    print(f"ground truth: {kinds}; the change feed's: {change_kinds}")
    failures += not spark_reads_the_events_alone(dirty, con)
    return 1 if failures else 0


def spark_reads_the_events_alone(dirty: Path, con: duckdb.DuckDBPyConnection) -> bool:
    """Spark skips the `_faults/` folder (a name starting with `_`): the
    folder reads as the events, copies included, and dropping repeated
    event_ids leaves one row per event, as many as the ground truth says."""
    from pyspark.sql import SparkSession

    spark = (
        SparkSession.builder.master("local[2]")
        .appName("customer-events-faults")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    try:
        events = spark.read.parquet(str(dirty))
        rows, ids = events.count(), events.select("event_id").distinct().count()
    finally:
        spark.stop()
    written = con.execute("SELECT count(*) FROM events").fetchone()[0]
    copies = con.execute("SELECT count(*) FROM faults WHERE kind IN ('duplicate', 'near_duplicate')").fetchone()[0]
    ok = "kind" not in events.columns and rows == written and ids == written - copies
    print(f"{'ok' if ok else 'FAILED'}  spark.read.parquet(DIR): {rows} rows (DuckDB: {written}), "
          f"{ids} event_ids ({written} - {copies} listed copies), columns without the ground truth's")
    return ok


if __name__ == "__main__":
    sys.exit(main())
