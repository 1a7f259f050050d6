"""Registers generated datasets as an Iceberg table, through pyiceberg.

::

    import customer_events as ce
    from customer_events import iceberg

    ce.generate("data/week1", rows="1M", start="2026-01-01", days=7)
    table = iceberg.register("data/week1", "sqlite:///data/catalog.db", "events.customer_events")
    ce.generate("data/week2", rows="1M", start="2026-01-08", days=7)
    iceberg.register("data/week2", "sqlite:///data/catalog.db", "events.customer_events")

The Parquet files stay where ``generate`` wrote them: each call appends one
snapshot that adds a finished dataset's files (``add_files``, no copy, no
rewrite), so the table grows window by window. The table is partitioned by
``day(timestamp)``, named ``event_date``: each of our files holds one UTC day,
which is what the files' folders say, and Iceberg reads the day from the
files' own timestamp statistics. Its metadata goes to ``warehouse`` (by default
the folder of a SQLite catalog's file).

A Rust-native writer waits for iceberg-rust to move to the arrow version this
project builds on; until then pyiceberg (``pip install 'pyiceberg[sql-sqlite]'``)
does the registration.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Optional, Union
from urllib.parse import urlparse

import customer_events

#: Table properties that mark a table as ours; ``register`` refuses others.
TOOL_PROPERTY = "customer-events.tool"
SCHEMA_VERSION_PROPERTY = "customer-events.schema-version"
#: The catalog name ``register`` uses unless told (pyiceberg's own default).
DEFAULT_CATALOG = "default"
#: The name of the partition field (``day(timestamp)``).
PARTITION_NAME = "event_date"


def _finished_dataset(dataset: Path) -> dict:
    """The dataset's manifest, when ``generate`` finished it as a nested
    Parquet dataset; a ValueError naming the problem otherwise."""
    manifest_path = dataset / "_manifest.json"
    if not (dataset / "_SUCCESS").is_file() or not manifest_path.is_file():
        raise ValueError(
            f"{dataset} is not a finished dataset (no _SUCCESS and _manifest.json): "
            "register the folder of a completed `generate` run"
        )
    manifest = json.loads(manifest_path.read_text())
    if manifest.get("tool") != "customer-events":
        raise ValueError(f"{manifest_path} was not written by customer-events")
    output = manifest.get("output", {})
    if output.get("format") != "parquet" or output.get("layout") != "nested":
        raise ValueError(
            f"{dataset} holds {output.get('layout')} {output.get('format')} files: "
            "Iceberg registration takes the nested Parquet layout (the default)"
        )
    if output.get("partition_by") != "date":
        raise ValueError(
            f"{dataset} is not partitioned by date: each file must hold one day "
            "(generate without --partition-by none)"
        )
    if manifest.get("config", {}).get("faults"):
        raise ValueError(
            f"{dataset} was written with faults, whose late files hold other days and whose "
            "ground truth is not events: register a dataset generated without --faults and [faults]"
        )
    return manifest


def _default_warehouse(catalog_uri: str) -> str:
    parsed = urlparse(catalog_uri)
    if parsed.scheme == "sqlite" and catalog_uri.startswith("sqlite:///"):
        database = Path(catalog_uri[len("sqlite:///") :])
        return database.resolve().parent.as_uri()
    raise ValueError(
        f"no default warehouse for the catalog {catalog_uri!r}: pass warehouse=, "
        "the URI of the folder where the table's metadata goes"
    )


def register(
    dataset: Union[str, "os.PathLike[str]"],
    catalog_uri: str,
    table: str,
    *,
    warehouse: Optional[str] = None,
    catalog_name: str = DEFAULT_CATALOG,
):
    """Appends a finished dataset's Parquet files to the Iceberg table
    ``table`` (``namespace.name``) of the SQL catalog at ``catalog_uri``,
    creating the namespace and the table on first use. Returns the
    ``pyiceberg.table.Table``. ``catalog_name`` is the catalog's name in the
    SQL catalog's tables (a SQL catalog database can hold several).

    Raises ValueError when the folder is not a finished nested Parquet dataset
    without faults, when the table exists but was not made by this function, or when its schema
    version differs from the dataset's.
    """
    from pyiceberg.catalog.sql import SqlCatalog
    from pyiceberg.exceptions import NoSuchTableError
    from pyiceberg.transforms import DayTransform

    dataset = Path(dataset).resolve()
    manifest = _finished_dataset(dataset)
    schema_version = str(manifest["schema_version"])
    if "." not in table:
        raise ValueError(f"table {table!r} must be namespace.name, e.g. 'events.customer_events'")
    namespace = table.rsplit(".", 1)[0]

    catalog = SqlCatalog(
        catalog_name,
        uri=catalog_uri,
        warehouse=warehouse or _default_warehouse(catalog_uri),
    )
    catalog.create_namespace_if_not_exists(namespace)
    try:
        iceberg_table = catalog.load_table(table)
    except NoSuchTableError:
        iceberg_table = catalog.create_table(
            table,
            schema=customer_events.schema(),
            properties={
                TOOL_PROPERTY: "customer-events",
                SCHEMA_VERSION_PROPERTY: schema_version,
            },
        )
        with iceberg_table.update_spec() as spec:
            spec.add_field("timestamp", DayTransform(), PARTITION_NAME)
    properties = iceberg_table.properties
    if properties.get(TOOL_PROPERTY) != "customer-events":
        raise ValueError(f"the table {table} was not made by customer-events: not appending to it")
    if properties.get(SCHEMA_VERSION_PROPERTY) != schema_version:
        raise ValueError(
            f"the table {table} holds schema version {properties.get(SCHEMA_VERSION_PROPERTY)}, "
            f"the dataset {dataset} version {schema_version}: write it to another table"
        )

    files = [str(dataset / entry["path"]) for entry in manifest["files"]]
    config = manifest["config"]
    # Our string columns carry no statistics by design (--string-statistics
    # adds them); pyiceberg would log one warning per string column and file.
    pyarrow_log = logging.getLogger("pyiceberg.io.pyarrow")
    quiet = _DropMissingStatistics()
    pyarrow_log.addFilter(quiet)
    try:
        iceberg_table.add_files(
            files,
            snapshot_properties={
                "customer-events.dataset": str(dataset),
                "customer-events.seed": str(config["seed"]),
                "customer-events.start": str(config["start"]),
                "customer-events.days": str(config["days"]),
                "customer-events.rows": str(manifest["rows"]),
            },
        )
    finally:
        pyarrow_log.removeFilter(quiet)
    return iceberg_table


class _DropMissingStatistics(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return "statistics missing" not in record.getMessage()
