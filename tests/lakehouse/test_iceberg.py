"""Iceberg registration (customer_events.iceberg): two windows of generated
events appended to a SQLite-catalog table, read back by pyiceberg and by
DuckDB's iceberg extension, and compared with the Parquet datasets."""

import json
import shutil

import pyarrow.compute as pc
import pytest
from pyiceberg.catalog.sql import SqlCatalog
from pyiceberg.expressions import GreaterThanOrEqual

from customer_events import iceberg

TABLE = "events.customer_events"
PER_DAY = 11_000


@pytest.fixture(scope="module")
def windows(tmp_path_factory, cli):
    """Two windows of one timeline (same seed and world): days 1-3 and days 4-6."""
    root = tmp_path_factory.mktemp("iceberg")
    first, second = root / "week1", root / "week2"
    for out, start in ((first, "2026-03-01"), (second, "2026-03-04")):
        cli("generate", "--events-per-day", PER_DAY, "--days", 3, "--start", start, "--out", out, "--quiet")
    return root, first, second


def rows_of(dataset):
    return json.loads((dataset / "_manifest.json").read_text())["rows"]


@pytest.fixture(scope="module")
def table(windows):
    root, first, second = windows
    catalog_uri = f"sqlite:///{root / 'catalog.db'}"
    iceberg.register(first, catalog_uri, TABLE)
    return iceberg.register(second, catalog_uri, TABLE), catalog_uri


def parquet_files(*datasets):
    return [str(d / entry["path"]) for d in datasets for entry in json.loads((d / "_manifest.json").read_text())["files"]]


def test_each_window_is_one_snapshot_with_its_rows(table, windows):
    tbl, _ = table
    _, week1, week2 = windows
    first, second = tbl.snapshots()
    assert tbl.scan(snapshot_id=first.snapshot_id).to_arrow().num_rows == rows_of(week1)
    everything = tbl.scan().to_arrow()
    assert everything.num_rows == rows_of(week1) + rows_of(week2)
    assert pc.count_distinct(everything.column("event_id")).as_py() == everything.num_rows
    assert second.summary["customer-events.start"] == "2026-03-04"
    assert second.summary["customer-events.seed"] == "42"
    assert tbl.properties[iceberg.TOOL_PROPERTY] == "customer-events"


def test_partitions_are_days_and_a_timestamp_filter_skips_files(table):
    tbl, _ = table
    (field,) = tbl.spec().fields
    assert (field.name, str(field.transform)) == ("event_date", "day")
    assert len(list(tbl.scan().plan_files())) == 6
    later = list(tbl.scan(row_filter=GreaterThanOrEqual("timestamp", "2026-03-05T00:00:00+00:00")).plan_files())
    assert sorted(task.file.file_path.split("/")[-2] for task in later) == [
        "event_date=2026-03-05",
        "event_date=2026-03-06",
    ]
    rows = tbl.scan(row_filter=GreaterThanOrEqual("timestamp", "2026-03-05T00:00:00+00:00")).to_arrow()
    assert rows.num_rows > 0
    assert pc.min(rows.column("timestamp")).as_py().isoformat() >= "2026-03-05T00:00:00+00:00"


def test_duckdb_reads_the_table_value_for_value(table, windows, duck):
    tbl, _ = table
    _, first, second = windows
    files = parquet_files(first, second)
    duck.execute(f"CREATE VIEW parquet AS SELECT * EXCLUDE (event_date) FROM read_parquet({files!r})")
    duck.execute(f"CREATE VIEW ice AS SELECT * FROM iceberg_scan('{tbl.metadata_location}')")
    assert duck.sql("SELECT count(*) FROM ice").fetchone()[0] == rows_of(first) + rows_of(second)
    for left, right in (("parquet", "ice"), ("ice", "parquet")):
        differing = duck.sql(f"SELECT count(*) FROM (SELECT * FROM {left} EXCEPT ALL SELECT * FROM {right})").fetchone()[0]
        assert differing == 0, f"{differing} rows of {left} are not in {right}"
    snapshots = duck.sql(f"SELECT count(*) FROM iceberg_snapshots('{tbl.metadata_location}')").fetchone()[0]
    assert snapshots == 2


def test_pyiceberg_reads_nested_values_as_written(table, windows):
    import pyarrow.parquet as pq

    tbl, _ = table
    _, first, _ = windows
    written = pq.read_table(parquet_files(first)).sort_by("event_id")
    read = tbl.scan(snapshot_id=tbl.snapshots()[0].snapshot_id).to_arrow().sort_by("event_id")
    for name in ("event_id", "timestamp", "recommendations", "user_action", "search_history", "user_subscription"):
        assert read.column(name).to_pylist() == written.column(name).to_pylist(), name


def test_a_dataset_is_registered_only_once(table, windows):
    _, catalog_uri = table
    _, first, _ = windows
    with pytest.raises(ValueError, match="already referenced"):
        iceberg.register(first, catalog_uri, TABLE)


def test_unfinished_or_foreign_datasets_and_tables_are_refused(windows, tmp_path, cli):
    root, first, _ = windows
    catalog_uri = f"sqlite:///{tmp_path / 'catalog.db'}"
    unfinished = tmp_path / "unfinished"
    shutil.copytree(first, unfinished)
    (unfinished / "_SUCCESS").unlink()
    with pytest.raises(ValueError, match="not a finished dataset"):
        iceberg.register(unfinished, catalog_uri, TABLE)

    normalized = tmp_path / "normalized"
    cli("generate", "--rows", 1000, "--layout", "normalized", "--out", normalized, "--quiet")
    with pytest.raises(ValueError, match="nested Parquet layout"):
        iceberg.register(normalized, catalog_uri, TABLE)

    # Faults: refused, and the advice (the same run without them) registers.
    dirty, clean = tmp_path / "dirty", tmp_path / "clean"
    cli("generate", "--rows", 2000, "--days", 2, "--faults", "typical", "--out", dirty, "--quiet")
    with pytest.raises(ValueError, match="without --faults"):
        iceberg.register(dirty, catalog_uri, "events.dirty")
    cli("generate", "--rows", 2000, "--days", 2, "--out", clean, "--quiet")
    assert iceberg.register(clean, catalog_uri, "events.dirty").scan().to_arrow().num_rows == 2000

    catalog = SqlCatalog(iceberg.DEFAULT_CATALOG, uri=catalog_uri, warehouse=tmp_path.as_uri())
    catalog.create_namespace_if_not_exists("events")
    catalog.create_table("events.other", schema=tbl_schema())
    with pytest.raises(ValueError, match="not made by customer-events"):
        iceberg.register(first, catalog_uri, "events.other")


def tbl_schema():
    import pyarrow as pa

    return pa.schema([pa.field("id", pa.int64())])
